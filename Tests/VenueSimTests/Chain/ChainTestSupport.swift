import Foundation
import GantryCore
import VenueSim

/// A simulated chain for tests: a token, three exchange addresses, one market (BTC at 100,000), blocks every
/// `blockMs` (100 steps a second), and a node on a free loopback port.
struct ChainFixture {
    static let token = address(0x22)
    static let exchanges = [address(0xE1), address(0xE2), address(0xE3)]

    /// A 20-byte address whose bytes are all `byte`.
    static func address(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 20) }

    static func hex(_ bytes: [UInt8]) -> String { "0x" + Hex.encode(bytes) }

    static func make(
        blockMs: Int = 50, impactBp: Int64 = 0, leadMs: Int = 0, reorgEvery: Int = 0, volatility: Int64 = 20, seed: UInt64 = 7,
        stepsPerSecond: Int = 100
    ) throws -> (VenueSimulator, SimChainNode) {
        let node = try SimChainNode(
            parameters: SimChainParameters(
                blockMilliseconds: blockMs, token: token, decimals: 8, exchanges: exchanges, transfersPerBlock: 6,
                flowPerBlock: 5 * 100_000_000, leadMilliseconds: leadMs, impactCentiBasisPoints: impactBp * 100, reorgEvery: reorgEvery),
            market: 0, stepsPerSecond: stepsPerSecond, seed: seed)
        let market = MarketParameters(start: 100_000 * 100_000_000, volatilityPerSecond: volatility * 100_000_000, divergencesPerMinute: 0)
        let sim = VenueSimulator(venues: [], markets: [market], assignments: [], stepsPerSecond: stepsPerSecond, seed: seed, chains: [node])
        return (sim, node)
    }
}
