import Foundation
import GantryCore
import GantryVenues
import Testing
import VenueSim

func bybitCodec(key: String = "bybit-key-1", secret: String = "bybit-secret-1", host: String = "api.bybit.com") -> BybitOrderEntry {
    BybitOrderEntry(
        venue: VenueId(raw: 5),
        instruments: OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 2, quantityScale: 6),
            OrderInstrument(id: InstrumentId(raw: 2), symbol: "XRPUSDT", baseAsset: "XRP", quoteAsset: "USDT", priceScale: 4, quantityScale: 2),
        ]), apiKey: key, secret: VenueSecret(text: secret), restHost: host)
}

let bybitOrder = OrderRequest(
    clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
    price: Price(raw: 9_700_010), quantity: Quantity(raw: 50_000))

@Suite("Bybit order entry: auth, order.create / order.cancel on the trade stream, signed REST, answers and the order/execution topics")
struct BybitOrderEntryTests {
    @Test("auth: [apiKey, expires, hex HMAC-SHA256 of GET/realtime + expires] (checked with OpenSSL)")
    func auth() throws {
        var buffer = OrderRequestBuffer()
        _ = try bybitCodec().auth(expires: Nanos(raw: 1_711_010_121_452_000_000), into: &buffer)
        let sign = Hex.encode(Crypto.hmacSHA256(key: Array("bybit-secret-1".utf8), Array("GET/realtime1711010121452".utf8)))
        #expect(buffer.text == #"{"op":"auth","args":["bybit-key-1",1711010121452,"\#(sign)"]}"#)
    }

