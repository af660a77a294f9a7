import Foundation

/// Everything loaded from a search path: workflows by id, calendars used, and every diagnostic.
public struct DefinitionSet: Sendable {
    public var workflows: [String: WorkflowDefinition] = [:]
    /// Workflow ids in load order.
    public var order: [String] = []
    public var diagnostics: [Diagnostic] = []
    /// Files that were read but rejected, by workflow id.
    public var rejected: [String: String] = [:]

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public func workflow(_ id: String) -> WorkflowDefinition? { workflows[id] }
}

/// Finds and reads workflow and calendar files (workflow format §1 and §10 "Discovery").
public final class Loader {
    public static let defaultSearchPath = ["/etc/tiendo/workflows", "/usr/lib/tiendo/workflows"]

    let searchPath: [String]
    private var calendarCache: [String: (WorkCalendar?, [Diagnostic])] = [:]
    private var reportedCalendars = Set<String>()
    public private(set) var calendarDiagnostics: [Diagnostic] = []
    /// The daemon's calendars in force by id (format §10 "Calendar changes", rule 1): used for a calendar whose file
    /// is gone or has errors, so the workflows that use it keep loading with the last good version (the file's
    /// diagnostics are still reported).
    public var calendarsInForce: [String: WorkCalendar] = [:]
    /// The bytes of every calendar file this loader read without errors, by path (`WorkCalendar.file`): what the
    /// daemon stores when such a calendar becomes the one in force.
    public private(set) var calendarSources: [String: [UInt8]] = [:]

    public init(searchPath: [String]) { self.searchPath = searchPath }

    public static func isYAML(_ name: String) -> Bool { name.hasSuffix(".yaml") || name.hasSuffix(".yml") }
    /// A name a directory's listing loads: YAML, not hidden. An editor's lock file (Emacs's `.#x.yaml`), a Mac's
    /// `._x.yaml` copied from a USB stick or a file hidden on purpose is not a definition (the shell's `*.yaml`
    /// skips them too): loaded, each was an error that refused nothing but failed `validate` (authoring audit,
    /// 07/12/2026).
    public static func isListedYAML(_ name: String) -> Bool { !name.hasPrefix(".") && isYAML(name) }
    static func stem(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        return (name as NSString).deletingPathExtension
    }

