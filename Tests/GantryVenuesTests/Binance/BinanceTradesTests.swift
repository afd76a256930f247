import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

@Suite("Binance trade history: myTrades by orderId (WebSocket API, REST), its trades as fills with the stream's ids and fees", .serialized)
struct BinanceTradesTests {
    static let ref = OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1), venueOrderId: InlineText("12569099453")!)

    @Test("myTrades: the exact bytes, params sorted by name (orderId a number), signed as every request; REST's query string")
    func requestBytes() throws {
        var codec = binanceCodec()
        var buffer = OrderRequestBuffer()
        let sent = try codec.trades(Self.ref, now: docTime, into: &buffer)
        #expect(sent == EncodedRequest(transport: .webSocket, kind: .trades, requestId: 1, clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1)))
        let payload = "apiKey=\(BinanceDocKeys.apiKey)&orderId=12569099453&recvWindow=5000&symbol=BTCUSDT&timestamp=1645423376532"
        let signature = Hex.encode(Crypto.hmacSHA256(key: Array(BinanceDocKeys.secret.utf8), Array(payload.utf8)))
        #expect(
            buffer.text
                == #"{"id":1,"method":"myTrades","params":{"apiKey":"\#(BinanceDocKeys.apiKey)","orderId":12569099453,"recvWindow":5000,"symbol":"BTCUSDT","timestamp":1645423376532,"signature":"\#(signature)"}}"#)
        codec.transport = .rest
        _ = try codec.trades(Self.ref, now: docTime, into: &buffer)
        let query = "orderId=12569099453&recvWindow=5000&symbol=BTCUSDT&timestamp=1645423376532"
        let restSignature = Hex.encode(Crypto.hmacSHA256(key: Array(BinanceDocKeys.secret.utf8), Array(query.utf8)))
        #expect(
            buffer.text
                == "GET /api/v3/myTrades?\(query)&signature=\(restSignature) HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: \(BinanceDocKeys.apiKey)\r\nContent-Length: 0\r\n\r\n")
        var noId = Self.ref
        noId.venueOrderId = InlineText()
        #expect(throws: OrderEncodeError.self) { try codec.trades(noId, now: docTime, into: &buffer) }
        noId.venueOrderId = InlineText("g0000000000000001")!
        #expect(throws: OrderEncodeError.self) { try codec.trades(noId, now: docTime, into: &buffer) }
    }

    @Test("the documented answer: each trade a fill at its price and quantity, its id the stream's t, fees in quote, base and BNB; errors thrown")
    func decodesDocumentedAnswer() throws {
        let codec = binanceCodec()
        let request = EncodedRequest(transport: .webSocket, kind: .trades, requestId: 7, clientOrderId: ClientOrderId(raw: 5), instrument: InstrumentId(raw: 1))
        let answer = #"{"id":7,"status":200,"result":[{"symbol":"BTCUSDT","id":1650422481,"orderId":12569099453,"orderListId":-1,"price":"23416.10000000","qty":"0.00635000","quoteQty":"148.69223500","commission":"0.14869223","commissionAsset":"USDT","time":1660801715793,"isBuyer":false,"isMaker":true,"isBestMatch":true},{"symbol":"BTCUSDT","id":1650422482,"orderId":12569099453,"orderListId":-1,"price":"23416.50000000","qty":"0.00212000","quoteQty":"49.64298000","commission":"0.00000212","commissionAsset":"BTC","time":1660801715793,"isBuyer":false,"isMaker":false,"isBestMatch":true},{"symbol":"BTCUSDT","id":1650422483,"orderId":12569099453,"orderListId":-1,"price":"23416.50000000","qty":"0.00100000","quoteQty":"23.41650000","commission":"0.00002000","commissionAsset":"BNB","time":1660801715793,"isBuyer":false,"isMaker":false,"isBestMatch":true}],"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000,"count":5}]}"#
        var got: [OrderUpdate] = []
        let n = try withBytes(answer) { try codec.decodeTrades($0, .matched(request)) { got.append($0) } }
        try #require(n == 3 && got.count == 3)
        #expect(got.allSatisfy { $0.report.status == .partiallyFilled && $0.report.side == .sell && $0.report.clientOrderId == ClientOrderId(raw: 5) })
        #expect(got.allSatisfy { $0.report.venueOrderId == 12_569_099_453 && $0.report.instrument == InstrumentId(raw: 1) && $0.report.cumulativeQuantity == .zero })
        #expect(got[0].tradeId == 1_650_422_481 && got[0].report.price.raw == 2_341_610 && got[0].report.lastQuantity.raw == 635_000 && !got[0].report.isTaker)
        #expect(got[0].feeAsset == .quote && got[0].report.fee == 1_486_922_300, "0.14869223 USDT at the notional scale (10)")
        #expect(got[1].feeAsset == .base && got[1].nativeFee == 212 && got[1].report.fee == 212 * 2_341_650, "base fee valued at the fill price")
        #expect(got[2].feeAsset == .other && got[2].report.fee == 0 && got[2].nativeFee == 20_000_000, "BNB kept at the 12-digit scale")
        #expect(got[0].report.eventTime == Nanos(raw: 1_660_801_715_793_000_000))
        // The same trade on the user stream has the same id (t), price, quantity and fee.
        let stream = #"{"subscriptionId":0,"event":{"e":"executionReport","E":1660801715794,"s":"BTCUSDT","c":"g0000000000000005","S":"SELL","o":"LIMIT","f":"GTC","q":"0.01","p":"23416.1","X":"PARTIALLY_FILLED","i":12569099453,"l":"0.00635000","z":"0.00635000","L":"23416.10000000","n":"0.14869223","N":"USDT","T":1660801715793,"t":1650422481,"m":true}}"#
        var streamed: [OrderUpdate] = []
        _ = try withBytes(stream) { try codec.decodeUserStream($0) { streamed.append($0) } }
        #expect(streamed.map(FillFacts.init) == [FillFacts(got[0])])
        // REST: the bare list; an empty one for an order without trades.
        let rest = EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 5), instrument: InstrumentId(raw: 1))
        #expect(try withBytes("[]") { try codec.decodeTrades($0, .rest(rest, httpStatus: 200)) { _ in } } == 0)
        let invalid = withBytes("Invalid symbol.") { VenueOrderError(requestId: 0, clientOrderId: ClientOrderId(raw: 5), code: -1121, httpStatus: 400, message: $0) }
        #expect(throws: DecodeError.venue(invalid)) {
            try withBytes(#"{"code":-1121,"msg":"Invalid symbol."}"#) { try codec.decodeTrades($0, .rest(rest, httpStatus: 400)) { _ in } }
        }
        let refused = #"{"id":7,"status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}}"#
        #expect(throws: DecodeError.self) { try withBytes(refused) { try codec.decodeTrades($0, .matched(request)) { _ in } } }
        #expect(throws: DecodeError.self) { try withBytes(#"[{"symbol":"BTCUSDT","id":1,"orderId":2,"price":"1","qty":"x"}]"#) { try codec.decodeTrades($0, .rest(rest, httpStatus: 200)) { _ in } } }
    }

    @Test("end to end over the WebSocket API: an IOC sweeping three levels; myTrades lists exactly the stream's fills; REST the same; unknown orderId none")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.binance, symbol: "BTCUSDT", priceScale: 2, quantityScale: 8)
        try venue.addAccount(BinanceCredentials(apiKey: "simKey1", secret: "simSecret1", account: 1), deposits: ["BTC": "2", "USDT": "300000"])
        var codec = binanceCodec(apiKey: "simKey1", secret: "simSecret1", host: "api.sim.test")
        var buffer = OrderRequestBuffer()
        let ws = try SimTestClient(port: venue.port, path: "/ws-api/v3")
        _ = try codec.userDataSubscribe(now: WallClock.now(), into: &buffer)
        #expect(ws.request(sim, buffer.text).first?.contains(#""status":200"#) == true)
        let order = sweep(venue, clientOrderId: ClientOrderId(raw: 11))
        let placed = try codec.place(order, now: WallClock.now(), into: &buffer)
        let answer = try #require(answerText(ws, sim, buffer.text, id: placed.requestId))
        guard case .accepted(let ack) = try withBytes(answer, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("not accepted: \(answer)")
            return
        }
        let ref = OrderReference(clientOrderId: order.clientOrderId, instrument: order.instrument, venueOrderId: ack.venueOrderId)
        let asked = try codec.trades(ref, now: WallClock.now(), into: &buffer)
        let trades = try #require(answerText(ws, sim, buffer.text, id: asked.requestId))
        let history = try historyFills(codec, Array(trades.utf8), .matched(asked))
        #expect(history.reduce(0) { $0 + $1.quantity } == order.quantity.raw, "the sweep filled whole")
        try expectSameFills(codec, ws, sim, history: history, order: order.clientOrderId)
        codec.transport = .rest
        let rest = try codec.trades(ref, now: WallClock.now(), into: &buffer)
        let response = try exchange(buffer, sim, venue)
        #expect(Set(try historyFills(codec, response.body, .rest(rest, httpStatus: response.status))) == Set(history))
        var unknown = ref
        unknown.venueOrderId = InlineText("999999")!
        let none = try codec.trades(unknown, now: WallClock.now(), into: &buffer)
        #expect(try historyFills(codec, try exchange(buffer, sim, venue).body, .rest(none, httpStatus: 200)).isEmpty)
    }

    /// Sends `text` on the WebSocket API and returns the answer with request id `id`.
    func answerText(_ ws: SimTestClient, _ sim: VenueSimulator, _ text: String, id: UInt64) -> String? {
        ws.send(text)
        ws.pump(sim) { c in c.received.contains { $0.hasPrefix(#"{"id":\#(id),"#) } }
        return ws.received.last { $0.hasPrefix(#"{"id":\#(id),"#) }
    }
}
