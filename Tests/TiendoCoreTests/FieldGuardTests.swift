import Testing

@testable import TiendoCore

/// Guards that compare a field with another field times a fraction (an extension: README), exactly.
@Suite struct FieldGuardTests {
    static func yaml(_ guardText: String, extraFields: String = "") -> String {
        """
        tiendo: 1
        title: Biểu quyết
        fields:
          n: {type: integer}
          t: {type: integer}
          x: {type: number}
          ten: {type: text}
          ngay: {type: date}
        \(extraFields)initial: a
        states:
          a:
            on:
              vote:
                - {to: b, if: \(guardText)}
          b: {final: true}

        """
    }

    func branch(_ guardText: String) throws -> Branch {
        let def = try Fixtures.workflow("g", Self.yaml(guardText))
        return try #require(def.state("a")?.branches(for: "vote")?.first)
    }

    @Test("two thirds on counts: 3·t ≥ 2·n, no rounding; missing values are false")
    func twoThirds() throws {
        let b = try branch("{t: {ge: {field: n, times: 2/3}}}")
        func holds(_ n: Int?, _ t: Int?) -> Bool {
            var d: InstanceData = [:]
            if let n { d["n"] = .integer(n) }
            if let t { d["t"] = .integer(t) }
            return b.conditions.allSatisfy { $0.holds(d) }
        }
        #expect(!holds(200, 133) && holds(200, 134))
        #expect(!holds(3, 1) && holds(3, 2) && holds(2, 2) && !holds(2, 1))
        #expect(!holds(nil, 5) && !holds(5, nil))
        // Products that overflow Int fall back to floating point and still order correctly.
        #expect(holds(Int.max / 2, Int.max / 2) && !holds(Int.max, Int.max / 3))
    }

    @Test("the other operators, a plain field reference, and numbers")
    func others() throws {
        let le = try branch("{t: {le: {field: n}}}")
        #expect(le.conditions[0].holds(["t": .integer(5), "n": .integer(5)]))
        #expect(!le.conditions[0].holds(["t": .integer(6), "n": .integer(5)]))
        let eq = try branch("{t: {eq: {field: n}}}")
        #expect(eq.conditions[0].holds(["t": .integer(5), "n": .integer(5)]))
        let half = try branch("{x: {gt: {field: n, times: 1/2}}}")
        #expect(half.conditions[0].holds(["x": .number(2.5), "n": .integer(4)]))
        #expect(!half.conditions[0].holds(["x": .number(2.0), "n": .integer(4)]))
        let dates = try branch("{ngay: {lt: {field: ngay}}}")
        #expect(!dates.conditions[0].holds(["ngay": .date(CivilDate(2026, 1, 1))]))
        #expect(half.conditions[0].text(zone: .vietnam) == "x gt 1/2 × n")
    }

    @Test(
        "bad references are errors at their position",
        arguments: [
            ("{t: {ge: {field: m}}}", "unknown field 'm' in 'if' of 'on.vote' (did you mean 'n'?)", 40),
            ("{t: {ge: {field: ten}}}", "field 't' (integer) cannot be compared with field 'ten' (text)", 40),
            ("{t: {ge: {field: n, times: 0/3}}}", "'times' must be a positive", 50),
            ("{t: {ge: {field: n, times: 2/-3}}}", "'times' must be a positive", 50),
            ("{t: {ge: {field: n, times: 2/3/4}}}", "'times' must be a positive", 50),
            ("{ten: {eq: {field: ten, times: 2}}}", "'times' must be a positive", 54),
            ("{t: {ge: {fields: n}}}", "unknown key 'fields' in a comparison in 'if' of 'on.vote' (did you mean 'field'?)", 33),
        ])
    func errors(_ guardText: String, _ fragment: String, _ column: Int) {
        let (def, diags) = Fixtures.load("g", Self.yaml(guardText))
        #expect(def == nil)
        let hit = diags.first { $0.message.contains(fragment) }
        #expect(hit.map { "\($0.line):\($0.column)" } == "14:\(column)", "\(diags)")
    }
}
