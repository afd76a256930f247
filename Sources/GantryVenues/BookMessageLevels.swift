import GantryBook
import GantryCore

/// A decoded venue message that carries book levels.
public protocol BookLevelSource {
    /// Calls `body` for each level, parsed at the instrument's scales; quantity 0 removes the level.
    func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError)
}

extension OKX.BookMessage: BookLevelSource {}
extension Bybit.BookMessage: BookLevelSource {}
extension KrakenV1.BookMessage: BookLevelSource {}
extension KrakenV2.BookMessage: BookLevelSource {}
extension CoinbaseAdvanced.BookEvent: BookLevelSource {}
extension CoinbaseExchange.Book: BookLevelSource {}
extension Binance.DepthDiff: BookLevelSource {}
extension Binance.DepthSnapshot: BookLevelSource {}

extension L2Book {
    /// Applies one venue message's levels, as every WebSocket book sync does: a snapshot empties the book and
    /// loads its levels (worst first, see `load`); an update sets each level and tells `onLevel`. A level that
    /// does not decode leaves the book stale (a half-applied message is never live) and the error is rethrown.
    @inlinable
    mutating func applyLevels<Message: BookLevelSource>(
        _ message: Message, priceScale: Int, quantityScale: Int, snapshot: Bool, counters: inout BookSyncCounters,
        onLevel: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        do {
            if snapshot {
                clear()
                counters.snapshots += 1
                try load { body throws(DecodeError) in
                    try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale, body)
                }
            } else {
                try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { side, price, quantity in
                    self.apply(side, price, quantity)
                    onLevel(side, price, quantity)
                }
            }
        } catch {
            state = .stale
            throw error
        }
    }
}
