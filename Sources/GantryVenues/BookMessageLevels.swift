import GantryBook
import GantryCore

extension L2Book {
    /// Applies one venue message's levels, as every WebSocket book sync does: a snapshot empties the book and
    /// loads its levels (worst first, see `load`); an update sets each level and tells `onLevel`. A level that
    /// does not decode leaves the book stale (a half-applied message is never live) and the error is rethrown.
    /// - Parameter levels: Calls its argument for each of the message's levels (the message's `forEachLevel`).
    mutating func applyLevels(
        snapshot: Bool, counters: inout BookSyncCounters,
        _ levels: ((Side, Price, Quantity) -> Void) throws(DecodeError) -> Void, onLevel: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        do {
            if snapshot {
                clear()
                counters.snapshots += 1
                try load(levels)
            } else {
                // `onLevel` is only called during `levels`; the compiler cannot see that a non-escaping closure
                // passed into another one does not re-enter, so it is handed over as if it escaped.
                try withoutActuallyEscaping(onLevel) { (onLevel) throws(DecodeError) in
                    try levels { side, price, quantity in
                        self.apply(side, price, quantity)
                        onLevel(side, price, quantity)
                    }
                }
            }
        } catch {
            state = .stale
            throw error
        }
    }
}
