import Foundation
import PackagePlugin

/// Generates `TiendoVersion.swift` (the version shown by `--version` and GetStatus) with `scripts/version.sh`.
///
/// A prebuild command, run before every build, because the version depends on git's state (HEAD, tags, a dirty
/// work tree), which no declared input file captures. The script rewrites the file only when the version changed,
/// so an unchanged version recompiles nothing; a new one recompiles the module `TiendoVersion` and the programs that
/// import it (no library does), and relinks.
@main
struct TiendoVersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "scripts/version.sh")
        // The one override the script honours (tests/deb builds a "newer" package without a commit).
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        environment["TIENDO_VERSION"] = ProcessInfo.processInfo.environment["TIENDO_VERSION"]
        return [
            .prebuildCommand(
                displayName: "Version of tiendo from git",
                executable: URL(filePath: "/bin/sh"),
                arguments: [script.path, "--swift", output.appending(path: "TiendoVersion.swift").path],
                environment: environment,
                outputFilesDirectory: output)
        ]
    }
}
