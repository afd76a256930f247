import GantryCore

// What goes on the bus: one stream per event kind per gateway, each entry three fields.
//
//   XADD gantry:<namespace>:<kind> MAXLEN ~ <maxlen> * p <producer> s <sequence> d <payload>
//
//   p  the publisher's id, decimal u64, new at every start of a publisher (so a restarted publisher's
//      sequence, which starts again at 1, is not taken for a duplicate)
//   s  the publisher's sequence on this stream, decimal u64, 1, 2, 3, … with no gaps unless it dropped events
//   d  the event's bytes as they are in memory (`MemoryLayout<E>.size` bytes, little-endian, like the journal):
//      a consumer built with another layout of the event refuses the entry by its size; a layout change that
//      keeps the size takes a new stream name.

/// The kinds of event the bus carries, one stream each.
@frozen
public enum BusEventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// `MarketEvent`, 64 bytes.
    case market = 1
    /// `OrderIntent`, 72 bytes.
    case intent = 2
    /// `RiskDecision`, 120 bytes.
    case decision = 3
    /// `OrderReport`, 64 bytes.
    case report = 4
    /// `ControlEvent`, 32 bytes.
    case control = 5
    /// `VenueHealth` (each venue's order entry: ready, round trip), 24 bytes.
    case health = 6
    /// `FlowEvent` (an on-chain adapter's flows), 64 bytes.
    case flow = 7

    /// The stream name's last part and the `[bus.streams]` key.
    public var description: String {
        switch self {
        case .market: "market"
        case .intent: "intent"
        case .decision: "decision"
        case .report: "report"
        case .control: "control"
        case .health: "health"
        case .flow: "flow"
        }
    }

    /// The payload size of the kind's event.
    public var payloadSize: Int {
        switch self {
        case .market: MemoryLayout<MarketEvent>.size
        case .intent: MemoryLayout<OrderIntent>.size
        case .decision: MemoryLayout<RiskDecision>.size
        case .report: MemoryLayout<OrderReport>.size
        case .control: MemoryLayout<ControlEvent>.size
        case .health: MemoryLayout<VenueHealth>.size
        case .flow: MemoryLayout<FlowEvent>.size
        }
    }
}

/// A fixed-size event the bus carries as its bytes in memory.
///
/// `ApprovedOrder` is deliberately not one: only risk can make one, and an order read off the network would be
/// a forged approval. Across processes, intents travel the bus and risk runs beside order-send.
public protocol BusEvent: BitwiseCopyable, Sendable {
    /// The stream kind that carries this type.
    static var busKind: BusEventKind { get }
}

extension MarketEvent: BusEvent {
    @inlinable public static var busKind: BusEventKind { .market }
}

extension OrderIntent: BusEvent {
    @inlinable public static var busKind: BusEventKind { .intent }
}

extension RiskDecision: BusEvent {
    @inlinable public static var busKind: BusEventKind { .decision }
}

extension OrderReport: BusEvent {
    @inlinable public static var busKind: BusEventKind { .report }
}

extension ControlEvent: BusEvent {
    @inlinable public static var busKind: BusEventKind { .control }
}

extension VenueHealth: BusEvent {
    @inlinable public static var busKind: BusEventKind { .health }
}

extension FlowEvent: BusEvent {
    @inlinable public static var busKind: BusEventKind { .flow }
}

/// The largest payload of any kind (a `RiskDecision`).
let maximumPayload = BusEventKind.allCases.map(\.payloadSize).max()!
