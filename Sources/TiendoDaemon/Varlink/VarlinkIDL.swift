// The varlink interface descriptions served by GetInterfaceDescription. `manager` must equal the repository's
// vn.tiendo.Manager.varlink byte for byte (a test checks it).
enum VarlinkIDL {
    static let manager = #"""
        # The control interface of tiendod: status, instances, events and reload.
        interface vn.tiendo.Manager

        type Diagnostic (file: string, line: int, column: int, severity: string, message: string)

        type DueItem (
          workflow: string,
          instance: string,
          state: ?string,
          milestone: ?string,
          occurrence: ?string,
          title: string,
          due: string,
          daysLeft: int,
          overdue: bool,
          provisional: ?bool,
          group: ?string
        )

        type WorkflowSummary (
          id: string,
          title: string,
          digest: string,
          instances: int,
          active: int,
          completed: int,
          overdue: int,
          dueSoon: int,
          provisional: int,
          states: [string]int,
          nextDue: ?DueItem
        )

        type Milestone (
          id: string,
          title: string,
          due: string,
          done: bool,
          doneAt: ?string,
          overdue: bool,
          requires: []string,
          every: ?string,
          occurrence: ?string,
          openCount: ?int,
          provisional: ?bool
        )

        type Instance (
          id: string,
          workflow: string,
          state: ?string,
          data: object,
          startedAt: string,
          enteredAt: string,
          completed: bool,
          stale: bool,
          milestones: []Milestone,
          deadlines: []DueItem,
          next: ?DueItem
        )

        type Record (
          at: string,
          kind: string,
          workflow: string,
          instance: ?string,
          state: ?string,
          from: ?string,
          to: ?string,
          event: ?string,
          milestone: ?string,
          occurrence: ?string,
          due: ?string,
          previousDue: ?string,
          daysLeft: ?int,
          missed: ?int,
          priority: int,
          late: ?int,
          provisional: ?bool,
          # Extension: true when only `at` is provisional and the due is known.
          dueCertain: ?bool,
          group: ?string,
          actor: ?int,
          # Extension: the person a front end (tiendo-web) acted for.
          actorName: ?string,
          message: string
        )

        type DaemonStatus (
          version: string,
          pid: int,
          startedAt: string,
          now: string,
          nextWakeup: ?string,
          workflows: int,
          instances: int,
          overdue: int,
          provisional: int,
          diagnostics: []Diagnostic,
          # Extension: why the daemon cannot write to its database, and since when, while it cannot.
          problem: ?(reason: string, since: string),
          # Extension: while operators' changes are refused because the clock (now) is more than a day
          # behind the newest record written (newest); both ISO 8601.
          clockBehind: ?(now: string, newest: string)
        )

        method GetStatus() -> (status: DaemonStatus, workflows: []WorkflowSummary)

        method ListInstances(
          workflow: ?string,
          state: ?string,
          where: ?[string]string,
          overdue: ?bool,
          limit: ?int,
          after: ?string
        ) -> (instances: []Instance, next: ?string)

        method GetInstance(id: string) -> (instance: Instance)

        # Extension: `actor` on the mutating methods names the person a trusted front end (tiendo-web) or an
        # administrator acts for; it goes into the records as `actorName`.
        method StartInstance(workflow: string, key: ?string, data: ?object, actor: ?string) -> (instance: Instance)

        # Extension: an import larger than one message is staged in batches under importID and committed, all or
        # nothing, by the call with final: true; a staging call answers imported 0 and the rows staged so far.
        # expected, on the final call, is how many rows the client sent in all: fewer staged (a restart or an hour
        # idle dropped the earlier batches) refuses the import and stores nothing.
        method ImportInstances(
          workflow: string,
          rows: []object,
          importID: ?string,
          final: ?bool,
          expected: ?int,
          actor: ?string
        ) -> (imported: int, staged: ?int)

