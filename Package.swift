// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

let package = Package(
    name: "Gantry",
    products: [
        .executable(name: "gantry", targets: ["gantry"]),
        .executable(name: "gantry-venue-sim", targets: ["gantry-venue-sim"]),
        .library(name: "GantryCore", targets: ["GantryCore"]),
        .library(name: "GantryLog", targets: ["GantryLog"]),
        .library(name: "GantryRing", targets: ["GantryRing"]),
        .library(name: "GantryLoop", targets: ["GantryLoop"]),
        .library(name: "GantryNet", targets: ["GantryNet"]),
        .library(name: "GantryBook", targets: ["GantryBook"]),
        .library(name: "GantryVenues", targets: ["GantryVenues"]),
        .library(name: "GantryStrategy", targets: ["GantryStrategy"]),
        .library(name: "GantryRisk", targets: ["GantryRisk"]),
        .library(name: "GantryExecution", targets: ["GantryExecution"]),
        .library(name: "GantryEngine", targets: ["GantryEngine"]),
        .library(name: "GantryJournal", targets: ["GantryJournal"]),
        .library(name: "VenueSim", targets: ["VenueSim"]),
        .library(name: "GantryOnChain", targets: ["GantryOnChain"]),
        .library(name: "GantryOps", targets: ["GantryOps"]),
        .library(name: "GantryBus", targets: ["GantryBus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // The benchmark's own malloc interposer, used directly where a benchmark counts one thread's allocations.
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.5.0"),
    ],
    targets: [
        // C, quarantined: system libraries through pkg-config, plus one tiny C target.
        .systemLibrary(name: "CUV", path: "CShims/CUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "CShims/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "CShims/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "CShims/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CHiredis", path: "CShims/CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CNuma", path: "CShims/CNuma", pkgConfig: "numa", providers: [.apt(["libnuma-dev"])]),
        .target(name: "CGantry", path: "CShims/CGantry"),
        .target(name: "CDecimal", path: "CShims/CDecimal"),
        .target(name: "CCRC32", path: "CShims/CCRC32"),
        .target(name: "CCRC32C", path: "CShims/CCRC32C"),

        .target(name: "GantryCore", dependencies: ["CDecimal"]),
        // Logging off the hot path: swift-log with a structured stderr handler that keeps secrets out.
        .target(name: "GantryLog", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "GantryLogTests", dependencies: ["GantryLog", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "GantryRing",
            dependencies: ["GantryCore", "CGantry", "CNuma", .product(name: "Atomics", package: "swift-atomics")]
        ),
        .target(
            name: "GantryLoop",
            dependencies: [
                "GantryCore", "GantryRing", "CGantry", "CUV",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(
            name: "GantryNet",
            dependencies: ["GantryCore", "GantryRing", "CGantry", "COpenSSL", "CZlib", .product(name: "Logging", package: "swift-log")]),
        .target(name: "GantryBook", dependencies: ["GantryCore"]),
        .target(name: "GantryVenues", dependencies: ["GantryCore", "GantryBook", "CZlib", "CCRC32", "COpenSSL"]),
        // The plugin API and the built-in strategies: they read books and emit intents, and cannot send an order.
        .target(name: "GantryStrategy", dependencies: ["GantryCore", "GantryBook"]),
        .testTarget(name: "GantryStrategyTests", dependencies: ["GantryStrategy", "GantryBook", "GantryCore", "GantryTestSupport"]),
        // The central veto: pre-trade rules, positions, PnL, halts; the only maker of an approved order.
        .target(name: "GantryRisk", dependencies: ["GantryCore", "GantryBook"]),
        .testTarget(name: "GantryRiskTests", dependencies: ["GantryRisk", "GantryBook", "GantryCore", "GantryTestSupport"]),
        // The smart order router, the order state machine, and (with the venues' codecs) order-send.
        .target(
            name: "GantryExecution",
            dependencies: ["GantryCore", "GantryBook", "GantryRisk", "GantryNet", "GantryVenues", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "GantryExecutionTests",
            dependencies: ["GantryExecution", "GantryRisk", "GantryBook", "GantryCore", "GantryNet", "GantryVenues", "VenueSim", "GantryLoop"]),
        .target(name: "GantryReport", dependencies: ["GantryCore", "GantryExecution"]),
        // The control plane: its HTTP server on a cold thread, the Prometheus text writer, the dashboard, the client.
        .target(
            name: "GantryOps",
            dependencies: ["GantryCore", "GantryNet", .product(name: "TOMLKit", package: "TOMLKit"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "GantryOpsTests", dependencies: ["GantryOps", "GantryCore", "GantryNet", "GantryTestSupport"]),
        .testTarget(name: "GantryReportTests", dependencies: ["GantryReport", "GantryExecution", "GantryCore", "GantryTestSupport"]),
        .target(
            name: "GantryEngine",
            dependencies: [
                "GantryCore", "GantryRing", "GantryLoop", "GantryNet", "GantryBook", "GantryVenues", "GantryStrategy", "GantryRisk",
                "GantryExecution", "GantryLog", "GantryJournal", "GantryOnChain", "GantryBus",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The append-only record of events and decisions: CRC32C-checked records, group commit, rotation, recovery.
        .target(
            name: "GantryJournal",
            dependencies: ["GantryCore", "GantryRing", "GantryLoop", "CCRC32C", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "GantryJournalTests", dependencies: ["GantryJournal", "GantryCore", "GantryRing", "GantryLoop", "GantryTestSupport"]),
        .executableTarget(
            name: "gantry",
            dependencies: [
                "GantryCore", "GantryRing", "GantryLoop", "GantryNet", "GantryEngine", "GantryLog", "GantryRisk", "GantryExecution", "GantryReport", "GantryJournal", "CSQLite",
                "GantryOps", "GantryBus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // `make release` (scripts/release.sh) writes ReleaseStamp.generated.swift (version and commit) and sets
            // GANTRY_RELEASE_STAMP; without it (a plain `swift build`) `gantry version` says "dev".
            swiftSettings: ProcessInfo.processInfo.environment["GANTRY_RELEASE_STAMP"] == nil ? [] : [.define("GANTRY_RELEASE_STAMP")]
        ),

        .executableTarget(
            name: "gantry-venue-sim",
            dependencies: [
                "VenueSim", "GantryCore", "GantryLoop", "GantryNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // What the test targets share: where the recorded venue data is (skipped, saying why, when absent).
        .target(name: "GantryTestSupport", dependencies: ["GantryCore", "GantryNet", "VenueSim", "GantryOps"], path: "Tests/GantryTestSupport"),
        .testTarget(name: "GantryCoreTests", dependencies: ["GantryCore"]),
        .testTarget(name: "GantryRingTests", dependencies: ["GantryRing", "GantryCore"]),
        .testTarget(name: "GantryLoopTests", dependencies: ["GantryLoop", "GantryRing", "GantryCore"]),
        .testTarget(name: "GantryBookTests", dependencies: ["GantryBook", "GantryCore"]),
        .testTarget(
            name: "GantryVenuesTests",
            dependencies: ["GantryVenues", "GantryBook", "GantryCore", "CCRC32", "CZlib", "GantryTestSupport", "GantryNet", "VenueSim"]),
        .target(name: "VenueSim", dependencies: ["GantryCore", "GantryBook", "GantryNet", "GantryVenues", "GantryLoop", .product(name: "TOMLKit", package: "TOMLKit")]),
        .testTarget(
            name: "VenueSimTests", dependencies: ["VenueSim", "GantryCore", "GantryNet", "GantryVenues", "GantryBook", "GantryTestSupport"]),
        .testTarget(
            name: "GantryEngineTests",
            dependencies: [
                "GantryEngine", "GantryVenues", "GantryNet", "GantryLoop", "GantryRing", "GantryBook", "GantryCore", "VenueSim",
                "GantryTestSupport", "CSQLite", "GantryOps",
            ]
        ),
        .testTarget(name: "GantryNetTests", dependencies: ["GantryNet", "GantryLoop", "GantryRing", "GantryCore"]),
        // On-chain exchange flows: an Ethereum node's JSON-RPC subscriptions decoded in place into FlowEvents.
        .target(
            name: "GantryOnChain",
            dependencies: ["GantryCore", "GantryRing", "GantryLoop", "GantryNet", "GantryVenues", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "GantryOnChainTests",
            dependencies: ["GantryOnChain", "GantryCore", "GantryRing", "GantryLoop", "GantryNet", "GantryVenues", "VenueSim"]),
        // The Redis Streams bus: events published to streams (hiredis, pipelined XADD) and read by consumer groups.
        .target(
            name: "GantryBus",
            dependencies: [
                "GantryCore", "GantryRing", "GantryLoop", "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        .testTarget(name: "GantryBusTests", dependencies: ["GantryBus", "GantryCore", "GantryRing", "GantryLoop"]),

        // Benchmarks: the C baselines measured in the same run, the ordo-one suite, and the ratio report.
        .target(name: "CBaseline", path: "Benchmarks/CBaseline"),
        .target(
            name: "BenchSupport",
            dependencies: ["CBaseline", "GantryCore", "GantryRing", "GantryLoop", "GantryNet"],
            path: "Benchmarks/BenchSupport"
        ),
        .executableTarget(
            name: "GantryBenchmarks",
            dependencies: [
                "GantryCore", "GantryRing", "GantryNet", "GantryBook", "GantryVenues", "BenchSupport", "GantryRisk", "GantryExecution",
                "GantryStrategy", "GantryJournal", "GantryLoop", .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GantryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "gantry-perf-report",
            dependencies: [
                "GantryCore", "GantryRing", "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/PerfReport"
        ),
        .executableTarget(
            name: "gantry-net-bench",
            dependencies: [
                "GantryCore", "GantryLoop", "GantryNet", "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/NetBench"
        ),
        .executableTarget(
            name: "gantry-ingest-bench",
            dependencies: [
                "GantryCore", "GantryLoop", "GantryNet", "GantryRing", "GantryEngine", "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/IngestBench"
        ),
        .executableTarget(
            name: "gantry-t2o-bench",
            dependencies: [
                "GantryCore", "GantryLoop", "GantryNet", "GantryRing", "GantryBook", "GantryVenues", "GantryStrategy", "GantryRisk",
                "GantryExecution", "GantryEngine", "GantryJournal", "BenchSupport", "VenueSim",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Benchmarks/T2OBench"
        ),
        .executableTarget(
            name: "gantry-sim-bench",
            dependencies: ["GantryCore", "GantryLoop", "GantryNet", "VenueSim"],
            path: "Benchmarks/SimBench"
        ),
        .executableTarget(
            name: "gantry-backtest-bench",
            dependencies: ["GantryCore", "GantryBook", "GantryEngine", "BenchSupport"],
            path: "Benchmarks/BacktestBench"
        ),
        .executableTarget(
            name: "gantry-journal-bench",
            dependencies: [
                "GantryCore", "GantryLoop", "GantryRing", "GantryJournal", "BenchSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/JournalBench"
        ),
        .executableTarget(
            name: "gantry-bus-bench",
            dependencies: [
                "GantryCore", "GantryLoop", "GantryRing", "GantryBus",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/BusBench"
        ),
        .executableTarget(
            name: "gantry-decode-bench",
            dependencies: ["GantryCore", "GantryLoop", "GantryBook", "GantryVenues", "BenchSupport"],
            path: "Benchmarks/DecodeBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets exist only for `make fuzz` (GANTRY_FUZZ=1, built with -sanitize=fuzzer -parse-as-library into
// .build-fuzz): their entry point hands over to libFuzzer's driver, which an ordinary build cannot link.
if ProcessInfo.processInfo.environment["GANTRY_FUZZ"] != nil {
    package.targets += [
        .executableTarget(name: "FuzzWebSocketFrames", dependencies: ["GantryNet"], path: "Fuzz/FuzzWebSocketFrames"),
        .executableTarget(name: "FuzzHTTPResponse", dependencies: ["GantryNet"], path: "Fuzz/FuzzHTTPResponse"),
        .executableTarget(
            name: "FuzzVenueDecoders", dependencies: ["GantryVenues", "GantryBook", "GantryCore"], path: "Fuzz/FuzzVenueDecoders",
            exclude: ["seeds"]),
    ]
}

// The CPU level Gantry is built for, when the build opts into one. A gateway is built on (or for) the server it
// runs on, so the project's own build (the Makefile exports GANTRY_CPU=host) takes the highest of x86-64-v3 (AVX2,
// BMI2: Haswell, Zen and later) and x86-64-v2 (SSSE3, SSE4.2) that the building machine has;
// GANTRY_CPU=x86-64-v2|x86-64-v3|x86-64-v4|native picks one. Without GANTRY_CPU (a plain `swift build`, or a package
// that depends on Gantry's libraries) nothing is added: the level reaches code generation through the Clang
// importer's -march, an unsafe flag, and SwiftPM refuses a dependency fetched by version that has one.
// With SSSE3 and SSE4.1 the decimal reader uses CDecimal's vector step (GANTRY_DECIMAL16), otherwise its word
// reader. Both read exactly the same numbers (GantryCoreTests checks each against the general parser).
let hostCPUFlags = Set(
    ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
let cpuLevel: String? = {
    #if arch(x86_64)
    guard let chosen = ProcessInfo.processInfo.environment["GANTRY_CPU"], !chosen.isEmpty, chosen != "portable" else {
        return nil
    }
    if chosen != "host" { return chosen }
    let flags = hostCPUFlags
    if flags.isSuperset(of: ["avx2", "bmi1", "bmi2", "fma", "movbe", "f16c"]) { return "x86-64-v3" }
    if flags.isSuperset(of: ["ssse3", "sse4_1", "sse4_2", "popcnt", "cx16"]) { return "x86-64-v2" }
    return nil
    #else
    return nil
    #endif
}()
if let cpuLevel {
    let cTargets: Set = ["CGantry", "CDecimal", "CCRC32", "CCRC32C", "CBaseline"]
    for target in package.targets where target.type != .system && target.type != .plugin && !cTargets.contains(target.name) {
        var settings = target.swiftSettings ?? []
        settings.append(.unsafeFlags(["-Xcc", "-march=\(cpuLevel)"]))
        // Every named level from v2 up has SSSE3 and SSE4.1; "native" has them if this machine does.
        if cpuLevel != "x86-64" && (cpuLevel != "native" || hostCPUFlags.isSuperset(of: ["ssse3", "sse4_1"])) {
            settings.append(.define("GANTRY_DECIMAL16"))
        }
        target.swiftSettings = settings
    }
}
