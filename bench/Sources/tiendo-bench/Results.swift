import Foundation
import TiendoCore
import TiendoVarlink

/// A target from the issue: the value must be at least (or at most) `bound`.
struct Target {
    enum Kind: String { case atLeast = ">=", atMost = "<=" }
    var kind: Kind
    var bound: Double
    /// The N the issue states the target at (10^6); at other N the target is shown but informative only.
    var atN: Int? = 1_000_000

    func met(_ v: Double) -> Bool {
        guard !v.isNaN else { return false }
        return kind == .atLeast ? v >= bound : v <= bound
    }
    static func atLeast(_ b: Double, atN: Int? = 1_000_000) -> Target { Target(kind: .atLeast, bound: b, atN: atN) }
    static func atMost(_ b: Double, atN: Int? = 1_000_000) -> Target { Target(kind: .atMost, bound: b, atN: atN) }
}

struct Measurement {
    var scenario: String
    var n: Int?
    var metric: String
    var value: Double
    var unit: String
    var target: Target?
    var note: String?
    var extra: [(String, JSON)] = []

    /// Met/missed only where the issue states the target (at N = 10^6, or at any N when `atN` is nil).
    var verdict: Bool? {
        guard let target, !value.isNaN else { return nil }
        if let at = target.atN, n != at { return nil }
        return target.met(value)
    }

    var json: JSON {
        var o: [(String, JSON)] = [
            ("scenario", .string(scenario)), ("n", n.map { .int($0) } ?? .null), ("metric", .string(metric)),
            ("value", value.isNaN ? .null : .double(value)), ("unit", .string(unit)),
        ]
        if let target {
            o.append(
                (
                    "target",
                    .object([
                        ("op", .string(target.kind.rawValue)), ("value", .double(target.bound)),
                        ("atN", target.atN.map { .int($0) } ?? .null),
                    ])
                ))
            o.append(("met", verdict.map { .bool($0) } ?? .null))
            o.append(("meetsTargetAtThisN", value.isNaN ? .null : .bool(target.met(value))))
        }
        if let note { o.append(("note", .string(note))) }
        if !extra.isEmpty { o.append(("detail", .object(extra))) }
        return .object(o)
    }
}

/// Collects measurements, prints them as they come and as a table at the end, and writes results.json.
final class Results {
    var items: [Measurement] = []
    var failures: [(String, String)] = []
    var skipped: [(String, String)] = []
    var passed: [String] = []

    /// Runs one scenario: a `Skipped` is recorded as skipped, any other error as a failure; neither stops the run.
    func attempt(_ name: String, _ body: () throws -> Void) {
        do {
            try body()
            passed.append(name)
        } catch let e as Skipped {
            log("SKIPPED \(name): \(e)")
            skipped.append((name, e.description))
        } catch let e as VarlinkTransportError where Varlink.timedOut(e) {
            let why = "no reply from tiendod within the run's remaining budget (\(e.reasonText))"
            log("SKIPPED \(name): \(why)")
            skipped.append((name, why))
        } catch {
            log("FAILED \(name): \(error)")
            failures.append((name, "\(error)"))
        }
    }
    var facts: [(String, JSON)] = []

    func add(_ m: Measurement) {
        items.append(m)
        var line = "  \(m.scenario) N=\(m.n.map(sizeLabel) ?? "-") \(m.metric) = \(formatNumber(m.value, unit: m.unit))"
        if let t = m.target { line += "  (target \(t.kind.rawValue) \(formatNumber(t.bound, unit: m.unit)))" }
        log(line)
    }

    func add(
        _ scenario: String, n: Int?, _ metric: String, _ value: Double, _ unit: String, target: Target? = nil, note: String? = nil,
        extra: [(String, JSON)] = []
    ) {
        add(Measurement(scenario: scenario, n: n, metric: metric, value: value, unit: unit, target: target, note: note, extra: extra))
    }

    func value(_ scenario: String, n: Int?, _ metric: String) -> Double? {
        items.last { $0.scenario == scenario && $0.n == n && $0.metric == metric }?.value
    }

    /// A number from a measurement's details (`extra`).
    func detail(_ scenario: String, n: Int?, _ metric: String, _ key: String) -> Double? {
        guard let m = items.last(where: { $0.scenario == scenario && $0.n == n && $0.metric == metric }),
            let v = m.extra.first(where: { $0.0 == key })?.1
        else { return nil }
        if case .double(let d) = v { return d }
        return v.intValue.map(Double.init)
    }

    func table() -> String {
        var rows: [[String]] = [["scenario", "N", "metric", "value", "target", "met?"]]
        for m in items {
            let target = m.target.map { "\($0.kind.rawValue) \(formatNumber($0.bound, unit: m.unit))" } ?? ""
            let met: String
            switch m.verdict {
            case .some(true): met = "yes"
            case .some(false): met = "NO"
            case .none: met = m.target == nil ? "" : m.value.isNaN ? "n/a" : (m.target!.met(m.value) ? "(yes)" : "(no)")
            }
            rows.append([m.scenario, m.n.map(sizeLabel) ?? "", m.metric, formatNumber(m.value, unit: m.unit), target, met])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for (ri, r) in rows.enumerated() {
            out +=
                r.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
            if ri == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }

    func write(to path: String, mode: String, sizes: [Int], started: Date, elapsed: Double, complete: Bool) throws {
        let iso = ISO8601DateFormatter()
        let json = JSON.object([
            ("version", .int(1)), ("mode", .string(mode)), ("complete", .bool(complete)), ("startedAt", .string(iso.string(from: started))),
            ("elapsedSeconds", .double((elapsed * 10).rounded() / 10)), ("sizes", .array(sizes.map { .int($0) })),
            ("machine", .object(facts)), ("measurements", .array(items.map(\.json))),
            (
                "scenarios",
                .object([
                    ("passed", .array(passed.map(JSON.string))),
                    ("failed", .array(failures.map { .object([("scenario", .string($0.0)), ("error", .string($0.1))]) })),
                    ("skipped", .array(skipped.map { .object([("scenario", .string($0.0)), ("reason", .string($0.1))]) })),
                ])
            ),
        ])
        try (json.serialized(pretty: true) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
