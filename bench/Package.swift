// swift-tools-version:6.1
// The benchmark driver (issue 7). A separate package so the product's manifest stays untouched: it links the pure
// engine (TiendoCore, for the offline and in-memory scenarios) and drives the real release `tiendod` over its Unix
// socket for everything else. Build it with its own scratch path: `swift build -c release --scratch-path .build-bench`.
import PackageDescription

// A path dependency's identity is the last component of its directory, which depends on where the repository was
// cloned (`main` here, something else in CI), so derive it instead of hard-coding it.
let rootIdentity: String = {
    let dir = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "tiendo"
    return dir.lowercased()
}()

let package = Package(
    name: "tiendo-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "..")
    ],
    targets: [
        // Read-only polling of the daemon's state database (progress of the firing scenario, counts).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .executableTarget(
            name: "tiendo-bench",
            dependencies: [
                "CSQLite", .product(name: "TiendoCore", package: rootIdentity),
                .product(name: "TiendoVarlink", package: rootIdentity),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
