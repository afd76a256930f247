import Foundation
import GantryCore
import GantryVenues
import Testing
import VenueSim

func okxCodec(key: String = "okx-key-1", secret: String = "okx-secret-1", passphrase: String = "pass-1", host: String = "www.okx.com", code: UInt64 = 0) -> OKXOrderEntry {
    OKXOrderEntry(
        venue: VenueId(raw: 4),
        instruments: OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTC-USDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 1, quantityScale: 8, code: code)
        ]), apiKey: key, secret: VenueSecret(text: secret), passphrase: passphrase, restHost: host)
}

let okxOrder = OrderRequest(
    clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
    price: Price(raw: 970_001), quantity: Quantity(raw: 5_000_000))

@Suite("OKX order entry: login, op order / cancel-order, REST signed with OK-ACCESS-*, answers and the orders channel")
struct OKXOrderEntryTests {
    @Test("login: timestamp in seconds, sign = base64 HMAC-SHA256 of timestamp + GET + /users/self/verify (checked with OpenSSL)")
    func login() throws {
        let codec = okxCodec()
        var buffer = OrderRequestBuffer()
        _ = try codec.login(now: Nanos(raw: 1_538_054_050_975_000_000), into: &buffer)
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array("okx-secret-1".utf8), Array("1538054050GET/users/self/verify".utf8)))
        #expect(buffer.text == #"{"op":"login","args":[{"apiKey":"okx-key-1","passphrase":"pass-1","timestamp":"1538054050","sign":"\#(sign)"}]}"#)
    }

    @Test("op order: limit IOC as ordType ioc in cash mode, instIdCode first when known; a market buy sizes in the base currency")
    func placeBytes() throws {
        var codec = okxCodec(code: 10_459)
        var buffer = OrderRequestBuffer()
        let sent = try codec.place(okxOrder, now: docTime, into: &buffer)
        #expect(sent.requestId == 1 && sent.transport == .webSocket)
        #expect(buffer.text == #"{"id":"1","op":"order","args":[{"instIdCode":10459,"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"ioc","sz":"0.05","px":"97000.1","clOrdId":"g0000000000000abc"}]}"#)
        var market = okxOrder
        market.orderType = .market
        _ = try codec.place(market, now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""ordType":"market","sz":"0.05","tgtCcy":"base_ccy","clOrdId":"#) && !buffer.text.contains(#""px""#))
        var gtc = okxOrder
        gtc.timeInForce = .gtc
        var plain = okxCodec()
        _ = try plain.place(gtc, now: docTime, into: &buffer)
        #expect(buffer.text == #"{"id":"1","op":"order","args":[{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"0.05","px":"97000.1","clOrdId":"g0000000000000abc"}]}"#)
        _ = try codec.cancel(OrderReference(clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer)
        #expect(buffer.text == #"{"id":"3","op":"cancel-order","args":[{"instIdCode":10459,"instId":"BTC-USDT","clOrdId":"g0000000000000abc"}]}"#)
        #expect(throws: OrderEncodeError.self) { try codec.cancelAll(InstrumentId(raw: 1), now: docTime, into: &buffer) }
    }

    @Test("REST: OK-ACCESS-SIGN is base64 HMAC-SHA256 of the ISO timestamp + method + path (with query) + body, checked with OpenSSL")
    func restBytes() throws {
        var codec = okxCodec()
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        _ = try codec.place(okxOrder, now: Nanos(raw: 1_607_418_537_715_000_000), into: &buffer)
        let body = #"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"ioc","sz":"0.05","px":"97000.1","clOrdId":"g0000000000000abc"}"#
        let stamp = "2020-12-08T09:08:57.715Z"
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array("okx-secret-1".utf8), Array((stamp + "POST/api/v5/trade/order" + body).utf8)))
        #expect(
            buffer.text
                == "POST /api/v5/trade/order HTTP/1.1\r\nHost: www.okx.com\r\nOK-ACCESS-KEY: okx-key-1\r\nOK-ACCESS-SIGN: \(sign)\r\nOK-ACCESS-TIMESTAMP: \(stamp)\r\nOK-ACCESS-PASSPHRASE: pass-1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        _ = try codec.query(OrderReference(clientOrderId: ClientOrderId(raw: 0xabc), instrument: InstrumentId(raw: 1)), now: Nanos(raw: 1_607_418_537_715_000_000), into: &buffer)
        let path = "/api/v5/trade/order?instId=BTC-USDT&clOrdId=g0000000000000abc"
        #expect(buffer.text.hasPrefix("GET \(path) HTTP/1.1\r\n"))
        #expect(header("OK-ACCESS-SIGN", in: buffer.text) == Base64.encode(Crypto.hmacSHA256(key: Array("okx-secret-1".utf8), Array((stamp + "GET" + path).utf8))))
        #expect(!buffer.text.contains("okx-secret-1"))
    }

    @Test("answers: the documented place ack, an order's failure (sCode 51008), a request's failure (60013), login and its error")
    func replies() throws {
        let codec = okxCodec()
        let ok = #"{"id":"1512","op":"order","data":[{"clOrdId":"g0000000000000abc","ordId":"12345689","tag":"","ts":"1695190491421","sCode":"0","sMsg":""}],"code":"0","msg":"","inTime":"1695190491421339","outTime":"1695190491423240"}"#
        guard case .accepted(let ack) = try withBytes(ok, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not an ack"); return }
        #expect(ack.requestId == 1512 && ack.kind == .place && ack.report.venueOrderId == 12_345_689 && ack.report.clientOrderId == ClientOrderId(raw: 0xabc))
        #expect(ack.report.status == .new && ack.venueOrderId.description == "12345689")
        let failed = #"{"id":"1513","op":"order","data":[{"clOrdId":"g0000000000000abc","ordId":"","tag":"","ts":"1695190491421","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account."}],"code":"1","msg":"","inTime":"1","outTime":"2"}"#
        guard case .rejected(let e) = try withBytes(failed, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not rejected"); return }
        #expect(e.code == 51_008 && e.requestId == 1513 && e.clientOrderId == ClientOrderId(raw: 0xabc) && e.message.description.hasPrefix("Order failed."))
        let invalid = #"{"id":"1514","op":"order","data":[],"code":"60013","msg":"Invalid args","inTime":"1","outTime":"2"}"#
        guard case .rejected(let r) = try withBytes(invalid, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not rejected"); return }
        #expect(r.code == 60_013 && r.message.description == "Invalid args")
        guard case .done(_, let kind, _) = try withBytes(#"{"event":"login","code":"0","msg":"","connId":"a4d3ae55"}"#, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("login not done"); return
        }
        #expect(kind == .login)
        guard case .rejected(let l) = try withBytes(#"{"event":"error","code":"60009","msg":"Login failed.","connId":"a4d3ae55"}"#, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("login error not rejected"); return
        }
        #expect(l.code == 60_009)
        #expect(throws: DecodeError.self) { try withBytes(#"{"id":"1","op":"order","data":[{"sCode":}]}"#) { try codec.decodeReply($0, .webSocket) } }
    }

    @Test("the documented orders-channel fill: quantities, price, the charged fee (negative at OKX) as a positive quote fee, maker")
    func ordersChannel() throws {
        let codec = okxCodec()
        let push = #"{"arg":{"channel":"orders","instType":"SPOT","instId":"BTC-USDT","uid":"614488474791936"},"data":[{"accFillSz":"0.001","algoClOrdId":"","algoId":"","amendResult":"","amendSource":"","avgPx":"31527.1","cancelSource":"","category":"normal","ccy":"","clOrdId":"g0000000000000abc","code":"0","cTime":"1654084334977","execType":"M","fee":"-0.02522168","feeCcy":"USDT","fillFee":"-0.02522168","fillFeeCcy":"USDT","fillNotionalUsd":"31.50818374","fillPx":"31527.1","fillSz":"0.001","fillTime":"1654084353263","instId":"BTC-USDT","instType":"SPOT","lever":"0","msg":"","notionalUsd":"31.50818374","ordId":"452197707845865472","ordType":"limit","pnl":"0","posSide":"","px":"31527.1","rebate":"0","rebateCcy":"BTC","reduceOnly":"false","reqId":"","side":"sell","slOrdPx":"","slTriggerPx":"","slTriggerPxType":"last","source":"","state":"filled","sz":"0.001","tag":"","tdMode":"cash","tgtCcy":"","tpOrdPx":"","tpTriggerPx":"","tpTriggerPxType":"last","tradeId":"242589207","uTime":"1654084353264"}]}"#
        var updates: [OrderUpdate] = []
        #expect(try withBytes(push) { try codec.decodeUserStream($0) { updates.append($0) } } == 1)
        let u = try #require(updates.first)
        #expect(u.report.status == .filled && u.report.side == .sell && u.report.clientOrderId == ClientOrderId(raw: 0xabc))
        #expect(u.report.lastQuantity == Quantity(raw: 100_000) && u.report.cumulativeQuantity == Quantity(raw: 100_000) && u.report.price == Price(raw: 315_271))
        #expect(u.report.fee == 25_221_680 && u.feeAsset == .quote && !u.report.isTaker && u.tradeId == 242_589_207)
        #expect(u.report.venueOrderId == 452_197_707_845_865_472 && u.report.eventTime.raw == 1_654_084_353_264_000_000)
        #expect(try withBytes(#"{"event":"subscribe","arg":{"channel":"orders","instType":"SPOT"},"connId":"a4d3ae55"}"#) { try codec.decodeUserStream($0) { _ in } } == 0)
        #expect(throws: DecodeError.unknownSymbol) {
            try withBytes(#"{"arg":{"channel":"orders"},"data":[{"instId":"ETH-USDT","state":"live","side":"buy"}]}"#) { try codec.decodeUserStream($0) { _ in } }
        }
    }

    @Test("end to end: a signed REST limit IOC from the encoder, over a real socket, is taken by VenueSim; a wrong passphrase is refused")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.okx, symbol: "BTC-USDT", priceScale: 1, quantityScale: 8)
        try venue.addOKXKey(apiKey: "okxSimKey1", secret: "okxSimSecret1", passphrase: "okxPass1", account: 1, deposits: ["BTC": "2", "USDT": "300000"])
        let ask = venue.books[0].engine.best(.sell)!.raw
        var codec = okxCodec(key: "okxSimKey1", secret: "okxSimSecret1", passphrase: "okxPass1", host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        var order = okxOrder
        order.price = Price(raw: ask + 2)
        let sent = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(sent, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.status) \(response.text)"); return
        }
        #expect(response.status == 200 && ack.report.clientOrderId == ClientOrderId(raw: 0xabc) && ack.report.venueOrderId != 0)
        // The order's state by query, with the same signing.
        let query = try codec.query(OrderReference(clientOrderId: order.clientOrderId, instrument: InstrumentId(raw: 1)), now: WallClock.now(), into: &buffer)
        let state = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let q) = try state.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(query, httpStatus: state.status)) }) else {
            Issue.record("query not accepted: \(state.text)"); return
        }
        #expect(q.report.cumulativeQuantity.raw > 0 && (q.report.status == .filled || q.report.status == .canceled) && q.report.instrument == InstrumentId(raw: 1))
        var wrong = okxCodec(key: "okxSimKey1", secret: "okxSimSecret1", passphrase: "nope", host: "api.sim.test")
        wrong.transport = .rest
        let bad = try wrong.place(order, now: WallClock.now(), into: &buffer)
        let refused = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .rejected(let e) = try refused.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(bad, httpStatus: refused.status)) }) else {
            Issue.record("not rejected: \(refused.text)"); return
        }
        #expect(e.code == 50_105 && e.httpStatus == 401)
    }
}
