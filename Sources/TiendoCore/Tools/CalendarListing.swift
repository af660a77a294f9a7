/// `tiendoctl calendar` as data (interfaces §2): a year's days with its status, and the years listed in the file.
extension WorkCalendar {
    /// `[{"date","name","kind","status","source"?}]`: the year's non-working days other than weekends (with
    /// `all`, weekends too) and make-up working days (`"kind": "workday"`), each with the year's status and source.
    public func listingJSON(year: Int, includeWeekends all: Bool = false) -> JSON {
        let status = JSON.string(self.status(of: year).rawValue)
        let source = self.source(of: year)
        return .array(
            days(in: year, includeWeekends: all).map { d in
                var o: [(String, JSON)] = [
                    ("date", .string(d.date.iso)), ("name", .string(d.name)), ("kind", .string(d.kind.rawValue)),
                    ("status", status),
                ]
                if let source { o.append(("source", .string(source))) }
                return .object(o)
            })
    }

    /// `--years --json`: `[{"year","status","source"?}]` for each year under `years:`, in order.
    public var yearsJSON: JSON {
        .array(
            listedYears.map { y in
                var o: [(String, JSON)] = [("year", .int(y)), ("status", .string(status(of: y).rawValue))]
                if let s = source(of: y) { o.append(("source", .string(s))) }
                return .object(o)
            })
    }
}