        # Extension: a request repeating one already applied under its idempotencyKey answers repeated: true (it
        # recorded nothing now) and, in repeatedEvent, the event that request applied (absent for keys stored before
        # 07/12/2026).
        method SendEvent(
          id: string,
          event: string,
          data: ?object,
          idempotencyKey: ?string,
          actor: ?string
        ) -> (instance: Instance, repeated: ?bool, repeatedEvent: ?string)

        method CompleteMilestone(id: string, milestone: string, actor: ?string) -> (instance: Instance)

        method Agenda(days: ?int, workflow: ?string, group: ?string) -> (items: []DueItem)

        method History(id: string) -> (records: []Record)

        method Reload() -> (workflows: []WorkflowSummary, diagnostics: []Diagnostic)

        # With "more": true, the first reply is empty and each later one carries a record.
        method Watch() -> (record: ?Record)

        error NoSuchWorkflow (workflow: string)
        error NoSuchInstance (id: string)
        error InstanceExists (id: string)
        error InvalidData (field: string, reason: string)
        error EventRejected (id: string, event: string, state: ?string, reason: string)
        error ImportRejected (errors: []Diagnostic)
        error LimitExceeded (limit: string, group: ?string, count: int, max: int)
        error DefinitionInvalid (diagnostics: []Diagnostic)

        """#

    /// Must equal the repository's vn.tiendo.Extras.varlink byte for byte.
    static let extras = #"""
        # Methods for front ends such as tiendo-web and for operators (an extension of tiendo, not part of its contract):
        # the definitions in force, calendar days, and paged, filtered views computed by the daemon; the undo of a step
        # recorded by mistake; copies of the state database.
        interface vn.tiendo.Extras

        # notAfterToday: a date or datetime field that takes no day after today (`max: today`).
        # notBefore: the name of the field whose day (a datetime's instant) this date or datetime field's may not be
        # before (`min: {field: OTHER}`), when both are set; OTHER unset, OTHER's own bound, up the chain.
        # default: what a record gets when the field is left empty at its start, as a form writes it (dates
        # YYYY-MM-DD, datetimes ISO 8601, numbers with a decimal point, booleans true/false, an enum's value), when
        # the file gives one.
        # defaultRule: in words, how a date field's default is counted from the record's other fields when it starts
        # («1 ngày trước «Ngày bắt đầu năm thi đua»»), when the file counts it so (then there is no default).
        type FieldInfo (
          name: string,
          type: string,
          required: bool,
          title: ?string,
          values: []string,
          valueTitles: ?[string]string,
          min: ?float,
          max: ?float,
          notAfterToday: ?bool,
          notBefore: ?string,
          default: ?string,
          defaultRule: ?string
        )

        # An event a state accepts: its title (from `event_titles`, when the file gives one), the fields its
        # guards read then those `event_fields` adds (a form asks for them), those every branch reads (a form
        # cannot leave them empty), its
        # target states, and office (from `office_events`) when it records a decision above the chi bộ, which only
        # the ward's office records.
        type EventInfo (name: string, title: ?string, fields: []string, required: []string, targets: []string, office: ?bool)

        # A state: its description from the file (what to do in it and the legal basis, as people read it),
        # when the file gives one.
        type StateInfo (id: string, title: string, description: ?string, final: bool, events: []EventInfo)

        type MilestoneInfo (id: string, title: string, basis: ?string, requires: []string)

        # A record to open next from one in the states `when` (`follow_ups`): its workflow, what the button says,
        # and the new record's fields filled from this record's (`copy`, `from` a field of this record) or given
        # (`set`, `from` the value as the file writes it).
        type FollowUpFill (field: string, from: string)
        type FollowUpInfo (workflow: string, title: ?string, when: []string, copy: []FollowUpFill, set: []FollowUpFill)

