import GantryBus
import GantryCore
import GantryLoop
import GantryNet
import GantryOnChain
import GantryRing

extension TradingConfiguration {
    /// The venues that list a configured pair, in configuration order: each gets a feed and a market ring, in
    /// this order, in every role.
    public var tradedVenues: [VenueConfiguration] {
        let registry = market.registry
        return market.venues.filter { v in
            registry.instruments.contains { $0.venue == registry.venue(named: v.name) && universe.listing($0.id).pair != .none }
        }
    }
}

/// The feed role (`gantry run --role feed`): each traded venue's feed on its runner, and the chain's adapter if one
/// is configured, published on the bus (`market`, `flow`) by a publisher on a cold runner. The watching thread
/// reads consumer 0 of each ring (`pollMarket`, `pollFlows`) and must keep up.
public struct FeedRole: ~Copyable {
    public var feeds: [TradingGateway.FeedHandle]
    public var chain: TradingGateway.ChainHandle?
    let publisher: BusRunner
    /// The publisher's figures.
    public let bus: GatewayBusBoards

    public init(configuration: TradingConfiguration, sim: Bool, cpus: [Int], bus: BusConfiguration) throws {
        let traded = configuration.tradedVenues
        guard !traded.isEmpty else { throw GatewayError("no venue lists a configured pair") }
        var feeds: [TradingGateway.FeedHandle] = []
        for (k, v) in traded.enumerated() {
            feeds.append(TradingGateway.FeedHandle(try VenueFeedRunner(
                venue: v, registry: configuration.market.registry, sim: sim, cpu: cpus.isEmpty ? nil : cpus[k % cpus.count], mode: .adaptiveShared,
                consumers: 2)))
        }
        var chain: TradingGateway.ChainHandle? = nil
        if let c = configuration.chains.first {
            guard let url = sim ? c.simNode : c.node else { throw GatewayError("chain \(c.name): no \(sim ? "sim_node" : "node") endpoint") }
            let node = WebSocketEndpoint(
                address: try resolve(url.host), port: url.port, host: url.host, path: url.path, tls: url.tls ? try TLSContext(clientTrusting: nil) : nil)
            chain = TradingGateway.ChainHandle(try OnChainFeedRunner(node: node, settings: c.settings, cpu: cpus.first, consumers: 2))
        }
        let markets = try feeds.map { Handoff(try $0.feed.ring.takeConsumer(1)) }
        let flows = try chain.map { Handoff(try $0.feed.ring.takeConsumer(1)) }
        let board = BusStatsBoard(BusPublisherStats())
        var boards = GatewayBusBoards()
        boards.publisher = board
        publisher = BusRunner(try Runner(RunnerSpec(name: "bus-publish", cpu: cpus.last, mode: .adaptiveShared)) { context in
            var stage = BusPublisher(configuration: bus, context: context, board: board)
            for m in markets { stage.attach(m.take()!) }
            if let f = flows?.take() { stage.attach(f) }
            return stage
        })
        self.feeds = feeds
        self.chain = chain
        self.bus = boards
    }

    /// Hands the watching thread each venue's market events (consumer 0 of each ring).
    public func pollMarket(_ body: (MarketEvent) -> Void) -> Int {
        var n = 0
        for f in feeds { n += f.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } } }
        return n
    }

    /// Hands the watching thread the chain's flow events, if a chain is configured.
    public func pollFlows(_ body: (FlowEvent) -> Void) -> Int {
        guard let c = chain else { return 0 }
        return c.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
    }

    /// Stops the feeds, then the publisher (which sends what they published).
    public func stop() {
        for f in feeds { f.feed.runner.stop() }
        chain?.feed.runner.stop()
        publisher.runner.stop()
    }
}
