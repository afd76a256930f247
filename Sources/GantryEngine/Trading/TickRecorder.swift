import GantryCore
import GantryRing

/// A deciding stage's side of its tick ring: makes each `StageTick` and publishes it (waiting, like the stage's other
/// rings, when the journal is a whole ring behind).
struct TickRecorder: ~Copyable {
    let stage: DecidingStage
    var producer: RingProducer<StageTick>
    let venues: [VenueId]
    var sequence: UInt64 = 0

    init(_ stage: DecidingStage, _ producer: consuming RingProducer<StageTick>, venues: [VenueId], rings: Int) {
        precondition(
            venues.count == rings && rings <= StageTick.marketRingCapacity,
            "ticks: \(venues.count) venues for \(rings) market rings (at most \(StageTick.marketRingCapacity))")
        self.stage = stage
        self.producer = producer
        self.venues = venues
    }

    mutating func record(now: Nanos, market: borrowing MarketFanIn, reports: Int, control: Int, health: Int, intents: Int, flows: Int = 0) {
        sequence &+= 1
        var t = StageTick(stage: stage, time: now, sequence: sequence)
        t.marketRings = UInt8(venues.count)
        for k in 0..<venues.count { t.setMarket(k, venue: venues[k], count: market.taken(fromRing: k)) }
        t.reports = UInt16(truncatingIfNeeded: reports)
        t.control = UInt16(truncatingIfNeeded: control)
        t.health = UInt16(truncatingIfNeeded: health)
        t.intents = UInt16(truncatingIfNeeded: intents)
        t.flows = UInt16(truncatingIfNeeded: flows)
        var wait = SpinThenYield()
        producer.publish(t, waiting: &wait)
    }
}