        # `label`: the field that names an instance on a page (ho_ten, else the first text field that is not the group).
        # `listFields`: fields a list of the workflow's records shows as columns (`list_fields`), when the file names some.
        # `followUps`: records to open next from one of the workflow (`follow_ups`), when the file names some.
        type WorkflowInfo (
          id: string,
          title: string,
          description: ?string,
          digest: string,
          timezone: string,
          calendar: string,
          groupBy: ?string,
          initial: ?string,
          label: ?string,
          listFields: ?[]string,
          followUps: ?[]FollowUpInfo,
          fields: []FieldInfo,
          states: []StateInfo,
          milestones: []MilestoneInfo
        )

        # kind: holiday, compensatory, weekend or workday (a make-up working day); status: official or projected.
        type CalendarDay (date: string, name: string, kind: string, status: string)

        # Items, not instances. today, week, fortnight, month: due from now to the end of today, of today + 7, 14, 30 days.
        type DueCounts (overdue: int, today: int, week: int, fortnight: int, month: int, total: int)

        # Per workflow: its groups in the selection and their sums.
        type WorkflowTotals (workflow: string, groups: int, instances: int, active: int, overdue: int, dueSoon: int)

        type GroupSummary (
          workflow: string,
          group: string,
          instances: int,
          active: int,
          overdue: int,
          dueSoon: int
        )

        # A timed transition (`after` in the instance's state) the instance takes at `at` if nothing else happens first;
        # `due`: the deadline of the state it enters, as it will be then; `dueTitle`: what is to be done by it (the deadline's
        # `title`, else the state's).
        type TimedTransition (to: string, at: string, provisional: ?bool, due: ?string, dueProvisional: ?bool, dueTitle: ?string)

        # The instance's latest step that `Undo` would undo: what names it (`token`, for `Undo`), its event (`done` with the
        # milestone, `M` or `M@LABEL`, for a milestone marked done), when it was applied, by whom (`actor` as the front end
        # named the person), and the state the instance was in before it.
        type UndoableStep (token: string, event: string, milestone: ?string, at: string, actor: ?string, state: ?string)

        # `instance` is a vn.tiendo.Manager Instance. `nextTransition`: sent by `Instance`, and by `Instances` for an
        # instance with no deadline open. `undo`: sent by `Instance` when a step can be undone. `bases`: sent by `Instance`,
        # how each open deadline's due is counted, in words, by its key in `Instance.deadlines` ("" for the state's, a
        # milestone's id; none for an occurrence or a due written as a day alone), e.g. "": "30 ngày làm việc sau «Ngày
        # chi bộ họp, ra nghị quyết» (27/02/2026)". `definition`: sent by `Instance` for an instance that runs another version
        # of its workflow than the one in force (format §9): that version, whose states and steps are the instance's.
        type InstanceEntry (
          instance: object, group: ?string, label: ?string, nextTransition: ?TimedTransition, undo: ?UndoableStep,
          bases: ?[string]string, definition: ?WorkflowInfo
        )

        method Workflows() -> (now: string, workflows: []WorkflowInfo)

        method Calendar(workflow: string, from: string, until: string) -> (calendar: string, title: string, days: []CalendarDay)

        # Every overdue item of the selection and those due within `days` (30) days, or with `from` and `until` those due
        # on these local dates, earliest first: one page of them (each a vn.tiendo.Manager DueItem with `label`), and the
        # counts of the whole selection. `groups`: "" is "no group".
        method Due(
          workflow: ?string,
          groups: ?[]string,
          state: ?string,
          search: ?string,
          days: ?int,
          from: ?string,
          until: ?string,
          offset: ?int,
          limit: ?int
        ) -> (now: string, counts: DueCounts, items: []object)

        # What some of a day's items are about: one workflow's deadline title (with the occurrence of a recurring
        # milestone), its items, how many are overdue, how many instances they belong to and, when one, which and its name;
        # `provisional` when a due depends on a projected calendar year.
        type DayTask (
          workflow: string,
          title: string,
          occurrence: ?string,
          items: int,
          overdue: int,
          records: int,
          provisional: ?bool,
          instance: ?string,
          label: ?string
        )

        # `tasks` only when asked: at most that many DayTasks, the earliest due first, then the largest.
        type DayCount (date: string, items: int, overdue: int, tasks: ?[]DayTask)

