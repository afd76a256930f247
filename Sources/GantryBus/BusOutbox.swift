import GantryCore

/// The publisher's entries from the moment they leave a ring until Redis confirms them (the XADD reply), in
/// the order they are sent, so that a lost connection re-sends exactly what was not confirmed.
///
/// ```
///   slot: sequence u64 │ kind u8 │ 7 reserved │ payload (up to the largest event, 120 B)
///
///   confirmed            sent                  filled
///       │ ◄─ in flight ─► │ ◄─ waiting to go ─► │ ◄─ free ─►   (absolute indices; slot = index & mask)
/// ```
struct BusOutbox: ~Copyable {
    static let header = 16
    static let stride = (header + maximumPayload + 15) & ~15  // 16-aligned: a FlowEvent holds Int128s
    let slots: UnsafeMutableRawPointer
    let capacity: Int
    let mask: Int
    private(set) var confirmed = 0
    private(set) var sent = 0
    private(set) var filled = 0
    /// The highest index ever sent: an index sent again below it is a re-send.
    private(set) var highestSent = 0

    /// An outbox of `capacity` entries. - Traps unless `capacity` is a power of two.
    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "bus outbox capacity must be a power of two")
        self.capacity = capacity
        mask = capacity - 1
        slots = UnsafeMutableRawPointer.allocate(byteCount: capacity * Self.stride, alignment: 16)
    }

    deinit { slots.deallocate() }

    var count: Int { filled - confirmed }
    var free: Int { capacity - count }
    var inFlight: Int { sent - confirmed }
    var waiting: Int { filled - sent }

    /// Copies an event in. - Traps if the outbox is full.
    mutating func append<E: BusEvent>(_ event: E, sequence: UInt64) {
        precondition(free > 0, "bus outbox full")
        let slot = slots + (filled & mask) * Self.stride
        slot.storeBytes(of: sequence, as: UInt64.self)
        slot.storeBytes(of: E.busKind.rawValue, toByteOffset: 8, as: UInt8.self)
        // SAFETY: the slot holds `maximumPayload` bytes after its header, and every event fits.
        (slot + Self.header).storeBytes(of: event, as: E.self)
        filled += 1
    }

    /// Entry `index` (absolute, between `confirmed` and `filled`).
    func entry(_ index: Int) -> (kind: BusEventKind, sequence: UInt64, payload: UnsafeRawBufferPointer) {
        let slot = UnsafeRawPointer(slots + (index & mask) * Self.stride)
        let kind = BusEventKind(rawValue: slot.load(fromByteOffset: 8, as: UInt8.self))!
        return (kind, slot.load(as: UInt64.self), UnsafeRawBufferPointer(start: slot + Self.header, count: kind.payloadSize))
    }

    /// Marks the next `n` waiting entries sent. - Returns: how many of them were sent before (re-sends).
    mutating func markSent(_ n: Int) -> Int {
        let resent = max(0, min(sent + n, highestSent) - sent)
        sent += n
        highestSent = max(highestSent, sent)
        return resent
    }

    /// The oldest entry in flight was confirmed (or refused) by Redis.
    mutating func confirmOldest() {
        precondition(inFlight > 0, "bus outbox: a reply with nothing in flight")
        confirmed += 1
    }

    /// The connection was lost: everything in flight goes again.
    mutating func rewind() { sent = confirmed }
}
