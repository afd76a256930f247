import GantryCore
import GantryExecution
import GantryLoop
import GantryRing
import GantryRisk
import Logging

/// What the order-send stage did.
public struct OrderSendStats: Sendable, Equatable {
    public var approved = 0
    /// Approved orders for a venue without an order session (reported rejected, so risk releases them).
    public var noSession = 0
    public var reports = 0
    public var cancelAlls = 0
}

/// The order-send stage: it reads only risk's ring of approved orders (`ApprovedOrder`, which only risk can make),
/// hands each to its venue's order session, and publishes every report, in the order risk must book them, on the
/// broadcast ring that risk, the strategies, the journal and the metrics read. The kill switch (a control event)
/// cancels every open order at every venue, in the flatten lane.
public struct OrderSendStage<Clock: NanoClock>: Stage, ~Copyable {
    var approved: RingConsumer<ApprovedOrder>
    var control: RingConsumer<ControlEvent>?
    var reports: RingProducer<OrderReport>
    /// Each venue's order round trip and readiness, for risk and the strategies (every `healthInterval`).
    var health: RingProducer<VenueHealth>?
    let healthInterval: Nanos = .milliseconds(100)
    var nextHealth: Nanos = .zero
    public var binance: OrderSession<BinanceOrderScript>?
    public var okx: OrderSession<OKXOrderScript>?
    public var bybit: OrderSession<BybitOrderScript>? = nil
    public var kraken: OrderSession<KrakenOrderScript>? = nil
    public var coinbase: OrderSession<CoinbaseOrderScript>? = nil
    /// Each venue's kind, by `VenueId.raw`.
    let kinds: [VenueKind?]
    let clock: Clock
    public private(set) var stats = OrderSendStats()
    public private(set) var killedAt: Nanos? = nil
    /// Where the stage copies its figures for the control plane (TradingLive.swift), with the venue health.
    public var live: TradingLive? = nil
    let logger = Logger(label: "gantry.order-send")
    /// The buffers of one poll (capacity kept: no allocation per order or report).
    var refusedScratch: [ApprovedOrder] = []
    var outScratch: [OrderReport] = []

    public init(
        approved: consuming RingConsumer<ApprovedOrder>, control: consuming RingConsumer<ControlEvent>?, reports: consuming RingProducer<OrderReport>,
        binance: consuming OrderSession<BinanceOrderScript>?, okx: consuming OrderSession<OKXOrderScript>?, kinds: [VenueKind?], clock: Clock,
        health: consuming RingProducer<VenueHealth>? = nil
    ) {
        self.health = health
        self.approved = approved
        self.control = control
        self.reports = reports
        self.binance = binance
        self.okx = okx
        self.kinds = kinds
        self.clock = clock
        refusedScratch.reserveCapacity(64)
        outScratch.reserveCapacity(1_024)
    }

    public mutating func poll() -> Int {
        let now = clock.now()
        let wall = WallClock.now()
        var work = 0
        if control != nil {
            while let c = control!.tryConsume() {
                work += 1
                if c.command == .killSwitch && killedAt == nil {
                    killedAt = now
                    stats.cancelAlls += 1
                    logger.critical("kill switch: cancelling every open order")
                    binance?.cancelAll(now: now)
                    okx?.cancelAll(now: now)
                    bybit?.cancelAll(now: now)
                    kraken?.cancelAll(now: now)
                    coinbase?.cancelAll(now: now)
                }
            }
        }
        var refused: [ApprovedOrder] = []
        swap(&refused, &refusedScratch)
        work += approved.poll(upTo: 64) { batch in
            for order in batch {
                stats.approved += 1
                let v = Int(order.venue.raw)
                let kind = v < kinds.count ? kinds[v] : nil
                var taken = false
                var session = true
                switch kind {
                case .binance?: if binance != nil { taken = binance!.submit(order, now: now) } else { session = false }
                case .okx?: if okx != nil { taken = okx!.submit(order, now: now) } else { session = false }
                case .bybit?: if bybit != nil { taken = bybit!.submit(order, now: now) } else { session = false }
                case .kraken?: if kraken != nil { taken = kraken!.submit(order, now: now) } else { session = false }
                case .coinbase?: if coinbase != nil { taken = coinbase!.submit(order, now: now) } else { session = false }
                case nil: session = false
                }
                // A session that refuses an order reports it rejected itself; without a session, it is done here.
                if !taken && !session {
                    stats.noSession += 1
                    refused.append(order)
                }
            }
        }
        for order in refused { publish(Self.rejected(order)) }
        refused.removeAll(keepingCapacity: true)
        swap(&refused, &refusedScratch)
        var out: [OrderReport] = []
        swap(&out, &outScratch)
        if binance != nil { work += binance!.poll(now: now, wall: wall) { out.append($0) } }
        if okx != nil { work += okx!.poll(now: now, wall: wall) { out.append($0) } }
        if bybit != nil { work += bybit!.poll(now: now, wall: wall) { out.append($0) } }
        if kraken != nil { work += kraken!.poll(now: now, wall: wall) { out.append($0) } }
        if coinbase != nil { work += coinbase!.poll(now: now, wall: wall) { out.append($0) } }
        for r in out { publish(r) }
        out.removeAll(keepingCapacity: true)
        swap(&out, &outScratch)
        if health != nil && now >= nextHealth {
            nextHealth = now + healthInterval
            // A state, refreshed each interval: a full ring (a reader behind) skips one, nothing is lost for good.
            if binance != nil, let v = binance!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: binance!.readyNow(), roundTrip: binance!.roundTripNow(now: now), time: now)) }
            if okx != nil, let v = okx!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: okx!.readyNow(), roundTrip: okx!.roundTripNow(now: now), time: now)) }
            if bybit != nil, let v = bybit!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: bybit!.readyNow(), roundTrip: bybit!.roundTripNow(now: now), time: now)) }
            if kraken != nil, let v = kraken!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: kraken!.readyNow(), roundTrip: kraken!.roundTripNow(now: now), time: now)) }
            if coinbase != nil, let v = coinbase!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: coinbase!.readyNow(), roundTrip: coinbase!.roundTripNow(now: now), time: now)) }
            if let live { publishLive(live) }
        }
        return work
    }

    mutating func publish(_ r: OrderReport) {
        var wait = SpinThenYield()
        reports.publish(r, waiting: &wait)
        stats.reports += 1
    }

    static func rejected(_ o: ApprovedOrder) -> OrderReport {
        OrderReport(
            status: .rejected, side: o.side, venue: o.venue, instrument: o.instrument, clientOrderId: o.clientOrderId, venueOrderId: 0,
            price: o.price, lastQuantity: .zero, cumulativeQuantity: .zero, fee: 0, isTaker: true, eventTime: .zero)
    }

    /// Gives the stage the order sessions of the venues beyond the first two kinds.
    public mutating func attach(
        bybit: consuming OrderSession<BybitOrderScript>?, kraken: consuming OrderSession<KrakenOrderScript>?,
        coinbase: consuming OrderSession<CoinbaseOrderScript>?
    ) {
        self.bybit = consume bybit
        self.kraken = consume kraken
        self.coinbase = consume coinbase
    }

    /// Orders not final, all venues.
    public mutating func openOrderCount() -> Int {
        var n = 0
        if binance != nil { n += binance!.countOpenOrders() }
        if okx != nil { n += okx!.countOpenOrders() }
        if bybit != nil { n += bybit!.countOpenOrders() }
        if kraken != nil { n += kraken!.countOpenOrders() }
        if coinbase != nil { n += coinbase!.countOpenOrders() }
        return n
    }
}
