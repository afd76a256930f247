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
    /// loads its levels (worst first, see `load`); an update's levels are decoded whole into `scratch`, then
    /// each is set and told to `onLevel`. A level that does not decode leaves the book stale (a snapshot's
    /// half loaded; an update's untouched) and the error is rethrown.
    @inlinable
    mutating func applyLevels<Message: BookLevelSource>(
        _ message: Message, priceScale: Int, quantityScale: Int, snapshot: Bool, counters: inout BookSyncCounters,
        scratch: inout LevelScratch, onLevel: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        if snapshot {
            do {
                clear()
                counters.snapshots += 1
                try load { body throws(DecodeError) in
                    try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale, body)
                }
            } catch {
                state = .stale
                throw error
            }
            return
        }
        let n: Int
        do {
            n = try scratch.decode(message, priceScale: priceScale, quantityScale: quantityScale)
        } catch {
            state = .stale
            throw error
        }
        for i in 0..<n {
            let u = scratch[i]
            apply(u.side, u.price, u.quantity)
            onLevel(u.side, u.price, u.quantity)
        }
    }
}
