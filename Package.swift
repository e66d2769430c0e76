// swift-tools-version:6.0
import PackageDescription

// Layers point one way. SyncModel (versions, merges) ← SyncProtocol (wire, cursors, the server's
// policy over `ServerStorage`, the client's session over `SyncReplica`) ← LocalStore (SQLite: the
// replica, and the server's storage). SyncHTTP and SyncServerCore carry the protocol over HTTP;
// the executables sit on top. Each target declares exactly the modules its
// files import (MemberImportVisibility keeps them honest).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "field-sync",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SyncModel", targets: ["SyncModel"]),
        .library(name: "LocalStore", targets: ["LocalStore"]),
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .executable(name: "sync-server", targets: ["sync-server"]),
        .executable(name: "sync-client", targets: ["sync-client"]),
        .executable(name: "sync-bench", targets: ["sync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "SyncModel", swiftSettings: swiftSettings),
        // The system's zlib, for gzip bodies on the sync wire.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "SyncProtocol", dependencies: ["SyncModel", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CommandLineSupport",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .target(name: "CSQLiteConfig", dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(
            name: "LocalStore",
            dependencies: ["SyncModel", "SyncProtocol", "CSQLiteConfig", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PostgresStore",
            dependencies: [
                "SyncModel", "SyncProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "ThrowawayPostgres", swiftSettings: swiftSettings),
        // A poor link on 127.0.0.1 (bandwidth, round trip, cuts), for the tests and sync-bench.
        .target(name: "LinkEmulation", swiftSettings: swiftSettings),
        .target(
            name: "SyncHTTP",
            dependencies: [
                "SyncProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SyncServerCore",
            dependencies: [
                "SyncModel", "SyncProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sync-server",
            dependencies: [
                "SyncServerCore", "SyncModel", "SyncProtocol", "LocalStore", "PostgresStore", "CommandLineSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SyncClientCore",
            dependencies: ["SyncModel", "LocalStore", "SyncProtocol", "SyncHTTP"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WebDashboard",
            dependencies: [
                "SyncClientCore", "SyncModel", "LocalStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sync-client",
            dependencies: [
                "SyncClientCore", "SyncModel", "LocalStore", "SyncProtocol", "CommandLineSupport", "WebDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sync-bench",
            dependencies: [
                "SyncModel", "LocalStore", "SyncProtocol", "SyncHTTP", "SyncServerCore", "PostgresStore", "ThrowawayPostgres", "LinkEmulation", "SyncClientCore", "WebDashboard",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", dependencies: ["SyncModel", "SyncProtocol"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .target(
            name: "StoreKinds",
            dependencies: ["LocalStore", "PostgresStore", "SyncProtocol", "TestSupport", "ThrowawayPostgres", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/StoreKinds", swiftSettings: swiftSettings
        ),
        // The protocol's policy and session against in-memory stores: no SQLite linked.
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "SyncModel", "SyncProtocol", "TestSupport", "StoreKinds", "ThrowawayPostgres"], swiftSettings: swiftSettings),
        .testTarget(name: "InMemorySyncTests", dependencies: ["SyncProtocol", "SyncModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SyncModelTests", dependencies: ["SyncModel", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LocalStoreTests",
            dependencies: ["LocalStore", "SyncModel", "SyncProtocol", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            exclude: ["Fixtures"], swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncProtocolTests",
            dependencies: [
                "SyncProtocol", "LocalStore", "PostgresStore", "SyncModel", "SyncClientCore", "TestSupport", "StoreKinds", "ThrowawayPostgres",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncServerTests",
            dependencies: [
                "SyncServerCore", "SyncProtocol", "SyncHTTP", "LocalStore", "SyncModel", "TestSupport", "StoreKinds",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebDashboardTests",
            dependencies: [
                "WebDashboard", "LocalStore", "SyncModel", "SyncProtocol", "SyncClientCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncClientCoreTests", dependencies: ["SyncClientCore", "LocalStore", "SyncModel", "SyncProtocol"],
            exclude: ["Snapshots"], swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncBenchTests",
            dependencies: ["sync-bench", "LocalStore", "SyncModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["sync-client", "sync-server", "CommandLineSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport", "ThrowawayPostgres", "LinkEmulation",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
