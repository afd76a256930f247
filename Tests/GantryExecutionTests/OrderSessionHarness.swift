import Glibc
import GantryCore
@testable import GantryExecution
import GantryNet
@testable import GantryRisk
import GantryVenues
import VenueSim

/// A simulated venue (VenueSim, real loopback sockets) with an account, and Gantry's order session for it, polled in
/// turn on the test's thread; the reports the session publishes, in order.
final class SessionHarness<Script: VenueOrderScript> {
    let sim: VenueSimulator
    let venue: SimVenue
    var session: OrderSession<Script>
    var reports: [OrderReport] = []
    let venueId = VenueId(raw: 1)
    let instrument = InstrumentId(raw: 1)
    let priceScale: Int
    var nextOrder: UInt64 = 1

    init(sim: VenueSimulator, venue: SimVenue, priceScale: Int, session: consuming OrderSession<Script>) {
        self.sim = sim
        self.venue = venue
        self.priceScale = priceScale
        self.session = session
        pump(seconds: 3) { $0.isReady }
    }

    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }
    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }

    /// Polls the simulator and the session until `done` or the time is up. - Returns: whether `done` held.
    @discardableResult
    func pump(seconds: Double = 3, until done: (SessionHarness) -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
        while MonotonicClock.now() < deadline {
            _ = sim.poll()
            var out: [OrderReport] = []
            _ = session.poll(now: MonotonicClock.now(), wall: WallClock.now()) { out.append($0) }
            reports += out
            if done(self) { return true }
            usleep(200)
        }
        return done(self)
    }

    /// An approved order, as risk makes one (through the real engine: the only way to get one).
    func approved(_ side: Side, price: Int64, quantity: String, tif: TimeInForce = .ioc, lane: OrderLane = .entry) -> ApprovedOrder {
        var e = RiskEngine.permissive(venue: venueId, instrument: instrument, priceScale: priceScale, bid: bestBid, ask: bestAsk, firstOrderSequence: nextOrder)
        var intent = OrderIntent(
            intentId: 1, signalId: nextOrder, strategy: StrategyId(raw: 1), venue: venueId, instrument: instrument, pair: PairId(raw: 1), side: side,
            price: Price(raw: price), quantity: Quantity(quantity, scale: 8), lane: lane, triggerTime: .zero, createdTime: .zero)
        intent.timeInForce = tif
        nextOrder += 1
        let verdict = e.check(intent, now: .seconds(1))
        guard case .approved(let o) = verdict else { preconditionFailure("the permissive engine approves: \(verdict.decision.reason)") }
        return o
    }

    func reports(of id: ClientOrderId) -> [OrderReport] { reports.filter { $0.clientOrderId == id } }
    func submit(_ o: ApprovedOrder) -> Bool { session.submit(o, now: MonotonicClock.now()) }
    func cancelAll() { session.cancelAll(now: MonotonicClock.now()) }
    func order(_ id: ClientOrderId) -> TrackedOrder? { session.order(id) }
    var stats: OrderSessionStats { session.stats }
    var isReady: Bool { session.isReady }
}

/// A simulator with one venue of `kind` listing BTC-USDT-like `symbol` at `priceScale`/8.
func simulatedVenue(_ kind: SimProtocol, symbol: String, priceScale: Int) throws -> (VenueSimulator, SimVenue) {
    let book = SimulatedBook(
        instrument: SimInstrument(symbol: symbol, priceScale: priceScale, quantityScale: 8, tick: 1, lot: 1_000),
        fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 30, maxLots: 10_000)
    let venue = try SimVenue(name: kind.rawValue, kind: kind, books: [book], restPort: 0)
    let start: Int64 = priceScale == 2 ? 97_000 * 100_000_000 : 97_000 * 10_000_000
    let sim = VenueSimulator(
        venues: [venue], markets: [MarketParameters(start: start, volatilityPerSecond: 20_000_000)], assignments: [[0]], stepsPerSecond: 200, seed: 5)
    sim.paused = true
    return (sim, venue)
}

typealias BinanceSessionHarness = SessionHarness<BinanceOrderScript>

extension SessionHarness where Script == BinanceOrderScript {
    static let key = "gantryKey1"
    static let secret = "gantrySecret-0123456789abcdef"

