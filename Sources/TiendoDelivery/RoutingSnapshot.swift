import Foundation
public import TiendoCore

/// The last routing that loaded without errors: the routing file's bytes and those of every recipient list it read,
/// kept in a state directory, so that a file broken by an edit does not stop delivery at the next start. tiendod
/// kept the last good routing in memory only: after a reboot with a broken file it fanned out nothing, and the
/// records of that time were never delivered; the sender refused to start, and systemd restarted it every 5 s.
/// Both now fall back to this copy, say so, and show the file's errors.
///
/// Stored as one JSON object (`{"file", "savedAt", "files": {PATH: BASE64}}`), written to a temporary file, synced
/// and renamed over the old one: a crash leaves the old copy or the new one.
public struct RoutingSnapshot: Sendable, Equatable {
    /// The routing file's path when it was loaded.
    public var file: String
    public var savedAt: Instant
    /// The routing file and every recipient list read with it, by the path the parser asked for.
    public var files: [String: [UInt8]]

    public static let fileName = "routing-last-good.json"

    /// Loads `file` as `RoutingParser.load` does, keeping what it read.
    public static func load(file: String, definitions: DefinitionSet?, now: Instant) -> (
        routing: Routing?, diagnostics: [Diagnostic], snapshot: RoutingSnapshot?
    ) {
        var read: [String: [UInt8]] = [:]
        let (routing, diagnostics) = RoutingParser.load(file: file, definitions: definitions) { path in
            let bytes = RoutingParser.readFromDisk(path)
            if let bytes { read[path] = bytes }
            return bytes
        }
        return (routing, diagnostics, routing == nil ? nil : RoutingSnapshot(file: file, savedAt: now, files: read))
    }

    /// The routing the copy holds when it is a copy of `file`, checked against today's workflows; nil when it is
    /// another file's or no longer loads. What a start falls back to when `file` itself has errors.
    public func routing(of file: String, definitions: DefinitionSet?) -> Routing? {
        file == self.file ? parse(definitions: definitions).0 : nil
    }

    /// The routing the copy holds, checked against today's workflows.
    public func parse(definitions: DefinitionSet?) -> (Routing?, [Diagnostic]) {
        guard let bytes = files[file] else {
            return (nil, [Diagnostic(file: file, line: 1, column: 1, severity: .error, message: "the saved copy has no routing file")])
        }
        return RoutingParser.parse(bytes: bytes, file: file, definitions: definitions) { files[$0] }
    }

    public var json: JSON {
        .object([
            ("file", .string(file)), ("savedAt", .int(Int(savedAt.seconds))),
            ("files", .object(files.keys.sorted().map { ($0, .string(Data(files[$0]!).base64EncodedString())) })),
        ])
    }

    public init(file: String, savedAt: Instant, files: [String: [UInt8]]) {
        self.file = file
        self.savedAt = savedAt
        self.files = files
    }

    public init?(json: JSON) {
        guard let file = json["file"]?.stringValue, let saved = json["savedAt"]?.intValue, let o = json["files"]?.objectValue else {
            return nil
        }
        var files: [String: [UInt8]] = [:]
        for (path, v) in o {
            guard let text = v.stringValue, let data = Data(base64Encoded: text) else { return nil }
            files[path] = [UInt8](data)
        }
        self.init(file: file, savedAt: Instant(seconds: Int64(saved)), files: files)
    }

    /// The copy in `directory`, or nil (none yet, or unreadable).
    public static func read(directory: String) -> RoutingSnapshot? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path), let j = try? JSON.parse(String(decoding: data, as: UTF8.self))
        else { return nil }
        return RoutingSnapshot(json: j)
    }

    /// Replaces the copy in `directory` (unchanged content is not written again).
    public func write(directory: String) throws(DurableFile.Failure) {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        if let old = Self.read(directory: directory), old.file == file, old.files == files { return }
        try DurableFile.replace(path: path, bytes: Array(json.serialized().utf8), mode: 0o600)
    }
}
