import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

/// OKX's ISO timestamp of `now` (milliseconds, UTC) as its REST headers carry it, by Foundation's formatter.
func okxStamp(_ now: Nanos) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: Double(now.raw / 1_000_000) / 1_000))
}

@Suite("OKX trade history: GET /api/v5/trade/fills by ordId, its fills as the orders channel's", .serialized)
struct OKXTradesTests {
    @Test("the exact request: instType SPOT, instId, ordId in the signed path (checked against an HMAC of timestamp + GET + path)")
    func requestBytes() throws {
        var codec = okxCodec()
        var buffer = OrderRequestBuffer()
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1), venueOrderId: InlineText("452197707845865472")!)
        let sent = try codec.trades(ref, now: docTime, into: &buffer)
        #expect(sent == EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1)))
        let path = "/api/v5/trade/fills?instType=SPOT&instId=BTC-USDT&ordId=452197707845865472"
        let stamp = okxStamp(docTime)
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array("okx-secret-1".utf8), Array((stamp + "GET" + path).utf8)))
        #expect(
            buffer.text
                == "GET \(path) HTTP/1.1\r\nHost: www.okx.com\r\nOK-ACCESS-KEY: okx-key-1\r\nOK-ACCESS-SIGN: \(sign)\r\nOK-ACCESS-TIMESTAMP: \(stamp)\r\nOK-ACCESS-PASSPHRASE: pass-1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n")
        #expect(throws: OrderEncodeError.self) { try codec.trades(OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer) }
    }

    @Test("the documented answer: fee negative when charged (a rebate positive), maker/taker, tradeId hashed as the orders channel's; code ≠ 0 thrown")
    func decodesDocumentedAnswer() throws {
        let codec = okxCodec()
        let request = EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1))
        let answer = #"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","tradeId":"242589207","ordId":"452197707845865472","clOrdId":"g0000000000000abc","billId":"455990812345678","subType":"2","tag":"","fillPx":"31527.1","fillSz":"0.001","fillIdxPx":"31530.2","fillPnl":"0","fillPxVol":"","fillPxUsd":"","fillMarkVol":"","fillFwdPx":"","fillMarkPx":"","side":"sell","posSide":"net","execType":"M","feeCcy":"USDT","fee":"-0.02522168","ts":"1654084353264","fillTime":"1654084353263","feeRate":"-0.0008","tradeQuoteCcy":"USDT"},{"instType":"SPOT","instId":"BTC-USDT","tradeId":"242589208","ordId":"452197707845865472","clOrdId":"","billId":"455990812345679","subType":"2","tag":"","fillPx":"31527.2","fillSz":"0.002","side":"sell","posSide":"net","execType":"T","feeCcy":"USDT","fee":"0.01","ts":"1654084353270","fillTime":"1654084353269","feeRate":"0.0002"}]}"#
        var got: [OrderUpdate] = []
        #expect(try withBytes(answer) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { got.append($0) } } == 2)
        try #require(got.count == 2)
        #expect(got[0].tradeId == 242_589_207 && got[0].report.price.raw == 315_271 && got[0].report.lastQuantity.raw == 100_000 && !got[0].report.isTaker)
        #expect(got[0].report.fee == 25_221_680 && got[0].feeAsset == .quote, "a charge of 0.02522168 USDT at the notional scale (9)")
        #expect(got[1].report.fee == -10_000_000 && got[1].report.isTaker, "a rebate is a negative fee")
        #expect(got.allSatisfy { $0.report.status == .partiallyFilled && $0.report.clientOrderId == ClientOrderId(raw: 0xabc) && $0.report.venueOrderId == 452_197_707_845_865_472 })
        // The orders channel's push of the first fill: the same facts.
        let push = #"{"arg":{"channel":"orders","instType":"SPOT"},"data":[{"instId":"BTC-USDT","ordId":"452197707845865472","clOrdId":"g0000000000000abc","side":"sell","px":"31527.1","state":"partially_filled","accFillSz":"0.001","fillPx":"31527.1","fillSz":"0.001","tradeId":"242589207","fillFee":"-0.02522168","fillFeeCcy":"USDT","execType":"M","uTime":"1654084353264"}]}"#
        var streamed: [OrderUpdate] = []
        _ = try withBytes(push) { try codec.decodeUserStream($0) { streamed.append($0) } }
        #expect(streamed.map(FillFacts.init) == [FillFacts(got[0])])
        #expect(try withBytes(#"{"code":"0","msg":"","data":[]}"#) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { _ in } } == 0)
        let refused = #"{"code":"50113","msg":"Invalid signature.","data":[]}"#
        #expect(throws: DecodeError.venue(withBytes("Invalid signature.") { VenueOrderError(requestId: 0, clientOrderId: ClientOrderId(raw: 0xabc), code: 50113, httpStatus: 401, message: $0) })) {
            try withBytes(refused) { try codec.decodeTrades($0, .rest(request, httpStatus: 401)) { _ in } }
        }
    }

    @Test("end to end: a REST IOC sweeping three levels; the fills answer lists exactly the orders channel's fills; an unknown ordId none")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.okx, symbol: "BTC-USDT", priceScale: 1, quantityScale: 8)
        try venue.addOKXKey(apiKey: "okx-key-1", secret: "okx-secret-1", passphrase: "pass-1", account: 1, deposits: ["BTC": "2", "USDT": "300000"])
        var codec = okxCodec(host: "www.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        let ws = try SimTestClient(port: venue.port, path: "/ws/v5/private")
        _ = try codec.login(now: WallClock.now(), into: &buffer)
        #expect(ws.request(sim, buffer.text).first?.contains(#""event":"login""#) == true)
        #expect(ws.request(sim, #"{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#).first?.contains(#""event":"subscribe""#) == true)
        let order = sweep(venue, clientOrderId: ClientOrderId(raw: 0xabd))
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
        try expectSameFills(codec, ws, sim, history: history, order: order.clientOrderId)
        var unknown = ref
        unknown.venueOrderId = InlineText("1")!
        let none = try codec.trades(unknown, now: WallClock.now(), into: &buffer)
        #expect(try historyFills(codec, try exchange(buffer, sim, venue).body, .rest(none, httpStatus: 200)).isEmpty)
    }
}
