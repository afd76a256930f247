import GantryCore

/// What an order session tells its stage.
public struct OrderSessionStats: Sendable, Equatable {
    public var sent = 0
    public var acknowledged = 0
    public var rejected = 0
    public var fills = 0
    public var duplicateFills = 0
    /// Orders whose fate a timeout or a dropped connection made unknown, and those the venue's answer reconciled.
    public var unknown = 0
    public var reconciled = 0
    public var rateLimited = 0
    /// Queries that found the venue counting more fills than the stream delivered (to backfill from its history).
    public var missingFills = 0
    /// Trade-history requests made to backfill them, and the fills they brought.
    public var backfills = 0
    public var backfilledFills = 0
    public var reconnects = 0
    /// Messages neither a reply nor a user-stream update could read.
    public var malformed = 0
    /// Orders refused before sending (an encode error, a full lane, a client order id seen before).
    public var refused = 0
    /// Order round trip (bytes written → the venue's answer), the last one measured.
    public var lastRoundTrip: Nanos = .zero
    /// When it was measured.
    public var lastRoundTripAt: Nanos = .zero
    /// Answers that armed or refreshed the venue's dead-man's switch, and refusals of it (OrderSession+DeadMan.swift).
    public var deadManArmed = 0
    public var deadManRefused = 0
    /// The venue's clock offset (venue time − our wall clock) as estimated (ClockOffset), and the samples taken.
    /// The codecs sign with the wall clock plus it.
    public var clockOffset: Nanos = .zero
    public var clockSamples = 0

    mutating func noteRoundTrip(_ value: Nanos, at now: Nanos) {
        lastRoundTrip = value
        lastRoundTripAt = now
    }
}
