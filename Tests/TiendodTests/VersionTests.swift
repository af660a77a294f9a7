import Foundation
import Testing
import TiendoCore
import TiendoVersion

/// The one version string (README, "Versions"): what scripts/version.sh computes from git is what the build put
/// into every program and into GetStatus.
@Suite struct VersionTests {
    @Test("tiendod --version, tiendoctl --version and GetStatus show the version scripts/version.sh computes")
    func versionFromGit() throws {
        let (status, out) = try run("/bin/sh", [(Build.root as NSString).appendingPathComponent("scripts/version.sh")])
        try #require(status == 0, "scripts/version.sh: \(out)")
        let expected = out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(expected.first?.isNumber == true)
        #expect(TiendoVersion.string == expected)
        for program in ["tiendod", "tiendoctl"] {
            let (code, printed) = try run(Build.binary(program), ["--version"])
            #expect(code == 0)
            #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(program) --version")
        }
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(try d.call("GetStatus")["status"]?["version"]?.stringValue == expected)
        #expect(try d.connect().call("org.varlink.service.GetInfo", parameters: [])["version"]?.stringValue == expected)
        #expect(d.stop() == 0)
    }
}
