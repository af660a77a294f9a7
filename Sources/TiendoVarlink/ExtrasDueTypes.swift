public import TiendoCore

/// The due items' types of `vn.tiendo.Extras`: a selection's counts, a day's tasks, an item with its record's name.
extension Extras {
    /// Items (not instances) of a selection: overdue, then due from now to the end of today, of today + 7, 14, 30
    /// days; `total` is every item of the selection.
    public struct DueCounts: ManagerValue {
        public var overdue: Int
        public var today: Int
        public var week: Int
        public var fortnight: Int
        public var month: Int
        public var total: Int

        public init(overdue: Int = 0, today: Int = 0, week: Int = 0, fortnight: Int = 0, month: Int = 0, total: Int = 0) {
            (self.overdue, self.today, self.week, self.fortnight, self.month, self.total) = (overdue, today, week, fortnight, month, total)
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            self.init(
                overdue: try m.int("overdue"), today: try m.int("today"), week: try m.int("week"), fortnight: try m.int("fortnight"),
                month: try m.int("month"), total: try m.int("total"))
        }

        public var json: JSON {
            .object([
                ("overdue", .int(overdue)), ("today", .int(today)), ("week", .int(week)), ("fortnight", .int(fortnight)),
                ("month", .int(month)), ("total", .int(total)),
            ])
        }
    }

    /// What some of a day's items are about (`DueDays(tasks:)`): one workflow's deadline title, with the occurrence
    /// of a recurring milestone, how many items and how many of them overdue, how many instances they belong to and,
    /// when that is one, which (`instance`, and the name it goes by, `label`).
    public struct DayTask: ManagerValue {
        public var workflow: String
        public var title: String
        public var occurrence: String?
        public var items: Int
        public var overdue: Int
        public var records: Int
        /// True when a due depends on a projected calendar year; nil otherwise (never false on the wire).
        public var provisional: Bool?
        public var instance: String?
        public var label: String?

        public init(
            workflow: String, title: String, occurrence: String? = nil, items: Int, overdue: Int = 0, records: Int,
            provisional: Bool? = nil, instance: String? = nil, label: String? = nil
        ) {
            self.workflow = workflow
            self.title = title
            self.occurrence = occurrence
            self.items = items
            self.overdue = overdue
            self.records = records
            self.provisional = provisional
            self.instance = instance
            self.label = label
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            workflow = try m.string("workflow")
            title = try m.string("title")
            occurrence = try m.optionalString("occurrence")
            items = try m.int("items")
            overdue = try m.int("overdue")
            records = try m.int("records")
            provisional = try m.optionalBool("provisional")
            instance = try m.optionalString("instance")
            label = try m.optionalString("label")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("workflow", workflow)
            w.add("title", title)
            w.add("occurrence", occurrence)
            w.add("items", items)
            w.add("overdue", overdue)
            w.add("records", records)
            w.add("provisional", provisional)
            w.add("instance", instance)
            w.add("label", label)
            return w.json
        }
    }

    /// A due item with the name of its instance (`label`).
    public struct DueEntry: ManagerValue {
        public var item: Manager.DueItem
        public var label: String?

        public init(item: Manager.DueItem, label: String? = nil) {
            self.item = item
            self.label = label
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            item = try Manager.DueItem(json: json, path: path)
            label = try Members(json, path: path).optionalString("label")
        }

        public var json: JSON {
            guard let label, case .object(var o) = item.json else { return item.json }
            o.append(("label", .string(label)))
            return .object(o)
        }
    }
}
