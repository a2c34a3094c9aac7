// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode is the package default;
/// these two keep existentials explicit and imports honest.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "StudyCafeKiosk",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kioskd", targets: ["KioskDaemon"]),
        .executable(name: "kioskd-bench", targets: ["kioskd-bench"]),
        .executable(name: "cafe-server", targets: ["CafeServerMain"]),
        .library(name: "CafeProtocol", targets: ["CafeProtocol"]),
        .library(name: "KioskCore", targets: ["KioskCore"]),
        .library(name: "CafeServer", targets: ["CafeServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // cafe-server
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
    ],
    targets: [
        // MARK: C libraries (module map + shim only)
        .systemLibrary(
            name: "CZBar", pkgConfig: "zbar",
            providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(
            name: "CGPIOD", pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(
            name: "CQREncode", pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        // The kernel's V4L2 header (videodev2.h) and the ioctl request codes.
        .systemLibrary(
            name: "CV4L2",
            providers: [.apt(["linux-libc-dev"])]),
        // ZXing-C++ 1.4 has a C++ API only: this target exposes one C function over it.
        .target(
            name: "CZXing",
            // Headers come from Debian's libzxing-dev in /usr/include/ZXing.
            linkerSettings: [.linkedLibrary("ZXing"), .linkedLibrary("stdc++")]),

        // MARK: Swift
        .target(
            name: "CafeProtocol",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // The pass's QR code as a matrix (libqrencode), SVG and terminal text: what the kiosk
        // and the server's web pages both draw, without the kiosk's camera and decoders.
        .target(
            name: "PassQR",
            dependencies: ["CQREncode"],
            swiftSettings: swiftSettings),
        .target(
            name: "KioskCore",
            dependencies: [
                "CafeProtocol", "PassQR", "CZBar", "CQREncode", "CCurl", "CPNG", "CTurboJPEG", "CZXing", "CV4L2", "CGPIOD",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings),
        // What `kioskd run` is: the daemon's services in one ServiceGroup, its configuration
        // file, systemd's notify protocol, logs and metrics. Testable without a shell.
        .target(
            name: "KioskRuntime",
            dependencies: [
                "KioskCore", "CafeProtocol", "ServiceLogging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings),
        // The synthetic camera and its scenes: for the demo, the tests and the benchmarks,
        // never on the shipped daemon's live path.
        .target(
            name: "KioskSimulation",
            dependencies: ["KioskCore"],
            swiftSettings: swiftSettings),
        // What kioskd's commands and the benchmark commands share: --state-dir, output, --budget.
        .target(
            name: "KioskCLI",
            dependencies: [
                "KioskCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "KioskDaemon",
            dependencies: [
                "KioskCore", "KioskCLI", "KioskRuntime", "KioskSimulation", "CafeProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // `kioskd-bench`: the kiosk's benchmarks (decoding, offline and online check-ins, backlog,
        // the door loop's memory over a million frames), apart from the shipped binary.
        .executableTarget(
            name: "kioskd-bench",
            dependencies: [
                "KioskCore", "KioskCLI", "KioskRuntime", "KioskSimulation", "CafeProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/KioskBench",
            swiftSettings: swiftSettings),
        .target(
            name: "CafeServer",
            dependencies: [
                "CafeProtocol", "PassQR",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: swiftSettings),
        // How kioskd and cafe-server log: journald's form under systemd, timestamps on a terminal.
        .target(
            name: "ServiceLogging",
            dependencies: ["CafeProtocol", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "CafeServerMain",
            dependencies: [
                "CafeServer", "CafeProtocol", "ServiceLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/cafe-server",
            swiftSettings: swiftSettings),

        // MARK: Tests
        // Test doubles shared by the test targets (a scriptable loopback HTTP server).
        .target(
            name: "KioskTestSupport",
            dependencies: ["KioskCore"],
            path: "Tests/Support",
            swiftSettings: swiftSettings),
        // How the fakes of remote services serve on loopback.
        .target(
            name: "FakeServerKit",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FakeServerKit",
            swiftSettings: swiftSettings),
        // A local BootPay REST v2 server, for the server's tests, integration tests and the demo.
        .target(
            name: "FakeBootPay",
            dependencies: [
                "FakeServerKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/FakeBootPay",
            swiftSettings: swiftSettings),
        // A local Firebase Cloud Messaging (OAuth2 token endpoint + HTTP v1 send), for tests and the demo.
        .target(
            name: "FakeFCM",
            dependencies: [
                "FakeServerKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Tests/FakeFCM",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CafeProtocolTests",
            dependencies: ["CafeProtocol", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KioskCoreTests",
            dependencies: ["KioskCore", "KioskSimulation", "CafeProtocol", "KioskTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KioskRuntimeTests",
            dependencies: ["KioskRuntime", "KioskCore", "KioskSimulation", "CafeProtocol", "KioskTestSupport",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // A real cafe-server on loopback over a fresh SQLite or PostgreSQL database, for the
        // server's tests and the kiosk's integration tests.
        .target(
            name: "CafeServerTesting",
            dependencies: [
                "CafeServer", "CafeProtocol", "FakeBootPay", "FakeFCM",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Tests/CafeServerTesting",
            swiftSettings: swiftSettings),
        // `fake-bootpay`: the same fake as a process, for scripts/check-openapi.
        .executableTarget(
            name: "fake-bootpay",
            dependencies: ["FakeBootPay"],
            path: "Tests/FakeBootPayServer",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CafeServerTests",
            dependencies: ["CafeServer", "CafeProtocol", "FakeBootPay", "FakeFCM", "CafeServerTesting",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KioskDaemonTests",
            dependencies: ["KioskCore", "KioskSimulation", "CafeProtocol", "KioskDaemon", "kioskd-bench", "KioskTestSupport", "CafeServerTesting",
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
