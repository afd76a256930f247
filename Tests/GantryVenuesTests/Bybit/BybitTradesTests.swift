import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

@Suite("Bybit trade history: GET /v5/execution/list by orderId or orderLinkId, its executions as the execution topic's", .serialized)
struct BybitTradesTests {
    @Test("the exact request: category spot, symbol, orderId (orderLinkId without it), the query signed with timestamp, key and window")
    func requestBytes() throws {
        var codec = bybitCodec()
        var buffer = OrderRequestBuffer()
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1), venueOrderId: InlineText("1321003749386327552")!)
        let sent = try codec.trades(ref, now: docTime, into: &buffer)
        #expect(sent == EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1)))
        let query = "category=spot&symbol=BTCUSDT&orderId=1321003749386327552"
        let sign = Hex.encode(Crypto.hmacSHA256(key: Array("bybit-secret-1".utf8), Array("1645423376532bybit-key-15000\(query)".utf8)))
        #expect(
            buffer.text
                == "GET /v5/execution/list?\(query) HTTP/1.1\r\nHost: api.bybit.com\r\nX-BAPI-API-KEY: bybit-key-1\r\nX-BAPI-TIMESTAMP: 1645423376532\r\nX-BAPI-RECV-WINDOW: 5000\r\nX-BAPI-SIGN: \(sign)\r\nContent-Length: 0\r\n\r\n")
        _ = try codec.trades(OrderReference(clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("GET /v5/execution/list?category=spot&symbol=BTCUSDT&orderLinkId=g0000000000000042 HTTP/1.1\r\n"))
    }

    @Test("the documented answer: each execution a fill, execId hashed as the execution topic's, the fee in feeCurrency; retCode ≠ 0 thrown")
    func decodesDocumentedAnswer() throws {
        let codec = bybitCodec()
        let request = EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1))
        let execution = #""symbol":"BTCUSDT","orderType":"Limit","underlyingPrice":"","orderLinkId":"g0000000000000042","orderId":"1321003749386327552","stopOrderType":"","execTime":"1718863400361","feeRate":"0.001","tradeIv":"","blockTradeId":"","markPrice":"","execPrice":"64000.5","markIv":"","orderQty":"0.003","orderPrice":"64001","execValue":"128.001","closedSize":"","execType":"Trade","seq":9521318,"side":"Buy","indexPrice":"","leavesQty":"0.001","isMaker":false,"execFee":"0.000002","feeCurrency":"BTC","execId":"2100000000059617391","execQty":"0.002""#
        let answer = #"{"retCode":0,"retMsg":"OK","result":{"nextPageCursor":"","category":"spot","list":[{\#(execution)}]},"retExtInfo":{},"time":1718863400500}"#
        var got: [OrderUpdate] = []
        #expect(try withBytes(answer) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { got.append($0) } } == 1)
        let u = try #require(got.first)
        #expect(u.tradeId == 2_100_000_000_059_617_391 && u.report.price.raw == 6_400_050 && u.report.lastQuantity.raw == 2_000 && u.report.isTaker)
        #expect(u.feeAsset == .base && u.nativeFee == 2 && u.report.fee == 2 * 6_400_050, "a fee in BTC valued at the fill price")
        #expect(u.report.status == .partiallyFilled && u.report.cumulativeQuantity == .zero && u.report.clientOrderId == ClientOrderId(raw: 0x42))
        // The execution topic's push of it: the same facts.
        let push = #"{"topic":"execution","id":"386825804_BTCUSDT_140612148849382","creationTime":1718863400400,"data":[{"category":"spot",\#(execution)}]}"#
        var streamed: [OrderUpdate] = []
        _ = try withBytes(push) { try codec.decodeUserStream($0) { streamed.append($0) } }
        #expect(streamed.map(FillFacts.init) == [FillFacts(u)])
        #expect(throws: DecodeError.self) { try withBytes(#"{"retCode":10004,"retMsg":"Error sign","result":{},"retExtInfo":{},"time":1}"#) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { _ in } } }
    }

    @Test("end to end: a REST IOC sweeping three levels; execution/list (by orderId and by orderLinkId) lists exactly the execution topic's fills")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.bybit, symbol: "BTCUSDT", priceScale: 2, quantityScale: 6)
        try venue.addBybitKey(apiKey: "bybit-key-1", secret: "bybit-secret-1", account: 1, deposits: ["BTC": "2", "USDT": "5000000"])
        var codec = bybitCodec(host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        let ws = try SimTestClient(port: venue.port, path: "/v5/private")
        _ = try codec.auth(expires: WallClock.now() + .seconds(10), into: &buffer)
        #expect(ws.request(sim, buffer.text).first?.contains(#""success":true"#) == true)
        #expect(ws.request(sim, #"{"op":"subscribe","args":["execution"]}"#).first?.contains(#""success":true"#) == true)
        let order = sweep(venue, clientOrderId: ClientOrderId(raw: 0x43))
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
        #expect(history.reduce(0) { $0 + $1.quantity } == order.quantity.raw)
        #expect(history.allSatisfy { $0.feeAsset == FeeAsset.quote.rawValue && $0.fee > 0 }, "the fee in the quote, named")
        try expectSameFills(codec, ws, sim, history: history, order: order.clientOrderId)
        let byLink = try codec.trades(OrderReference(clientOrderId: order.clientOrderId, instrument: order.instrument), now: WallClock.now(), into: &buffer)
        let linked = try exchange(buffer, sim, venue)
        #expect(Set(try historyFills(codec, linked.body, .rest(byLink, httpStatus: linked.status))) == Set(history))
    }
}