    convenience init() throws {
        let (sim, venue) = try simulatedVenue(.binance, symbol: "BTCUSDT", priceScale: 2)
        try venue.addAccount(BinanceCredentials(apiKey: Self.key, secret: Self.secret, account: 1), deposits: ["BTC": "2", "USDT": "300000"])
        let codec = BinanceOrderEntry(
            venue: VenueId(raw: 1),
            instruments: OrderInstruments([
                OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 2, quantityScale: 8)
            ]), apiKey: Self.key, secret: VenueSecret(text: Self.secret))
        let session = OrderSession<BinanceOrderScript>(
            codec: codec, endpoint: WebSocketEndpoint(address: "127.0.0.1", port: venue.port, host: "127.0.0.1", path: "/ws-api/v3", tls: nil),
            ordersPerSecond: 50, answerTimeout: .milliseconds(500), now: MonotonicClock.now())
        self.init(sim: sim, venue: venue, priceScale: 2, session: session)
    }
}

typealias OKXSessionHarness = SessionHarness<OKXOrderScript>

extension SessionHarness where Script == OKXOrderScript {
    convenience init(okx: Void = ()) throws {
        let (sim, venue) = try simulatedVenue(.okx, symbol: "BTC-USDT", priceScale: 1)
        try venue.addOKXKey(apiKey: "okxKey1", secret: "okxSecret1", passphrase: "okxPass1", account: 1, deposits: ["BTC": "2", "USDT": "300000"])
        let codec = OKXOrderEntry(
            venue: VenueId(raw: 1),
            instruments: OrderInstruments([
                OrderInstrument(
                    id: InstrumentId(raw: 1), symbol: "BTC-USDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 1, quantityScale: 8,
                    code: UInt64(venue.okxInstIdCode("BTC-USDT") ?? 0))
            ]), apiKey: "okxKey1", secret: VenueSecret(text: "okxSecret1"), passphrase: "okxPass1", restHost: "127.0.0.1")
        let rest = HTTPClient(address: "127.0.0.1", port: venue.restPort!, host: "127.0.0.1", tls: nil)
        let session = OrderSession<OKXOrderScript>(
            codec: codec, endpoint: WebSocketEndpoint(address: "127.0.0.1", port: venue.port, host: "127.0.0.1", path: "/ws/v5/private", tls: nil),
            rest: rest, ordersPerSecond: 50, answerTimeout: .milliseconds(500), now: MonotonicClock.now())
        self.init(sim: sim, venue: venue, priceScale: 1, session: session)
    }
}

extension RiskEngine {
    /// An engine that approves the tests' orders: one venue, one pair, wide limits, rich balances.
    static func permissive(venue: VenueId, instrument: InstrumentId, priceScale: Int, bid: Int64, ask: Int64, firstOrderSequence: UInt64) -> RiskEngine {
        let registry = try! InstrumentRegistry([
            InstrumentSpec(
                venue: "sim", symbol: "BTCUSDT", tickSize: priceScale == 2 ? "0.01" : "0.1", lotSize: "0.00001", priceScale: priceScale, quantityScale: 8)
        ])
        let universe = try! Universe(registry: registry, listings: [.init(instrument: instrument, pair: "BTC/USDT")])
        var limits = StrategyRiskLimits(
            strategy: StrategyId(raw: 1), name: "test", capitalCents: 1_000_000_000_00, stage: .live, allowedPairs: [PairId(raw: 1)],
            maximumPosition: [0, 100_000_000_000])
        limits.signalCapitalCentiBasisPoints = 1_000_000
        var c = RiskConfiguration(strategies: [limits])
        c.priceBandCentiBasisPoints = 1_000_000
        c.maximumBookAge = .seconds(1_000_000)
        var e = RiskEngine(universe: universe, configuration: c, firstOrderSequence: firstOrderSequence)
        for ev in [
            MarketEvent(kind: .bookReset, venue: venue, instrument: instrument, receiveTime: .seconds(1)),
            MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: Price(raw: bid), quantity: Quantity(raw: 100_000_000)),
            MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: Price(raw: ask), quantity: Quantity(raw: 100_000_000)),
            MarketEvent(kind: .messageTimes, venue: venue, instrument: instrument, flags: .endOfMessage, receiveTime: .seconds(1)),
        ] { e.onMarket(ev, now: .seconds(1)) }
        for a in 1...universe.assetNames.count { e.setBalance(venue: venue, asset: AssetId(raw: UInt16(a)), free: Int128(1) << 100) }
        return e
    }
}