    @Test("order.create: reqId, the header's timestamp and window, spot args as documented; a market buy's qty in the base coin")
    func placeBytes() throws {
        var codec = bybitCodec()
        var buffer = OrderRequestBuffer()
        let sent = try codec.place(bybitOrder, now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        #expect(sent.requestId == 1)
        #expect(
            buffer.text
                == #"{"reqId":"1","header":{"X-BAPI-TIMESTAMP":"1711001595207","X-BAPI-RECV-WINDOW":"5000"},"op":"order.create","args":[{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.05","price":"97000.1","timeInForce":"IOC","orderLinkId":"g0000000000000042"}]}"#)
        var market = bybitOrder
        market.orderType = .market
        _ = try codec.place(market, now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        #expect(buffer.text.contains(#""orderType":"Market","qty":"0.05","marketUnit":"baseCoin","orderLinkId":"g0000000000000042"}"#))
        _ = try codec.cancel(OrderReference(clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1)), now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        #expect(buffer.text.hasSuffix(#""op":"order.cancel","args":[{"category":"spot","symbol":"BTCUSDT","orderLinkId":"g0000000000000042"}]}"#))
    }

    @Test("REST: X-BAPI-SIGN is hex HMAC-SHA256 of timestamp + key + window + body (POST) or query (GET), checked with OpenSSL")
    func restBytes() throws {
        var codec = bybitCodec()
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        _ = try codec.place(bybitOrder, now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        let body = #"{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.05","price":"97000.1","timeInForce":"IOC","orderLinkId":"g0000000000000042"}"#
        let sign = Hex.encode(Crypto.hmacSHA256(key: Array("bybit-secret-1".utf8), Array(("1711001595207bybit-key-15000" + body).utf8)))
        #expect(
            buffer.text
                == "POST /v5/order/create HTTP/1.1\r\nHost: api.bybit.com\r\nX-BAPI-API-KEY: bybit-key-1\r\nX-BAPI-TIMESTAMP: 1711001595207\r\nX-BAPI-RECV-WINDOW: 5000\r\nX-BAPI-SIGN: \(sign)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        _ = try codec.query(OrderReference(clientOrderId: ClientOrderId(raw: 0x42), instrument: InstrumentId(raw: 1)), now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        let query = "category=spot&symbol=BTCUSDT&orderLinkId=g0000000000000042"
        #expect(buffer.text.hasPrefix("GET /v5/order/realtime?\(query) HTTP/1.1\r\n"))
        #expect(header("X-BAPI-SIGN", in: buffer.text) == Hex.encode(Crypto.hmacSHA256(key: Array("bybit-secret-1".utf8), Array(("1711001595207bybit-key-15000" + query).utf8))))
        _ = try codec.cancelAll(InstrumentId(raw: 1), now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        #expect(buffer.text.hasPrefix("POST /v5/order/cancel-all HTTP/1.1\r\n") && requestBody(of: buffer.text) == #"{"category":"spot","symbol":"BTCUSDT"}"#)
        #expect(!buffer.text.contains("bybit-secret-1"))
    }

    @Test("wallet balance: GET /v5/account/wallet-balance?accountType=UNIFIED, X-BAPI-SIGN over timestamp + key + window + the query (OpenSSL)")
    func walletBalanceBytes() throws {
        var buffer = OrderRequestBuffer()
        let sent = try bybitCodec().walletBalance(now: Nanos(raw: 1_711_001_595_207_000_000), into: &buffer)
        #expect(sent.transport == .rest && sent.kind == .query)
        let sign = Hex.encode(Crypto.hmacSHA256(key: Array("bybit-secret-1".utf8), Array("1711001595207bybit-key-15000accountType=UNIFIED".utf8)))
        #expect(
            buffer.text
                == "GET /v5/account/wallet-balance?accountType=UNIFIED HTTP/1.1\r\nHost: api.bybit.com\r\nX-BAPI-API-KEY: bybit-key-1\r\nX-BAPI-TIMESTAMP: 1711001595207\r\nX-BAPI-RECV-WINDOW: 5000\r\nX-BAPI-SIGN: \(sign)\r\nContent-Length: 0\r\n\r\n")
    }

    @Test("answers: the documented order.create ack, a refusal with its retCode, the auth answer")
    func replies() throws {
        let codec = bybitCodec()
        let ok = #"{"reqId":"7","retCode":0,"retMsg":"OK","op":"order.create","data":{"orderId":"1321003749386327552","orderLinkId":"g0000000000000042"},"header":{"X-Bapi-Limit":"20","X-Bapi-Limit-Status":"19","X-Bapi-Limit-Reset-Timestamp":"1711001595208","Traceid":"x","Timenow":"1711001595209"},"connId":"cnt5leec0hvan15eukcg-2t"}"#
        guard case .accepted(let ack) = try withBytes(ok, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not an ack"); return }
        #expect(ack.requestId == 7 && ack.kind == .place && ack.report.venueOrderId == 1_321_003_749_386_327_552 && ack.report.clientOrderId == ClientOrderId(raw: 0x42))
        let refused = #"{"reqId":"8","retCode":170131,"retMsg":"Insufficient balance.","op":"order.create","data":{},"header":{},"connId":"c"}"#
        guard case .rejected(let e) = try withBytes(refused, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not rejected"); return }
        #expect(e.code == 170_131 && e.requestId == 8 && e.message.description == "Insufficient balance.")
        guard case .done(_, let kind, _) = try withBytes(#"{"retCode":0,"retMsg":"OK","op":"auth","connId":"cnt5leec0hvan15eukcg-2t"}"#, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("auth not done")
            return
        }
        #expect(kind == .login)
        #expect(throws: DecodeError.self) { try withBytes(#"{"reqId":"7","retCode":0,"retMsg":"OK","op":"order.create","data":{"orderId":1"#) { try codec.decodeReply($0, .webSocket) } }
    }

    @Test("the documented execution (no fee currency: kept as another asset) and a spot one with feeCurrency; an order update")
    func privateTopics() throws {
        let codec = bybitCodec()
        var updates: [OrderUpdate] = []
        let documented = #"{"id":"592324803b2785-26fa-4214-9963-bdd4727f07be","topic":"execution","creationTime":1672364174455,"data":[{"category":"spot","symbol":"XRPUSDT","execFee":"0.005061","execId":"7e2ae69c-4edf-5800-a352-893d52b446aa","execPrice":"0.3374","execQty":"25","execType":"Trade","execValue":"8.435","isMaker":false,"feeRate":"0.0006","tradeIv":"","markIv":"","blockTradeId":"","markPrice":"0.3391","indexPrice":"","underlyingPrice":"","leavesQty":"0","orderId":"f6e324ff-99c2-4e89-9739-3086e47f9381","orderLinkId":"g0000000000000042","orderPrice":"0.3207","orderQty":"25","orderType":"Market","stopOrderType":"UNKNOWN","side":"Sell","execTime":"1672364174443","isLeverage":"0","closedSize":"","seq":4688002127}]}"#
        #expect(try withBytes(documented) { try codec.decodeUserStream($0) { updates.append($0) } } == 1)
        let u = updates[0]
        #expect(u.report.status == .filled && u.report.side == .sell && u.report.lastQuantity == Quantity(raw: 2_500) && u.report.cumulativeQuantity == Quantity(raw: 2_500))
        #expect(u.report.price == Price(raw: 3_374) && u.report.isTaker && u.feeAsset == .other && u.report.fee == 0 && u.nativeFee == 5_061_000_000)
        #expect(u.tradeId != 0 && u.report.eventTime.raw == 1_672_364_174_443_000_000 && u.report.clientOrderId == ClientOrderId(raw: 0x42))
        let spot = documented.replacingOccurrences(of: #""feeRate""#, with: #""feeCurrency":"USDT","feeRate""#).replacingOccurrences(of: #""leavesQty":"0""#, with: #""leavesQty":"5""#)
        updates = []
        _ = try withBytes(spot) { try codec.decodeUserStream($0) { updates.append($0) } }
        #expect(updates[0].feeAsset == .quote && updates[0].report.fee == 5_061 && updates[0].report.status == .partiallyFilled && updates[0].report.cumulativeQuantity == Quantity(raw: 2_000))
        let order = #"{"id":"5923240c6880ab-c59f-420b-9adb-3639adc9dd90","topic":"order","creationTime":1672364262474,"data":[{"symbol":"BTCUSDT","orderId":"1321003749386327552","side":"Buy","orderType":"Limit","cancelType":"UNKNOWN","price":"97000.1","qty":"0.05","orderIv":"","timeInForce":"IOC","orderStatus":"PartiallyFilledCanceled","orderLinkId":"g0000000000000042","lastPriceOnCreated":"","reduceOnly":false,"leavesQty":"","leavesValue":"","cumExecQty":"0.02","cumExecValue":"1940","avgPrice":"97000","blockTradeId":"","positionIdx":0,"cumExecFee":"1.94","createdTime":"1672364262444","updatedTime":"1672364262457","rejectReason":"EC_NoError","category":"spot"}]}"#
        updates = []
        _ = try withBytes(order) { try codec.decodeUserStream($0) { updates.append($0) } }
        #expect(updates[0].report.status == .canceled && updates[0].report.cumulativeQuantity == Quantity(raw: 20_000) && updates[0].report.fee == 0 && updates[0].tradeId == 0)
        #expect(updates[0].report.venueOrderId == 1_321_003_749_386_327_552 && updates[0].report.price == Price(raw: 9_700_010))
        #expect(try withBytes(#"{"success":true,"ret_msg":"","op":"subscribe","conn_id":"c"}"#) { try codec.decodeUserStream($0) { _ in } } == 0)
        #expect(throws: DecodeError.self) { try withBytes(#"{"topic":"execution","data":[{"symbol":"BTCUSDT","execQty":"abc"}]}"#) { try codec.decodeUserStream($0) { _ in } } }
    }

    @Test("end to end: a signed REST limit IOC from the encoder, over a real socket, is taken by VenueSim; a wrong secret gets 10004")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.bybit, symbol: "BTCUSDT", priceScale: 2, quantityScale: 6)
        try venue.addBybitKey(apiKey: "bybitSimKey1", secret: "bybitSimSecret1", account: 1, deposits: ["BTC": "2", "USDT": "300000"])
        let ask = venue.books[0].engine.best(.sell)!.raw
        var codec = bybitCodec(key: "bybitSimKey1", secret: "bybitSimSecret1", host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        var order = bybitOrder
        order.price = Price(raw: ask + 2)
        let sent = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(sent, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.text)")
            return
        }
        #expect(ack.report.clientOrderId == ClientOrderId(raw: 0x42) && ack.report.venueOrderId != 0)
        let query = try codec.query(OrderReference(clientOrderId: order.clientOrderId, instrument: InstrumentId(raw: 1)), now: WallClock.now(), into: &buffer)
        let state = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let q) = try state.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(query, httpStatus: state.status)) }) else {
            Issue.record("query not accepted: \(state.text)")
            return
        }
        #expect(q.report.cumulativeQuantity.raw > 0 && q.report.side == .buy)
        var wrong = bybitCodec(key: "bybitSimKey1", secret: "not it", host: "api.sim.test")
        wrong.transport = .rest
        order.clientOrderId = ClientOrderId(raw: 0x43)
        let bad = try wrong.place(order, now: WallClock.now(), into: &buffer)
        let refused = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .rejected(let e) = try refused.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(bad, httpStatus: refused.status)) }) else {
            Issue.record("not rejected: \(refused.text)")
            return
        }
        #expect(e.code == 10_004)
    }

    @Test("the private stream's answers: auth and a subscription done (by req_id), a refusal with its ret_msg, a pong answers nothing")
    func privateStreamAnswers() throws {
        let codec = bybitCodec()
        func reply(_ message: String) throws -> OrderReply { try withBytes(message) { try codec.decodeReply($0, .webSocket) } }
        guard case .done(_, let auth, _) = try reply(#"{"success":true,"ret_msg":"","op":"auth","conn_id":"cejreaspqfh3sjdnldmg-p"}"#) else { Issue.record("auth not done"); return }
        #expect(auth == .login)
        guard case .done(let id, let kind, _) = try reply(#"{"success":true,"ret_msg":"","conn_id":"cejreaspqfh3sjdnldmg-p","req_id":"1","op":"subscribe"}"#) else {
            Issue.record("subscription not done")
            return
        }
        #expect(id == 1 && kind == nil)
        guard case .rejected(let e) = try reply(#"{"success":false,"ret_msg":"Request not authorized","conn_id":"c1","req_id":"1","op":"subscribe"}"#) else {
            Issue.record("refusal not read")
            return
        }
        #expect(e.requestId == 1 && e.message.description == "Request not authorized")
        guard case .rejected = try reply(#"{"success":false,"ret_msg":"Params Error","op":"auth","conn_id":"c1"}"#) else { Issue.record("auth refusal not read"); return }
        guard case .other = try reply(#"{"success":true,"ret_msg":"pong","conn_id":"c1","op":"ping"}"#) else { Issue.record("a pong answers nothing"); return }
    }
}
