import Foundation
import Testing
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// The typed client against the real daemon: every method's reply reads as the interface's types, and every error
/// the daemon answers becomes its `ManagerError`.
@Suite(.serialized)
struct ManagerClientTests {
    @Test("every vn.tiendo.Manager method through the typed client, with its errors")
    func everyMethod() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        let client = d.client
        let status = try client.getStatus()
        #expect(status.status.workflows == 1 && status.status.instances == 0 && status.workflows.map(\.id) == ["hop"])
        #expect(status.status.pid == Int(d.process?.processIdentifier ?? 0))

        let data = JSON.object([("ma", .string("G1")), ("han", .string("2026-03-06"))])
        let started = try client.startInstance(workflow: "hop", key: "k1", data: data)
        #expect(started.id == "hop/k1" && started.state == "moi" && started.data["han"] == .string("2026-03-06"))
        #expect(started.milestones.map(\.id) == ["bao-cao"] && !started.milestones[0].done)
        #expect(throws: ManagerError.instanceExists(id: "hop/k1")) { try client.startInstance(workflow: "hop", key: "k1", data: data) }
        #expect(throws: ManagerError.noSuchWorkflow(workflow: "khong")) { try client.startInstance(workflow: "khong") }
        do {
            _ = try client.startInstance(workflow: "hop", key: "k9", data: .object([("han", .string("xx"))]))
            Issue.record("accepted han=xx")
        } catch ManagerError.invalidData(let field, _) {
            #expect(field == "han")
        }

        let rows: [JSON] = ["k2", "k3"].map { .object([("key", .string($0)), ("han", .string("2026-03-10"))]) }
        #expect(try client.importInstances(workflow: "hop", rows: rows) == 2)
        do {
            _ = try client.importInstances(workflow: "hop", rows: [.object([("key", .string("k4"))]), rows[0]])
            Issue.record("accepted a row without han")
        } catch ManagerError.importRejected(let errors) {
            #expect(errors.map(\.line) == [1, 2] && errors.allSatisfy { $0.file == "hop" })
        }

        let connection = try d.connect()
        let first = try connection.listInstances(workflow: "hop", limit: 2)
        #expect(first.instances.map(\.id) == ["hop/k1", "hop/k2"] && first.next != nil)
        let second = try connection.listInstances(workflow: "hop", limit: 2, after: first.next)
        #expect(second.instances.map(\.id) == ["hop/k3"] && second.next == nil)

        #expect(throws: ManagerError.noSuchInstance(id: "hop/nope")) { try client.getInstance(id: "hop/nope") }
        do {
            _ = try client.sendEvent(id: "hop/k1", event: "xong")
            Issue.record("moi accepted xong")
        } catch ManagerError.eventRejected(let id, let event, let state, _) {
            #expect(id == "hop/k1" && event == "xong" && state == "moi")
        }
        let done = try client.completeMilestone(id: "hop/k1", milestone: "bao-cao")
        #expect(done.milestones.first?.done == true && done.milestones.first?.doneAt != nil)

        let agenda = try client.agenda(days: 30)
        #expect(Set(agenda.map(\.instance)).isSuperset(of: ["hop/k2", "hop/k3"]))
        #expect(agenda.allSatisfy { $0.workflow == "hop" && !$0.title.isEmpty })
        let history = try client.history(id: "hop/k1")
        #expect(history.first?.kind == .started && history.first?.actor == Int(getuid()))
        #expect(history.contains { $0.kind == .milestoneDone && $0.milestone == "bao-cao" })

        let reload = try client.reload()
        #expect(reload.workflows.map(\.id) == ["hop"] && reload.diagnostics.isEmpty)
        #expect(throws: ManagerError.expectedMore) { try client.call(Manager.Watch()) }
        #expect(d.stop() == 0)
    }

    @Test("watch: records arrive as they happen, typed")
    func watch() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        let registered = DispatchSemaphore(value: 0)
        let received = DispatchSemaphore(value: 0)
        let socket = d.socket
        let box = RecordBox()
        let watcher = Thread {
            do {
                let connection = try VarlinkConnection(path: socket, timeout: 60)
                try connection.stream(Manager.Watch()) { p in
                    guard let record = try Manager.Watch.reply(from: p) else {
                        registered.signal()  // the empty first reply: the stream is open
                        return true
                    }
                    box.set(record)
                    return false
                }
            } catch {
                box.fail("\(error)")
            }
            received.signal()
        }
        watcher.start()
        #expect(registered.wait(timeout: .now() + 30) == .success)
        _ = try d.client.startInstance(workflow: "hop", key: "w1", data: .object([("han", .string("2026-03-06"))]))
        #expect(received.wait(timeout: .now() + 30) == .success)
        let (record, failure) = box.get()
        #expect(failure == nil)
        #expect(record?.kind == .started && record?.instance == "hop/w1" && record?.workflow == "hop")
        #expect(d.stop() == 0)
    }
}

/// What the watching thread saw.
private final class RecordBox: @unchecked Sendable {
    private let lock = NSLock()
    private var record: Manager.Record?
    private var failure: String?

    func set(_ r: Manager.Record) { lock.withLock { record = r } }
    func fail(_ f: String) { lock.withLock { failure = f } }
    func get() -> (Manager.Record?, String?) { lock.withLock { (record, failure) } }
}
