// The on-chain adapter's ring element: one token's flow into and out of one exchange in one block.
//
//   FlowEvent 64 B  ┌inflow (Int128)──────────────┬outflow (Int128)─────────────┐
//                   │block (UInt64)│blockTime (wall ns)│receiveTime (monotonic ns)│
//                   └token│exchange│kind│flags│transfers┘

/// What a `FlowEvent` says.
@frozen
public enum FlowEventKind: UInt8, Sendable, BitwiseCopyable {
    /// A sealed block's flows for one token and one exchange: everything the adapter knows of the block when it
    /// seals it (one event for every token and exchange, zeros included; the last has `lastOfBlock`).
    case block = 1
    /// A change to a block already published: a log that arrived after the block was sealed, a log a reorg
    /// removed, or one a backfill found or took back. `inflow`, `outflow` and `transfers` are the signed change.
    case amendment = 2
}

/// Bits of `FlowEvent.flags`.
@frozen
public struct FlowEventFlags: OptionSet, Sendable, BitwiseCopyable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Found by `eth_getLogs` after a reconnect (or at a configured start block in the past).
    public static let backfilled = FlowEventFlags(rawValue: 1)
    /// Takes back transfers the chain reorganized away (a log with `removed: true`, or one a backfill no longer
    /// found).
    public static let reorg = FlowEventFlags(rawValue: 2)
    /// The last event of a block's sealing: every token and exchange of the block has been published.
    public static let lastOfBlock = FlowEventFlags(rawValue: 4)
}

/// One token's flow into and out of one exchange in one block, in the token's smallest unit (the token's
/// decimals are its scale: 1 WBTC is 100,000,000). One cache line; written in place into a ring slot.
@frozen
public struct FlowEvent: Sendable, BitwiseCopyable, Equatable {
    /// Transfers to the exchange's addresses (negative only in an amendment that takes transfers back).
    public var inflow: Int128
    /// Transfers from the exchange's addresses.
    public var outflow: Int128
    public var block: UInt64
    /// The block's timestamp, wall-clock ns (zero if the adapter never saw its header nor a log timestamp).
    public var blockTime: Nanos
    /// When the message that completed the event arrived (kernel receive time, monotonic), or the adapter's clock
    /// when a timer sealed it.
    public var receiveTime: Nanos
    /// Indices into the adapter's configured tokens and exchanges.
    public var token: UInt16
    public var exchange: UInt16
    public var kind: FlowEventKind
    public var flags: FlowEventFlags
    /// Transfers counted (signed in an amendment).
    public var transfers: Int16

    @inlinable
    public init(
        kind: FlowEventKind, block: UInt64, token: UInt16, exchange: UInt16, inflow: Int128, outflow: Int128, transfers: Int16,
        blockTime: Nanos, receiveTime: Nanos, flags: FlowEventFlags = []
    ) {
        self.inflow = inflow
        self.outflow = outflow
        self.block = block
        self.blockTime = blockTime
        self.receiveTime = receiveTime
        self.token = token
        self.exchange = exchange
        self.kind = kind
        self.flags = flags
        self.transfers = transfers
    }

    /// Inflow less outflow: positive when coins went to the exchange (selling pressure).
    @inlinable public var net: Int128 { inflow - outflow }
}
