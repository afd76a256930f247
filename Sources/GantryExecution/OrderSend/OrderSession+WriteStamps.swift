import GantryCore

/// When an order's bytes were handed to the socket: the monotonic clock read right after the write that carried
/// them returned (for a tick-to-order measurement).
@frozen
public struct OrderWriteStamp: Sendable, BitwiseCopyable, Equatable {
    public var clientOrderId: ClientOrderId
    /// Monotonic ns.
    public var writtenAt: Nanos

    public init(clientOrderId: ClientOrderId, writtenAt: Nanos) {
        self.clientOrderId = clientOrderId
        self.writtenAt = writtenAt
    }
}

/// The stamps an order session keeps when asked (off by default: then an order costs one branch more). Storage is
/// reserved when they are switched on, so keeping one never allocates; stamps beyond it are counted, not kept.
struct OrderWriteStamps {
    var on = false
    var kept: [OrderWriteStamp] = []
    var capacity = 0
    var dropped = 0

    mutating func stamp(_ id: ClientOrderId) {
        let now = MonotonicClock.now()
        guard kept.count < capacity else {
            dropped += 1
            return
        }
        kept.append(OrderWriteStamp(clientOrderId: id, writtenAt: now))
    }
}

extension OrderSession {
    /// Starts keeping a write stamp for every order placed on the WebSocket: when its bytes were written (the clock
    /// read right after the send returned, whether the socket took them all or queued the rest).
    /// - Parameter capacity: Stamps kept between two `takeWriteStamps` calls; more are counted in
    ///   `droppedWriteStamps`. Traps if not positive.
    public mutating func stampWrites(capacity: Int = 1_024) {
        precondition(capacity > 0, "a positive number of write stamps")
        state.pointee.writeStamps.kept.reserveCapacity(capacity)
        state.pointee.writeStamps.capacity = capacity
        state.pointee.writeStamps.on = true
    }

    /// Hands each write stamp kept since the last call to `body`, oldest first, and forgets them (capacity kept).
    public mutating func takeWriteStamps(_ body: (OrderWriteStamp) -> Void) {
        guard !state.pointee.writeStamps.kept.isEmpty else { return }
        for s in state.pointee.writeStamps.kept { body(s) }
        state.pointee.writeStamps.kept.removeAll(keepingCapacity: true)
    }

    /// Stamps not kept because `stampWrites`' capacity was full.
    public var droppedWriteStamps: Int { state.pointee.writeStamps.dropped }
}
