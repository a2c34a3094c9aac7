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
        .library(name: "CafeProtocol", targets: ["CafeProtocol"]),
        .library(name: "KioskCore", targets: ["KioskCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries (module map + shim only)
        .systemLibrary(
            name: "CZBar", pkgConfig: "zbar",
            providers: [.apt(["libzbar-dev"])]),
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
        .target(
            name: "KioskCore",
            dependencies: [
                "CafeProtocol", "CZBar", "CQREncode", "CCurl", "CPNG", "CTurboJPEG", "CZXing",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "KioskDaemon",
            dependencies: [
                "KioskCore", "CafeProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Tests
        // Test doubles shared by the test targets (a scriptable loopback HTTP server).
        .target(
            name: "KioskTestSupport",
            path: "Tests/Support",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CafeProtocolTests",
            dependencies: ["CafeProtocol", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KioskCoreTests",
            dependencies: ["KioskCore", "CafeProtocol", "KioskTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KioskDaemonTests",
            dependencies: ["KioskCore", "CafeProtocol", "KioskDaemon", "KioskTestSupport",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
