// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tiendo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tiendoctl", targets: ["tiendoctl"]),
        .library(name: "TiendoCore", targets: ["TiendoCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure, deterministic engine: definitions, date algebra, calendars, step function. No I/O but file reading.
        .target(
            name: "TiendoCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tiendoctl",
            dependencies: [
                "TiendoCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TiendoCoreTests",
            dependencies: ["TiendoCore"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
