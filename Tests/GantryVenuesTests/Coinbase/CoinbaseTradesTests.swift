import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

@Suite("Coinbase trade history: GET …/orders/historical/fills?order_ids=, fills numbered as the user channel counts them", .serialized)
struct CoinbaseTradesTests {
    static let orderId = "0000-000000-000000"

    @Test("the exact request: order_ids in the query, a JWT whose uri is the path without it, signed by the key")
    func requestBytes() throws {
        let key = ES256Key.generate()
        var codec = coinbaseCodec(key: key)
        var buffer = OrderRequestBuffer()
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1), venueOrderId: InlineText(Self.orderId)!)
        let sent = try codec.trades(ref, now: docTime, into: &buffer)
        #expect(sent == EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1)))
        #expect(buffer.text.hasPrefix("GET /api/v3/brokerage/orders/historical/fills?order_ids=\(Self.orderId) HTTP/1.1\r\nHost: api.coinbase.com\r\nAuthorization: Bearer "))
        #expect(buffer.text.hasSuffix("\r\nContent-Length: 0\r\n\r\n") && !buffer.text.contains("Content-Type"))
        let jwt = try #require(header("Authorization", in: buffer.text)?.dropFirst("Bearer ".count))
        let parts = try #require(CoinbaseJWT.parts(String(jwt)))
        #expect(parts.signed(by: try ES256Key(publicKeyPEM: key.publicKeyPEM)))
        #expect(parts.claims.contains(#""uri":"GET api.coinbase.com/api/v3/brokerage/orders/historical/fills""#))
        #expect(throws: OrderEncodeError.self) { try codec.trades(OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer) }
    }

    @Test("the documented answer: fills listed newest first get ids by their rank in the order's sequence; commission in quote; errors thrown")
    func decodesDocumentedAnswer() throws {
        let codec = coinbaseCodec(key: ES256Key.generate())
        let request = EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1))
        func fill(_ trade: String, _ time: String, _ price: String, _ size: String, _ fee: String, _ liquidity: String) -> String {
            #"{"entry_id":"e-\#(trade)","trade_id":"\#(trade)","order_id":"\#(Self.orderId)","trade_time":"\#(time)","trade_type":"FILL","price":"\#(price)","size":"\#(size)","commission":"\#(fee)","product_id":"BTC-USD","sequence_timestamp":"\#(time)","liquidity_indicator":"\#(liquidity)","size_in_quote":false,"user_id":"3333-333333-3333333","side":"BUY","retail_portfolio_id":""}"#
        }
        let answer = #"{"fills":[\#(fill("1111-2", "2024-01-15T10:30:00.200000Z", "45123.46", "0.002", "0.5", "TAKER")),\#(fill("1111-1", "2024-01-15T10:30:00.100000Z", "45123.45", "0.005", "1.14", "MAKER"))],"cursor":""}"#
        var got: [OrderUpdate] = []
        #expect(try withBytes(answer) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { got.append($0) } } == 2)
        try #require(got.count == 2)
        let base = withBytes(Self.orderId) { OrderFieldsProbe.textHash($0) }
        #expect(got[0].tradeId == base &+ 2 && got[1].tradeId == base &+ 1, "the later fill is the second")
        #expect(got[1].report.price.raw == 4_512_345 && got[1].report.lastQuantity.raw == 500_000 && got[1].report.fee == 11_400_000_000 && !got[1].report.isTaker)
        #expect(got.allSatisfy { $0.report.status == .partiallyFilled && $0.report.clientOrderId == ClientOrderId(raw: 0xc0b) && $0.feeAsset == .quote && !$0.cumulativeOnly })
        #expect(got[1].report.eventTime == Nanos(raw: 1_705_314_600_100_000_000))
        // The user channel's update after both fills: its trade id is the second fill's, its totals their sums.
        let update = #"{"channel":"user","client_id":"","timestamp":"2024-01-15T10:30:00.300000Z","sequence_num":4,"events":[{"type":"update","orders":[{"order_id":"\#(Self.orderId)","client_order_id":"g0000000000000c0b","cumulative_quantity":"0.007","leaves_quantity":"0","avg_price":"45123.45","total_fees":"1.64","status":"FILLED","product_id":"BTC-USD","order_side":"BUY","order_type":"Limit","number_of_fills":"2","limit_price":"45200"}]}]}"#
        var streamed: [OrderUpdate] = []
        _ = try withBytes(update) { try codec.decodeUserStream($0) { streamed.append($0) } }
        let u = try #require(streamed.first)
        #expect(u.tradeId == got[0].tradeId && u.report.cumulativeQuantity.raw == got.reduce(0) { $0 + $1.report.lastQuantity.raw })
        #expect(u.report.fee == got.reduce(0) { $0 + $1.report.fee })
        #expect(try withBytes(#"{"fills":[],"cursor":""}"#) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { _ in } } == 0)
        #expect(throws: DecodeError.self) { try withBytes("Unauthorized") { try codec.decodeTrades($0, .rest(request, httpStatus: 401)) { _ in } } }
        #expect(throws: DecodeError.self) {
            try withBytes(#"{"error":"INVALID_ARGUMENT","code":3,"message":"bad order_ids","details":[]}"#) { try codec.decodeTrades($0, .rest(request, httpStatus: 400)) { _ in } }
        }
    }

    @Test("end to end: an IOC sweeping three levels; the fills' ids, quantities and fees add up to the user channel's update; an unknown order none")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.coinbase, symbol: "BTC-USD", priceScale: 2, quantityScale: 8)
        let key = ES256Key.generate()
        let name = "organizations/sim/apiKeys/k1"
        try venue.addCoinbaseKey(name: name, publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: ["BTC": "2", "USD": "300000"])
        var codec = coinbaseCodec(key: key, name: name, host: "api.sim.test")
        var buffer = OrderRequestBuffer()
        let ws = try SimTestClient(port: venue.port, path: "/")
        let jwt = try CoinbaseJWT.make(keyName: name, key: key, uri: nil, now: WallClock.now().raw / 1_000_000_000, nonce: [1, 2, 3, 4])
        #expect(ws.request(sim, #"{"type":"subscribe","channel":"user","product_ids":["BTC-USD"],"jwt":"\#(jwt)"}"#).first?.contains(#""snapshot""#) == true)
        let order = sweep(venue, clientOrderId: ClientOrderId(raw: 0xc0c))
        let placed = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try exchange(buffer, sim, venue)
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(placed, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.text)")
            return
        }
        let ref = OrderReference(clientOrderId: order.clientOrderId, instrument: order.instrument, venueOrderId: ack.venueOrderId)
        let asked = try codec.trades(ref, now: WallClock.now(), into: &buffer)
        let answer = try exchange(buffer, sim, venue)
        let history = try historyFills(codec, answer.body, .rest(asked, httpStatus: answer.status))
        #expect(history.count >= 2 && history.reduce(0) { $0 + $1.quantity } == order.quantity.raw)
        let base = ack.venueOrderId.withBytes { OrderFieldsProbe.textHash($0) }
        #expect(Set(history.map(\.tradeId)) == Set((1...UInt64(history.count)).map { base &+ $0 }), "numbered 1…n as the user channel counts fills")
        // The user channel's last update of the order: n fills, their quantity and fees.
        ws.pump(sim) { c in c.received.contains { $0.contains(#""number_of_fills":"\#(history.count)""#) } }
        var last: OrderUpdate? = nil
        for text in ws.received {
            _ = try withBytes(text) { try codec.decodeUserStream($0) { u in if u.report.clientOrderId == order.clientOrderId { last = u } } }
        }
        let u = try #require(last)
        #expect(u.tradeId == history.map(\.tradeId).max())
        #expect(u.report.cumulativeQuantity.raw == history.reduce(0) { $0 + $1.quantity } && u.report.fee == history.reduce(0) { $0 + $1.fee })
        var unknown = ref
        unknown.venueOrderId = InlineText("00000000-0000-4000-8000-000000000000")!
        let none = try codec.trades(unknown, now: WallClock.now(), into: &buffer)
        #expect(try historyFills(codec, try exchange(buffer, sim, venue).body, .rest(none, httpStatus: 200)).isEmpty)
    }
}
