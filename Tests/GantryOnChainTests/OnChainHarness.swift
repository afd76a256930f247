import Foundation
import GantryCore
import GantryNet
import GantryOnChain
import GantryRing
import Testing
import VenueSim

/// The simulated chain's token and exchange addresses (one exchange per address, in order).
enum ChainSetup {
    static let tokenBytes = [UInt8](repeating: 0x22, count: 20)
    static let exchangeBytes = [0xE1, 0xE2, 0xE3].map { [UInt8](repeating: $0, count: 20) }
    static let wallet = [UInt8](repeating: 0x77, count: 20)

    static func address(_ bytes: [UInt8]) -> EthereumAddress { EthereumAddress("0x" + Hex.encode(bytes))! }

    static var settings: OnChainSettings {
        OnChainSettings(
            tokens: [OnChainToken(symbol: "WBTC", address: address(tokenBytes), decimals: 8)],
            exchanges: exchangeBytes.enumerated().map { OnChainExchange(name: "exchange\($0)", addresses: [address($1)]) },
            sealDelay: .milliseconds(20), backfillChunk: 4, backfillTimeout: .seconds(2))
    }
}

/// The adapter against the simulated node over real loopback sockets, both polled on the test's thread: the
/// simulator (blocks every `blockMs`), the adapter's stage, and its ring drained into a tally.
final class OnChainHarness {
    let sim: VenueSimulator
    let node: SimChainNode
    var stage: OnChainStage<RingProducer<ConnectionEvent>>
    var events: RingConsumer<FlowEvent>
    var connections: RingConsumer<ConnectionEvent>
    /// Per block and exchange: inflow and outflow summed over the block's event and its amendments.
    var tally: [UInt64: [(inflow: Int128, outflow: Int128)]] = [:]
    /// Sealing events per block and exchange (exactly one each).
    var sealings: [UInt64: [Int]] = [:]
    var received: [FlowEvent] = []
    var opens = 0

    init(blockMs: Int = 40, reorgEvery: Int = 0, seed: UInt64 = 9, settings: OnChainSettings = ChainSetup.settings) throws {
        node = try SimChainNode(
            parameters: SimChainParameters(
                blockMilliseconds: blockMs, token: ChainSetup.tokenBytes, decimals: 8, exchanges: ChainSetup.exchangeBytes, transfersPerBlock: 6,
                reorgEvery: reorgEvery),
            market: 0, stepsPerSecond: 200, seed: seed)
        sim = VenueSimulator(
            venues: [], markets: [MarketParameters(start: 100_000 * 100_000_000, volatilityPerSecond: 0, divergencesPerMinute: 0)],
            assignments: [], stepsPerSecond: 200, seed: seed, chains: [node])
        let ring = try Ring<FlowEvent>.spsc(capacity: 1 << 14)
        events = try ring.takeConsumer()
        let states = try Ring<ConnectionEvent>.spsc(capacity: 256)
        connections = try states.takeConsumer()
        let feed = OnChainFeed(settings: settings)
        let supervisor = WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: node.port, host: "node.test", path: "/", tls: nil, maxMessage: 8 << 20),
            venue: VenueId(raw: 9), index: 0, subscriptions: feed.subscriptions, sink: try states.takeProducer(),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100), seed: 3), pingInterval: .milliseconds(500),
            staleAfter: .seconds(2), now: MonotonicClock.now())
        stage = OnChainStage(supervisor: supervisor, feed: feed, producer: try ring.takeProducer())
    }

    /// Polls everything until `done` or the time is up. - Returns: whether `done` held.
    @discardableResult
    func pump(_ seconds: Double, until done: () -> Bool = { false }) -> Bool {
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
        while MonotonicClock.now() < deadline {
            let work = sim.poll() + stage.poll()
            while let e = events.tryConsume() { take(e) }
            while let c = connections.tryConsume() { if c.state == .open { opens += 1 } }
            if done() { return true }
            if work == 0 { usleep(200) }
        }
        return false
    }

    func take(_ e: FlowEvent) {
        received.append(e)
        var row = tally[e.block] ?? Array(repeating: (0, 0), count: ChainSetup.exchangeBytes.count)
        let x = Int(e.exchange)
        switch e.kind {
        case .block:
            row[x].inflow += e.inflow
            row[x].outflow += e.outflow
            sealings[e.block, default: Array(repeating: 0, count: row.count)][x] += 1
        case .amendment:
            row[x].inflow += e.inflow
            row[x].outflow += e.outflow
        }
        tally[e.block] = row
    }

    /// Stops the chain, lets everything in flight arrive and every block be sealed.
    func settle() {
        sim.paused = true
        pump(0.4)
        let head = node.chain.head.number
        pump(2) { stage.ledger.nextToSeal.map { $0 > head } ?? false }
    }

    /// Checks that every sealed block's flows, per exchange, equal the node's tally, each sealed exactly once.
    /// - Returns: The blocks checked.
    @discardableResult
    func compare(_ what: String) -> ClosedRange<UInt64>? {
        guard let first = sealings.keys.min(), let last = sealings.keys.max() else {
            Issue.record("\(what): no block was sealed")
            return nil
        }
        for n in first...last {
            guard let truth = node.flows(block: n) else {
                Issue.record("\(what): block \(n) is no longer kept by the node")
                continue
            }
            let mine = tally[n] ?? []
            #expect(sealings[n] == Array(repeating: 1, count: truth.count), "\(what): block \(n) sealed once per exchange (\(sealings[n] ?? []))")
            for (e, t) in truth.enumerated() where e < mine.count {
                #expect(mine[e].inflow == Int128(t.inflow) && mine[e].outflow == Int128(t.outflow),
                    "\(what): block \(n) exchange \(e): \(mine[e]) against the node's \(t)")
            }
        }
        return first...last
    }
}
