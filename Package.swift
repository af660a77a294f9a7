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
        .executable(name: "tiendod", targets: ["tiendod"]),
        .library(name: "TiendoCore", targets: ["TiendoCore"]),
        .library(name: "TiendoVarlink", targets: ["TiendoVarlink"]),
        .executable(name: "tiendo-deliver", targets: ["tiendo-deliver"]),
        .executable(name: "tiendo-web", targets: ["tiendo-web"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Delivery channels and tiendo-web; tiendod and tiendoctl link none of these.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Delivery channels only (tiendo-deliver).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // tiendo-web only: the HTTP server, its password hashing and sessions, and multipart uploads. Hummingbird's
        // default traits (swift-configuration support) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        // Pure, deterministic engine: definitions, date algebra, calendars, step function. No I/O but file reading.
        .target(
            name: "TiendoCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // The programs' argument parsing in Vietnamese: ArgumentParser's own errors and help headings said in
        // Vietnamese (the library has no localisation).
        .target(
            name: "TiendoCommandLine",
            dependencies: ["TiendoCore", "CLinux", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // The version from git, `TiendoVersion.string`: imported by the programs only (Sources/TiendoVersion says why).
        .target(name: "TiendoVersion", swiftSettings: strict, plugins: ["TiendoVersionPlugin"]),
        // Writes TiendoVersion.swift into TiendoVersion before every build: the version from git (scripts/version.sh).
        .plugin(name: "TiendoVersionPlugin", capability: .buildTool()),
        // The only code that touches SQLite: instances, definitions by digest, history/outbox, schedule index, and the
        // delivery queue (rows fanned out in the record's transaction, TiendoDelivery's queue rules in SQL).
        .target(
            name: "TiendoStore",
            dependencies: ["TiendoCore", "TiendoDelivery", "CSQLiteConfig", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The varlink wire protocol for every client of tiendod: framing, a synchronous Unix-socket client, and the
        // typed values, errors and calls of `vn.tiendo.Manager` and of the extension `vn.tiendo.Delivery` (whose jobs
        // and reports are TiendoDelivery's values).
        .target(
            name: "TiendoVarlink",
            dependencies: ["TiendoCore", "TiendoDelivery"],
            swiftSettings: strict
        ),
        // Process-wide SQLite settings (sqlite3_config is variadic: Swift cannot call it); Debian's libsqlite3, which
        // GRDB links too.
        .target(name: "CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Linux interfaces Swift's Glibc module lacks (eventfd, timerfd, signalfd, SO_PEERCRED).
        .target(name: "CLinux"),
        // A load-time constructor of tiendod alone: blocks the signals the loop handles before any thread starts.
        .target(name: "CTiendodStart"),
        // libsystemd: sd_notify, sd_listen_fds_with_names, sd_watchdog_enabled, sd_journal_sendv.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The daemon: scheduling loop, clock, status files, record emission, reload, service manager and journal.
        .target(
            name: "TiendoDaemon",
            dependencies: [
                "TiendoCore", "TiendoStore", "TiendoVarlink", "TiendoDelivery", "CLinux", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tiendod",
            dependencies: [
                "TiendoCore",
                "TiendoVersion",
                "TiendoCommandLine",
                "TiendoDaemon",
                "CTiendodStart",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tiendoctl",
            dependencies: [
                "TiendoCore",
                "TiendoVersion",
                "TiendoCommandLine",
                "TiendoVarlink",
                "TiendoDelivery",
                "TiendoSheets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Delivery without network: routing file, recipients, fan-out, quiet hours and digests, messages (RFC 5322),
        // retry policy, error classes, rate limits, the queue protocol and the sender's loop. tiendod can link it.
        .target(
            name: "TiendoDelivery",
            dependencies: ["TiendoCore"],
            swiftSettings: strict
        ),
        // The channels that touch the network or other programs: SMTP (swift-nio + swift-nio-ssl), sendmail, webhooks
        // (async-http-client, HMAC from swift-crypto).
        .target(
            name: "TiendoChannels",
            dependencies: [
                "TiendoDelivery", "TiendoCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The sender: works the delivery queue through the channels, in its own process and unit (no store access).
        .executableTarget(
            name: "tiendo-deliver",
            dependencies: [
                "TiendoDelivery", "TiendoChannels", "TiendoDaemon", "TiendoVarlink", "TiendoCore", "TiendoVersion", "TiendoCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TiendoDeliveryTests",
            dependencies: ["TiendoDelivery", "TiendoChannels", "TiendoCore", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // libxlsxwriter (Debian's libxlsxwriter-dev): the XLSX export of tiendo-web.
        .systemLibrary(name: "CXlsxWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        // zlib (Debian's zlib1g-dev): inflating the parts of an uploaded Excel workbook (TiendoSheets/ZipArchive.swift).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Lists people keep in Excel (or CSV) read for an import, by tiendo-web's /nhap and `tiendoctl import`: the
        // workbook's archive (own ZIP reader over zlib), its XML parts (Foundation's XMLParser), the sheet holding the
        // list, cells as the workflow's fields read them.
        .target(
            name: "TiendoSheets",
            dependencies: ["TiendoCore", "TiendoVarlink", "CZlib"],
            swiftSettings: strict
        ),
        // The web front end: pages, accounts, sessions, CSV/XLSX, all through TiendoVarlink (never the store).
        .target(
            name: "TiendoWeb",
            dependencies: [
                "TiendoCore", "TiendoVarlink", "TiendoDelivery", "TiendoSheets", "CXlsxWriter", "CLinux",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "tiendo-web",
            dependencies: [
                "TiendoCore", "TiendoVersion", "TiendoCommandLine", "TiendoWeb", "TiendoVarlink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TiendoCoreTests",
            dependencies: ["TiendoCore"],
            swiftSettings: strict
        ),
        // Framing without sockets, and the client against a tiny server thread in the test.
        .testTarget(
            name: "TiendoVarlinkTests",
            dependencies: ["TiendoVarlink", "TiendoCore"],
            swiftSettings: strict
        ),
        // The daemon's journald fields and swift-log handler, without journald (tests/systemd runs the real one).
        .testTarget(
            name: "TiendoDaemonTests",
            dependencies: [
                "TiendoDaemon", "TiendoCore", "TiendoStore", "TiendoDelivery", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // tiendo-web's routes in process (no sockets) against the real tiendod, its text, accounts, export files and
        // the workbooks it imports (built here with zlib).
        .testTarget(
            name: "TiendoWebTests",
            dependencies: [
                "TiendoWeb", "TiendoVarlink", "TiendoCore", "TiendoSheets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                "CZlib",
            ],
            swiftSettings: strict
        ),
        // Integration tests: run the real tiendod binary against real SQLite (and journald/systemd where present).
        .testTarget(
            name: "TiendodTests",
            dependencies: ["TiendoCore", "TiendoVersion", "TiendoStore", "TiendoVarlink", "CLinux"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
