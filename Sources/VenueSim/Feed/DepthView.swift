import GantryBook
import GantryCore

/// What the subscribers of a depth-limited book channel (Bybit `orderbook.200`, OKX `books`, Kraken `book`
/// at a depth) hold: the best `depth` levels of each side. After a step, `update` compares the venue's book
/// with the view and returns what the channel sends: changed levels, levels that left the window (quantity 0)
/// and levels that came into it from below, as the venues document for their truncated books.
public struct DepthView {
    public let depth: Int
    /// Whether a level pushed out of the window by a better one is sent as a deletion (Bybit, OKX) or left to
    /// the client to truncate (Kraken: "you won't receive qty 0 for price levels that fall out of scope").
    public let deletesPushedOut: Bool
    var bids: [Int64: Int64] = [:]
    var asks: [Int64: Int64] = [:]

    public init(depth: Int, deletesPushedOut: Bool = true) {
        self.depth = depth
        self.deletesPushedOut = deletesPushedOut
    }

    /// Takes the book's window as it stands (after a snapshot was sent).
    public mutating func reset(to book: SimulatedBook) {
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
        let (b, a) = book.snapshot(depth: depth)
        for l in b { bids[l.price.raw] = l.quantity.raw }
        for l in a { asks[l.price.raw] = l.quantity.raw }
    }

    /// The window's changes since the last call, given the book's changes in this step.
    public mutating func update(from book: SimulatedBook, changes: [SimLevelChange]) -> [SimLevelChange] {
        var out: [SimLevelChange] = []
        for side in [Side.buy, .sell] where changes.contains(where: { $0.side == side }) {
            let levels = side == .buy ? book.published.bids.count : book.published.asks.count
            var window: [Int64: Int64] = [:]
            window.reserveCapacity(min(depth, levels))
            for i in 0..<min(depth, levels) {
                let l = side == .buy ? book.published.bids.level(i) : book.published.asks.level(i)
                window[l.price.raw] = l.quantity.raw
            }
            let held = side == .buy ? bids : asks
            for (price, _) in held where window[price] == nil {
                let stillQuoted = book.engine.quantity(side, at: Price(raw: price)).raw > 0
                if deletesPushedOut || !stillQuoted {
                    out.append(SimLevelChange(side: side, price: Price(raw: price), quantity: .zero))
                }
            }
            for i in 0..<min(depth, levels) {
                let l = side == .buy ? book.published.bids.level(i) : book.published.asks.level(i)
                if held[l.price.raw] != l.quantity.raw { out.append(SimLevelChange(side: side, price: l.price, quantity: l.quantity)) }
            }
            if side == .buy { bids = window } else { asks = window }
        }
        return out
    }
}
