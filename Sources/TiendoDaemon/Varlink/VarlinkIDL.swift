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
  group: ?string,
  actor: ?int,
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
  diagnostics: []Diagnostic
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

method StartInstance(workflow: string, key: ?string, data: ?object) -> (instance: Instance)

# Extension: an import larger than one message is staged in batches under importID and committed, all or
# nothing, by the call with final: true; a staging call answers imported 0 and the rows staged so far.
method ImportInstances(
  workflow: string,
  rows: []object,
  importID: ?string,
  final: ?bool
) -> (imported: int, staged: ?int)

method SendEvent(id: string, event: string, data: ?object, idempotencyKey: ?string) -> (instance: Instance)

method CompleteMilestone(id: string, milestone: string) -> (instance: Instance)

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
