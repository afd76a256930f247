// swift-tools-version: 6.1
// An external strategy for Gantry, as a trading desk would write one: its own package, depending only on Gantry's
// `GantryStrategy` library product (and GantryCore/GantryBook, which it re-exports the types of).
import PackageDescription

let package = Package(
    name: "ImbalanceStrategy",
    products: [.library(name: "ImbalanceStrategy", targets: ["ImbalanceStrategy"])],
    dependencies: [.package(name: "Gantry", path: "../..")],
    targets: [
        .target(
            name: "ImbalanceStrategy",
            dependencies: [
                .product(name: "GantryStrategy", package: "Gantry"), .product(name: "GantryCore", package: "Gantry"),
                .product(name: "GantryBook", package: "Gantry"),
            ]),
        .executableTarget(name: "imbalance-replay", dependencies: ["ImbalanceStrategy"]),
        .testTarget(name: "ImbalanceStrategyTests", dependencies: ["ImbalanceStrategy"]),
    ],
    swiftLanguageModes: [.v6]
)
