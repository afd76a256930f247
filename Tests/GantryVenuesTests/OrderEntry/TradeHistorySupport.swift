import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

/// What a fill says that positions and fees are made of: compared between the user stream and the history.
struct FillFacts: Hashable, CustomStringConvertible {
    var tradeId: UInt64
    var price: Int64
    var quantity: Int64
    var fee: Int64
    var feeAsset: UInt8
    var nativeFee: Int64
    var clientOrderId: UInt64

    init(_ u: OrderUpdate) {
        tradeId = u.tradeId
        price = u.report.price.raw
        quantity = u.report.lastQuantity.raw
        fee = u.report.fee
        feeAsset = u.feeAsset.rawValue
        nativeFee = u.nativeFee
        clientOrderId = u.report.clientOrderId.raw
    }

    var description: String { "trade \(tradeId): \(quantity) @ \(price), fee \(fee)" }
}

/// A limit IOC buy that takes the best `levels` ask levels of the venue's first book whole (so it fills in that
/// many trades): its price the last level's, its quantity their sum.
func sweep(_ venue: SimVenue, levels: Int = 3, clientOrderId: ClientOrderId) -> OrderRequest {
    let asks = venue.books[0].engine.depth(.sell, levels: levels)
    return OrderRequest(
        clientOrderId: clientOrderId, instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
        price: asks.last!.price, quantity: Quantity(raw: asks.reduce(0) { $0 + $1.quantity.raw }))
}

/// The fills (updates with a trade id) a codec reads in the messages a stream client received.
func streamFills<C: OrderEntryCodec>(_ codec: C, _ client: SimTestClient, order: ClientOrderId) throws -> [FillFacts] {
    var fills: [FillFacts] = []
    for text in client.received {
        _ = try Array(text.utf8).withUnsafeBytes { bytes in
            try codec.decodeUserStream(bytes) { u in if u.tradeId != 0 && u.report.clientOrderId == order { fills.append(FillFacts(u)) } }
        }
    }
    return fills
}

/// The trades a codec reads in a trade-history answer.
func historyFills<C: OrderEntryCodec>(_ codec: C, _ body: [UInt8], _ context: ReplyContext) throws -> [FillFacts] {
    var fills: [FillFacts] = []
    let n = try body.withUnsafeBytes { try codec.decodeTrades($0, context) { fills.append(FillFacts($0)) } }
    #expect(n == fills.count)
    return fills
}

/// Waits until the stream has delivered a fill for every trade of `history` (they were sent when the order
/// traded), then checks that the stream's fills are exactly the history's: the same ids, prices, quantities and
/// fees, each once.
func expectSameFills<C: OrderEntryCodec>(_ codec: C, _ client: SimTestClient, _ sim: VenueSimulator, history: [FillFacts], order: ClientOrderId) throws {
    let ids = Set(history.map(\.tradeId))
    client.pump(sim) { c in Set(((try? streamFills(codec, c, order: order)) ?? []).map(\.tradeId)).isSuperset(of: ids) }
    let stream = try streamFills(codec, client, order: order)
    #expect(history.count >= 2, "the sweep filled in several trades: \(history)")
    #expect(Set(history).count == history.count && ids.count == history.count, "each trade once")
    #expect(Set(stream) == Set(history), "stream \(stream) vs history \(history)")
}

/// The REST answer to a request an encoder wrote, as raw bytes over a real socket (`sendRaw`), required.
func exchange(_ buffer: borrowing OrderRequestBuffer, _ sim: VenueSimulator, _ venue: SimVenue) throws -> RawResponse {
    try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
}
