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
    /// Each venue's kind, by `VenueId.raw`.
    let kinds: [VenueKind?]
    let clock: Clock
    public private(set) var stats = OrderSendStats()
    public private(set) var killedAt: Nanos? = nil
    let logger = Logger(label: "gantry.order-send")

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
                }
            }
        }
        var refused: [ApprovedOrder] = []
        work += approved.poll(upTo: 64) { batch in
            for order in batch {
                stats.approved += 1
                let v = Int(order.venue.raw)
                let kind = v < kinds.count ? kinds[v] : nil
                var taken = false
                switch kind {
                case .binance?: taken = binance?.submit(order, now: now) ?? false
                case .okx?: taken = okx?.submit(order, now: now) ?? false
                default: break
                }
                if !taken && !(kind == .binance && binance != nil) && !(kind == .okx && okx != nil) {
                    stats.noSession += 1
                    refused.append(order)
                }
            }
        }
        for order in refused { publish(Self.rejected(order)) }
        var out: [OrderReport] = []
        if binance != nil { work += binance!.poll(now: now, wall: wall) { out.append($0) } }
        if okx != nil { work += okx!.poll(now: now, wall: wall) { out.append($0) } }
        for r in out { publish(r) }
        if health != nil && now >= nextHealth {
            nextHealth = now + healthInterval
            // A state, refreshed each interval: a full ring (a reader behind) skips one, nothing is lost for good.
            if binance != nil, let v = binance!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: binance!.readyNow(), roundTrip: binance!.roundTripNow(), time: now)) }
            if okx != nil, let v = okx!.venueId() { _ = health!.tryPublish(VenueHealth(venue: v, ready: okx!.readyNow(), roundTrip: okx!.roundTripNow(), time: now)) }
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

    /// Orders not final, all venues.
    public mutating func openOrderCount() -> Int {
        var n = 0
        if binance != nil { n += binance!.countOpenOrders() }
        if okx != nil { n += okx!.countOpenOrders() }
        return n
    }
}
