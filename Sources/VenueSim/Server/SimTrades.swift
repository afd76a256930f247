import GantryCore

// Each venue keeps, with each order it reports, the trades the order took part in: exactly what its user stream
// pushed for each fill (the trade id, price, quantity, fee and side of the book), so that its trade-history
// endpoint (Binance myTrades, OKX trade/fills, Bybit execution/list, Kraken QueryTrades, Coinbase historical/
// fills) lists the same trades with the same ids.

/// One trade of one order, as its venue reported it.
struct SimTrade {
    /// The matching engine's trade id (Binance's and OKX's trade id, Kraken's `trade_id`).
    var tradeId: UInt64
    /// The venue's own id of the execution where it is text or a per-venue counter (Bybit's execId, Kraken's
    /// trade txid, Coinbase's trade_id); empty where `tradeId` is the id.
    var venueId: String
    /// Raw at the book's price and quantity scales.
    var price: Int64
    var quantity: Int64
    /// In the quote asset at the quote scale (price scale + quantity scale).
    var fee: Int64
    var maker: Bool
    /// Wall-clock time of the trade as the venue reports it.
    var time: Nanos

    init(_ fill: SimFill, maker: Bool, venueId: String = "", time: Nanos) {
        tradeId = fill.tradeId
        self.venueId = venueId
        price = fill.price.raw
        quantity = fill.quantity.raw
        fee = maker ? fill.makerFee : fill.takerFee
        self.maker = maker
        self.time = time
    }

    /// The quote value (price × quantity), at the quote scale.
    var value: Int64 { price * quantity }
}
