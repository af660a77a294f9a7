import GRDB
public import TiendoCore

/// A month view's reads (`vn.tiendo.Extras.DueDays`): per local due date, how many items of a scope fall due and,
/// when asked, what they are about.
extension Store {
    /// The items `dueDays` and `dueTasks` count: those of `scope` due on a local date of `dates` (`due_items d`),
    /// as an SQL condition and its arguments.
    static func dueDayItems(scope: Scope, dates: DueDates) -> (sql: String, arguments: [any DatabaseValueConvertible]) {
        var (conditions, arguments) = scope.conditions("d")
        let (dateSQL, dateArgs) = dates.conditions()
        conditions += dateSQL + ["d.due_end <= ?"]
        arguments += dateArgs + [dates.zone.endOfDay(dates.until.adding(days: 1)).seconds]
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// Per local due date of `dates`: the items of `scope` due that day, and how many of them are overdue at `now`.
    public func dueDays(scope: Scope, dates: DueDates, now: Instant) throws -> [(date: String, items: Int, overdue: Int)] {
        let (condition, arguments) = Store.dueDayItems(scope: scope, dates: dates)
        let sql = """
            SELECT substr(d.due, 1, 10) AS day, COUNT(*), IFNULL(SUM(d.due_end <= ?), 0) FROM due_items d
            WHERE \(condition) GROUP BY day ORDER BY day
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: Store.arguments([now.seconds] + arguments)).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// What a day's items are about, for a month view: the items of one task (a workflow's deadline title, with
    /// the occurrence of a recurring milestone) due that day, how many are overdue at `now`, how many instances they
    /// belong to, and the first of those by id, with its name when it is the only one.
    public struct DueTask: Sendable, Equatable {
        public var workflow: String
        public var title: String
        public var occurrence: String?
        public var items: Int
        public var overdue: Int
        public var records: Int
        public var firstInstance: String
        /// Whether any of the items' dues depends on a projected calendar year.
        public var provisional: Bool
        /// The name of `firstInstance` (`WorkflowDefinition.label(of:)`) when the items belong to it alone and it has
        /// one; read in the same transaction as the counts.
        public var label: String? = nil
    }

    /// What `dueDays` says, with at most `perDay` tasks of each day's items (`DueTask`), the earliest due first, then
    /// the largest, of the same items (`dueDayItems`). The day's counts are the sums of all its tasks, read in the
    /// same statement, so that the tasks shown and «N more» always add up to the day's items. A task kept whose
    /// items belong to one instance gets that instance's name, read in the same transaction (`definition`: by digest).
    public func dueTasks(
        scope: Scope, dates: DueDates, now: Instant, perDay: Int, definition: (String) -> WorkflowDefinition?
    ) throws -> [(date: String, items: Int, overdue: Int, tasks: [DueTask])] {
        let (condition, arguments) = Store.dueDayItems(scope: scope, dates: dates)
        let sql = """
            SELECT substr(d.due, 1, 10) AS day, d.workflow, d.title, d.occurrence, COUNT(*), IFNULL(SUM(d.due_end <= ?), 0),
                   COUNT(DISTINCT d.instance), MIN(d.instance), MAX(d.provisional)
            FROM due_items d WHERE \(condition)
            GROUP BY day, d.workflow, d.title, d.occurrence ORDER BY day, MIN(d.due_end), COUNT(*) DESC, d.title, d.occurrence
            """
        return try read { db in
            var days: [(date: String, items: Int, overdue: Int, tasks: [DueTask])] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: Store.arguments([now.seconds] + arguments))
            while let row = try cursor.next() {
                let task = DueTask(
                    workflow: row[1], title: row[2], occurrence: row[3], items: row[4], overdue: row[5], records: row[6],
                    firstInstance: row[7], provisional: (row[8] as Int) != 0)
                let day: String = row[0]
                if days.last?.date != day { days.append((day, 0, 0, [])) }
                days[days.count - 1].items += task.items
                days[days.count - 1].overdue += task.overdue
                if days[days.count - 1].tasks.count < perDay { days[days.count - 1].tasks.append(task) }
            }
            for d in days.indices {
                for t in days[d].tasks.indices where days[d].tasks[t].records == 1 {
                    days[d].tasks[t].label = try Store.label(db, days[d].tasks[t].firstInstance, definition: definition)
                }
            }
            return days
        }
    }
}