        # Items due on each local date from `from` to `until` (at most 400 days), for a month view; with `tasks` (1 to 10),
        # what at most that many of each day's tasks are.
        method DueDays(
          workflow: ?string,
          groups: ?[]string,
          state: ?string,
          from: string,
          until: string,
          tasks: ?int
        ) -> (now: string, days: []DayCount)

        # One page of instances by id; `next` is the cursor for `after`; `total` unless a search or `movesWithin`
        # asks (each would read every record). `movesWithin` (1 to 366 days): only those with no deadline open whose
        # next timed transition comes within that many days from now.
        method Instances(
          workflow: ?string,
          groups: ?[]string,
          state: ?string,
          overdue: ?bool,
          movesWithin: ?int,
          search: ?string,
          after: ?string,
          limit: ?int
        ) -> (now: string, instances: []InstanceEntry, next: ?string, total: ?int)

        # Every group of the selection, by workflow then group. With `limit`, the first `limit` by most overdue, then
        # most due soon, then name and workflow, and `totals`: per workflow, what all the selection's groups add up to.
        method Groups(workflow: ?string, groups: ?[]string, limit: ?int) -> (now: string, groups: []GroupSummary, totals: ?[]WorkflowTotals)

        # GetInstance with the group and label.
        method Instance(id: string) -> (now: string, instance: InstanceEntry)

        # Undoes the instance's latest step (an event, or a milestone marked done), recorded at most 7 days ago and not
        # undone yet: the instance is put back as it was just before the step and brought up to now as if the step had
        # never been recorded (a timed transition the step's state took is forgotten; one the earlier state takes in the
        # meantime is taken). What the step wrote stays in history, followed by an `undone` record. Callers as for
        # vn.tiendo.Manager.SendEvent. `token`: the step's, as `Instance` gave it; another step is then refused (a page shown
        # before someone recorded a newer step). The step's idempotency key, if it had one, is forgotten. `instance` is a
        # vn.tiendo.Manager Instance.
        method Undo(id: string, token: ?string, actor: ?string) -> (instance: object)

        # No step of the instance can be undone, and why.
        error NothingToUndo (id: string, reason: string)

        # An operator's change (vn.tiendo.Manager StartInstance, SendEvent, CompleteMilestone, ImportInstances; Undo) was
        # refused because the clock is more than a day behind the newest record written (`newest`; `now`: the clock,
        # both ISO 8601): dated by it, the change would come before what history already holds. Nothing was changed. It
        # passes once the clock is set right, or tiendod runs with `--trust-clock`.
        error ClockBehind (now: string, newest: string)

        # Copies the state database as it is at one moment into `backups/` beside it, as
        # `tiendo-YYYY-MM-DD-HHMMSS.sqlite` (local time), checked (`PRAGMA quick_check`) before it takes that name; with
        # `keep` (at least 1), then keeps the copies of that many latest days that have one (a day's copies count once)
        # and removes the others, never the new one (those named after it count as the oldest days). Callers as
        # for vn.tiendo.Manager.SendEvent. `at`: when the copy was taken; `bytes`: its size; `instances`: how many it holds;
        # `removed`: the file names of the copies removed.
        method Backup(keep: ?int) -> (path: string, at: string, bytes: int, instances: int, removed: []string)

        # No copy was made (a full disk, a directory that cannot be written, another backup under way), and why; nothing
        # was left in `backups/` but, at worst, a hidden `.partial` file the next backup removes.
        error BackupFailed (reason: string)

        # A copy in `backups/`: its file name, when it was taken (as its name says), its size; for the copy taken
        # before a package upgrade, the version it goes back to.
        type BackupCopy (name: string, at: string, bytes: int, upgradedFrom: ?string)

        # The copies `Backup` made that are in `backups/` (`directory`), newest first.
        method Backups() -> (now: string, directory: string, copies: []BackupCopy)

        """#

    static let service = #"""
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """#
}