    /// A definition file's bytes, or why they cannot be used. Only regular files are read (a FIFO or a device named
    /// `x.yaml` would block or never end), and never more than `DefinitionLimits.fileBytes` + 1 bytes.
    public static func readFile(_ path: String) -> Result<[UInt8], Diagnostic> {
        func problem(_ m: String) -> Result<[UInt8], Diagnostic> {
            .failure(Diagnostic(file: path, line: 1, column: 1, severity: .error, message: m))
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { return problem("cannot read file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return problem("cannot read file: \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { return problem("not a regular file") }
        if st.st_size > DefinitionLimits.fileBytes { return problem(YAMLTree.tooLarge) }
        // Sized by fstat, plus one byte to notice a file that grows while it is read (then up to the limit + 1).
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while count <= DefinitionLimits.fileBytes {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: DefinitionLimits.fileBytes + 1 - count) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return problem("cannot read file: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        if count > DefinitionLimits.fileBytes { return problem(YAMLTree.tooLarge) }  // it grew while being read
        bytes.removeSubrange(count...)
        return .success(bytes)
    }

    /// Workflow files directly in `dir` (no recursion), sorted by name, with `x.yaml` + `x.yml` reported.
    static func workflowFiles(in dir: String, diagnostics: inout [Diagnostic]) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var byStem: [String: String] = [:]
        var out: [String] = []
        for name in names.sorted() where isListedYAML(name) {
            let path = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                // Not there, yet listed: a symbolic link to nothing (a workflow linked from a directory since moved),
                // which would otherwise vanish without a word.
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    diagnostics.append(
                        Diagnostic(
                            file: path, line: 1, column: 1, severity: .error,
                            message: "symbolic link to '\(target)', which does not exist: this workflow is not loaded"))
                }
                continue
            }
            guard !isDir.boolValue else { continue }
            let s = stem(name)
            if let other = byStem[s] {
                diagnostics.append(
                    Diagnostic(
                        file: path, line: 1, column: 1, severity: .error,
                        message: "'\(name)' and '\((other as NSString).lastPathComponent)' define the same workflow '\(s)'; keep one"))
                out.removeAll { $0 == other }
                continue
            }
            byStem[s] = path
            out.append(path)
        }
        return out
    }

    /// Loads a calendar file (cached by path).
    func calendar(at path: String) -> (WorkCalendar?, [Diagnostic]) {
        if let c = calendarCache[path] { return c }
        let result: (WorkCalendar?, [Diagnostic])
        switch Loader.readFile(path) {
        case .success(let bytes):
            result = CalendarParser.parse(bytes: bytes, file: path, expectedID: Loader.stem(path))
            if result.0 != nil { calendarSources[path] = bytes }
        case .failure(let problem): result = (nil, [problem])
        }
        calendarCache[path] = result
        if reportedCalendars.insert(path).inserted { calendarDiagnostics += result.1 }
        return result
    }

    /// Calendar lookup: beside the workflow file first, then each search-path directory in order; a file with
    /// errors, or none, gives the calendar in force with that id when there is one.
    public func lookupCalendar(_ id: String, besideFile file: String) -> Result<WorkCalendar, CalendarLookupError> {
        let dirs = [(file as NSString).deletingLastPathComponent] + searchPath
        var known = Set<String>()
        for dir in dirs {
            let calDir = (dir as NSString).appendingPathComponent("calendars")
            for ext in ["yaml", "yml"] {
                let p = (calDir as NSString).appendingPathComponent("\(id).\(ext)")
                if FileManager.default.fileExists(atPath: p) {
                    let (c, _) = calendar(at: p)
                    return c.map { .success($0) } ?? calendarsInForce[id].map { .success($0) } ?? .failure(.invalid(path: p))
                }
            }
            for n in (try? FileManager.default.contentsOfDirectory(atPath: calDir)) ?? [] where Loader.isListedYAML(n) {
                known.insert(Loader.stem(n))
            }
        }
        return calendarsInForce[id].map { .success($0) } ?? .failure(.notFound(known: known.sorted()))
    }

    /// Parses one workflow file.
    public func loadWorkflow(file: String) -> (WorkflowDefinition?, [Diagnostic]) {
        switch Loader.readFile(file) {
        case .success(let bytes): return loadWorkflow(file: file, bytes: bytes)
        case .failure(let problem): return (nil, [problem])
        }
    }

    public func loadWorkflow(file: String, bytes: [UInt8]) -> (WorkflowDefinition?, [Diagnostic]) {
        var parser = WorkflowParser(file: file, expectedID: Loader.stem(file)) { [self] id in
            lookupCalendar(id, besideFile: file)
        }
        let def = parser.parse(bytes: bytes)
        return (def, parser.sink.items)
    }

    /// Loads every workflow of the search path; the first directory wins for an id.
    public func loadAll() -> DefinitionSet {
        var set = DefinitionSet()
        var seen = Set<String>()
        for dir in searchPath {
            for file in Loader.workflowFiles(in: dir, diagnostics: &set.diagnostics) {
                let id = Loader.stem(file)
                guard seen.insert(id).inserted else { continue }
                let (def, diags) = loadWorkflow(file: file)
                set.diagnostics += diags
                if let def {
                    set.workflows[id] = def
                    set.order.append(id)
                } else {
                    set.rejected[id] = file
                }
            }
        }
        // A calendar's own errors first: each workflow using it says only that it has some.
        set.diagnostics = calendarDiagnostics + set.diagnostics
        set.diagnostics += FollowUpDefinition.check(set.workflows)
        return set
    }

    /// `tiendoctl validate`: files or directories. A file is a calendar iff its parent directory is `calendars/`.
    /// `named`: the paths were given by the operator, so a directory of them without a workflow is an error; the
    /// default search path is checked as it is (a package's /etc/tiendo/workflows holds only a README).
    public func validate(paths: [String], named: Bool = true) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                out.append(Diagnostic(file: path, line: 1, column: 1, severity: .error, message: "no such file or directory"))
                continue
            }
            // Whether a file is a calendar is read from where it is, not from how its path was typed: `vn.yaml` typed
            // inside `calendars/`, or `calendars` itself given, was checked as a workflow and refused (audit, 07/12).
            let inCalendars = Loader.isCalendarDirectory(isDir.boolValue ? path : (path as NSString).deletingLastPathComponent)
            if isDir.boolValue {
                let names: [String]
                do {
                    names = try FileManager.default.contentsOfDirectory(atPath: path)
                } catch {
                    // Nothing read is not «0 lỗi».
                    let why = "cannot read directory: \(Loader.reason(error))"
                    out.append(Diagnostic(file: path, line: 1, column: 1, severity: .error, message: why))
                    continue
                }
                if inCalendars {
                    for n in names.sorted() where Loader.isListedYAML(n) { _ = calendar(at: (path as NSString).appendingPathComponent(n)) }
                    if !names.contains(where: Loader.isListedYAML) {
                        out.append(Diagnostic(file: path, line: 1, column: 1, severity: .error, message: "no calendar files (*.yaml) here"))
                    }
                    continue
                }
                var loaded: [String: WorkflowDefinition] = [:]
                let files = Loader.workflowFiles(in: path, diagnostics: &out)
                if files.isEmpty, named {
                    out.append(
                        Diagnostic(
                            file: path, line: 1, column: 1, severity: .error,
                            message: "no workflow files (*.yaml) here: nothing was checked; name the directory that holds them"))
                }
                for file in files {
                    let (def, diags) = loadWorkflow(file: file)
                    out += diags
                    if let def { loaded[def.id] = def }
                }
                out += FollowUpDefinition.check(loaded)
                let calDir = (path as NSString).appendingPathComponent("calendars")
                for n in ((try? FileManager.default.contentsOfDirectory(atPath: calDir)) ?? []).sorted() where Loader.isListedYAML(n) {
                    _ = calendar(at: (calDir as NSString).appendingPathComponent(n))
                }
            } else if inCalendars {
                _ = calendar(at: path)
            } else {
                out += loadWorkflow(file: path).1
            }
        }
        // A calendar's own errors first: each workflow using it says only that it has some, and where.
        out = calendarDiagnostics + out
        calendarDiagnostics = []
        // One report per problem, in file and position order.
        var seen = Set<Diagnostic>()
        return out.filter { seen.insert($0).inserted }
    }

    /// Whether `dir` is a `calendars/` directory, however its path was typed (`.`, relative, with `..`).
    static func isCalendarDirectory(_ dir: String) -> Bool {
        let url = URL(fileURLWithPath: dir.isEmpty ? "." : dir).standardizedFileURL.resolvingSymlinksInPath()
        return url.lastPathComponent == "calendars"
    }

    /// An error's reason in a few words (`Permission denied`), for a diagnostic.
    static func reason(_ error: any Error) -> String {
        let e = error as NSError
        if let posix = e.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if e.domain == NSCocoaErrorDomain, e.code == NSFileReadNoPermissionError { return String(cString: strerror(EACCES)) }
        return e.localizedDescription
    }

    /// Resolves `WORKFLOW` (a file path or an id in the search path).
    public func resolve(_ workflow: String) -> (WorkflowDefinition?, [Diagnostic]) {
        if Loader.isYAML(workflow) || workflow.contains("/") {
            return loadWorkflow(file: workflow)
        }
        for dir in searchPath {
            for ext in ["yaml", "yml"] {
                let p = (dir as NSString).appendingPathComponent("\(workflow).\(ext)")
                if FileManager.default.fileExists(atPath: p) { return loadWorkflow(file: p) }
            }
        }
        var known: [String] = []
        var ignored: [Diagnostic] = []
        for dir in searchPath { known += Loader.workflowFiles(in: dir, diagnostics: &ignored).map(Loader.stem) }
        return (
            nil,
            [
                Diagnostic(
                    file: workflow, line: 1, column: 1, severity: .error,
                    message: "no workflow '\(workflow)' in \(searchPath.joined(separator: ", "))\(didYouMean(workflow, known))")
            ]
        )
    }

    /// The ids of the workflow files in the search path, sorted: what a name not found could have been.
    public func workflowIDs() -> [String] {
        var ignored: [Diagnostic] = []
        return Set(searchPath.flatMap { Loader.workflowFiles(in: $0, diagnostics: &ignored).map(Loader.stem) }).sorted()
    }

    /// The ids of the calendar files in the search path's `calendars/`, sorted.
    public func calendarIDs() -> [String] {
        let names = searchPath.flatMap { dir in
            (try? FileManager.default.contentsOfDirectory(atPath: (dir as NSString).appendingPathComponent("calendars"))) ?? []
        }
        return Set(names.filter(Loader.isListedYAML).map(Loader.stem)).sorted()
    }

    /// Resolves a calendar id in the search path.
    public func resolveCalendar(_ id: String) -> (WorkCalendar?, [Diagnostic]) {
        for dir in searchPath {
            let calDir = (dir as NSString).appendingPathComponent("calendars")
            for ext in ["yaml", "yml"] {
                let p = (calDir as NSString).appendingPathComponent("\(id).\(ext)")
                if FileManager.default.fileExists(atPath: p) { return calendar(at: p) }
            }
        }
        return (
            nil,
            [
                Diagnostic(
                    file: id, line: 1, column: 1, severity: .error,
                    message: "no calendar '\(id)' in the calendars/ of \(searchPath.joined(separator: ", "))")
            ]
        )
    }
}
