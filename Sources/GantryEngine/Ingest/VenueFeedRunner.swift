import GantryCore
import GantryLoop
import GantryNet
import GantryRing
import Synchronization

/// What a venue's feed runner reports when it stops.
public final class FeedReport: Sendable {
    /// The stage's counters and latency, filled in when it stops.
    public let stats = Mutex<IngestStats?>(nil)
    /// Its counters while it runs.
    public let live = LiveCounters()
    public init() {}
}

/// One venue's market data on a runner of its own: the venue's WebSocket (real endpoint or the simulator's)
/// under its supervisor, its feed handler and book syncs, and its events on a broadcast ring that the caller
/// consumes (`events`). Stopping the runner closes the connection and fills in `report`.
public struct VenueFeedRunner: ~Copyable {
    public let venue: VenueConfiguration
    public let runner: Runner
    public var events: RingConsumer<MarketEvent>
    /// The events' ring: consumer 0 is `events`; the others (`consumers` > 1) are for the caller to take.
    public let ring: Ring<MarketEvent>
    public let connections: Ring<ConnectionEvent>
    public let report: FeedReport

    /// Starts the feed.
    /// - Parameters:
    ///   - registry: The instruments' ids (the venue's must be in it).
    ///   - sim: Connect to the simulator's endpoints instead of the venue's.
    ///   - cpu, mode: Where the runner runs and how it waits.
    ///   - tls: The client context for wss:// and https:// (verification on); made from the system store if nil.
    ///   - consumers: Readers of the events' ring (the first is `events`).
    ///   - recordTo: A file to record everything the stage takes in, for replay (`gantry record`).
    /// - Throws: `RingError`, `RunnerError`, `TLSError`, or `ConfigurationError` if `--sim` is asked for a venue
    ///   without simulator endpoints.
    public init(
        venue: VenueConfiguration, registry: InstrumentRegistry, sim: Bool, cpu: Int?, mode: RunnerMode, tls: TLSContext? = nil,
        ringCapacity: Int = 1 << 16, consumers: Int = 1, recordTo: String? = nil
    ) throws {
        let recorder = try recordTo.map { path throws(RecordingError) in try IngestRecorder(path: path) }
        guard let venueId = registry.venue(named: venue.name) else {
            throw ConfigurationError.invalid(venue: venue.name, key: "name", why: "is not in the instrument registry")
        }
        let endpoint: WebSocketURL
        let rest: RESTURL?
        if sim {
            guard let e = venue.simEndpoint else { throw ConfigurationError.invalid(venue: venue.name, key: "sim_endpoint", why: "is not set (needed for --sim)") }
            endpoint = e
            rest = venue.simRestEndpoint
        } else {
            endpoint = venue.endpoint
            rest = venue.restEndpoint
        }
        let context = endpoint.tls || rest?.tls == true ? try tls ?? TLSContext(clientTrusting: nil) : nil
        let instruments = registry.instruments.filter { $0.venue == venueId }.map {
            FeedInstrument(symbol: $0.symbol, instrument: $0.id, priceScale: $0.priceScale, quantityScale: $0.quantityScale)
        }
        let ring = try Ring<MarketEvent>.broadcast(capacity: ringCapacity, consumers: consumers)
        let consumer = try ring.takeConsumer(0)
        let connections = try Ring<ConnectionEvent>.spsc(capacity: 1_024)
        let producer = Handoff(try ring.takeProducer())
        let sink = Handoff(try connections.takeProducer())
        let report = FeedReport()
        let spec = RunnerSpec(name: "feed-\(venue.name)", cpu: cpu, mode: mode)
        let kind = venue.kind
        let depth = venue.depth
        let bookSilence = venue.bookSilence
        // The address to connect to: names are resolved here, off the runner (an IP literal passes through).
        let address = try resolve(endpoint.host)
        let restAddress = try rest.map { try resolve($0.host) }
        func start<H: FeedHandler & ~Copyable & SendableMetatype>(
            _ make: @escaping @Sendable () -> H, subscriptions: @escaping @Sendable (borrowing H) -> [[UInt8]]
        ) throws -> Runner {
            try Runner(spec) { runnerContext in
                runnerContext.every(.milliseconds(5)) {}  // timers: heartbeats, backoff, snapshot retries
                let handler = make()
                var supervisor = WebSocketSupervisor(
                    endpoint: WebSocketEndpoint(
                        address: address, port: endpoint.port, host: endpoint.host, path: endpoint.path, tls: endpoint.tls ? context : nil),
                    venue: venueId, index: 0, subscriptions: subscriptions(handler), sink: sink.take()!,
                    backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(10), seed: UInt64(venueId.raw)), now: MonotonicClock.now())
                // A parked runner wakes when the venue's socket has data (and on the timer for the rest).
                supervisor.socketChanged = { fd, open in
                    if open { runnerContext.watch(fd: fd) {} } else { runnerContext.unwatch(fd: fd) }
                }
                let client = rest.map { HTTPClient(address: restAddress!, port: $0.port, host: $0.host, tls: $0.tls ? context : nil) }
                return IngestStage(
                    supervisor: supervisor, handler: handler, producer: producer.take()!, rest: client, recorder: recorder,
                    bookSilence: bookSilence, live: report.live, report: { stats in report.stats.withLock { $0 = stats } })
            }
        }
        let runner: Runner
        switch kind {
        case .binance:
            runner = try start({ BinanceFeed(venue: venueId, instruments: instruments, snapshotLimit: depth) }, subscriptions: { $0.subscriptions })
        case .bybit:
            runner = try start({ BybitFeed(venue: venueId, instruments: instruments, depth: depth) }, subscriptions: { $0.subscriptions })
        case .okx:
            runner = try start({ OKXFeed(venue: venueId, instruments: instruments, depth: depth) }, subscriptions: { $0.subscriptions })
        case .kraken:
            runner = try start({ KrakenV2Feed(venue: venueId, instruments: instruments, depth: depth) }, subscriptions: { $0.subscriptions })
        case .coinbase:
            runner = try start({ CoinbaseFeed(venue: venueId, instruments: instruments, depth: depth) }, subscriptions: { $0.subscriptions })
        }
        self.runner = runner
        self.events = consumer
        self.ring = ring
        self.connections = connections
        self.report = report
        self.venue = venue
    }
}

/// An IPv4 or IPv6 literal as it is, a name resolved once (off the hot path) to its first address.
func resolve(_ host: String) throws -> String {
    if host.allSatisfy({ $0.isNumber || $0 == "." }) || host.contains(":") { return host }
    guard let address = NameResolution.firstAddress(host) else {
        throw ConfigurationError.invalid(venue: host, key: "endpoint", why: "host name does not resolve")
    }
    return address
}
