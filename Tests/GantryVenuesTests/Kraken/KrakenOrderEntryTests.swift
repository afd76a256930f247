import Foundation
import GantryCore
import GantryVenues
import Testing
import VenueSim

/// Kraken's documented API-Sign example secret (guides/spot-rest-auth): illustrative, not a real account's.
let krakenDocSecret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="

func krakenCodec(key: String = "kraken-key-1", secret: String = krakenDocSecret, host: String = "api.kraken.com") throws -> KrakenOrderEntry {
    KrakenOrderEntry(
        venue: VenueId(raw: 3),
        instruments: OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTC/USD", baseAsset: "BTC", quoteAsset: "USD", priceScale: 1, quantityScale: 8, restSymbol: "XBTUSD")
        ]), apiKey: key, secret: try VenueSecret(base64: secret), restHost: host)
}

let krakenOrder = OrderRequest(
    clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
    price: Price(raw: 970_001), quantity: Quantity(raw: 5_000_000))

@Suite("Kraken order entry: WebSocket v2 add_order / cancel_order with the token, REST signed with API-Sign, answers and executions")
struct KrakenOrderEntryTests {
    /// The REST request Kraken documents for `path` and form body `post`, its API-Sign computed with OpenSSL (the
    /// documented example secret, key "kraken-key-1").
    static func signedREST(_ path: String, nonce: String, post: String) throws -> String {
        let secret = try #require(Base64.decode(krakenDocSecret))
        let sign = Base64.encode(Crypto.hmacSHA512(key: secret, Array(path.utf8) + Crypto.sha256(Array((nonce + post).utf8))))
        return "POST \(path) HTTP/1.1\r\nHost: api.kraken.com\r\nAPI-Key: kraken-key-1\r\nAPI-Sign: \(sign)\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(post.utf8.count)\r\n\r\n\(post)"
    }

    @Test("the documented API-Sign example: AddOrder, nonce 1616492376594, signs to 4/dpxb3iT4tp/…")
    func documentedSignature() throws {
        let key = HMACSHA512Key(try VenueSecret(base64: krakenDocSecret))
        var buffer = OrderRequestBuffer()
        buffer.begin()
        let post = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
        withBytes("/0/private/AddOrder") { path in
            withBytes("1616492376594") { nonce in withBytes(post) { KrakenOrderEntry.apiSign(key, path: path, nonce: nonce, postData: $0, into: &buffer.request) } }
        }
        #expect(buffer.text == "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==")
    }

    @Test("add_order: numbers as JSON numbers, time_in_force ioc, cl_ord_id and token; cancel_order and cancel_all; none without a token")
    func webSocketBytes() throws {
        var codec = try krakenCodec()
        var buffer = OrderRequestBuffer()
        #expect(throws: OrderEncodeError.self) { try codec.place(krakenOrder, now: docTime, into: &buffer) }
        codec.setToken(InlineText("G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY")!)
        let sent = try codec.place(krakenOrder, now: docTime, into: &buffer)
        #expect(sent.requestId == 1)
        #expect(
            buffer.text
                == #"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.05,"symbol":"BTC/USD","limit_price":97000.1,"time_in_force":"ioc","cl_ord_id":"g0000000000000007","token":"G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY"},"req_id":1}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(buffer.text.utf8)) is [String: Any])
        var market = krakenOrder
        market.orderType = .market
        market.side = .sell
        _ = try codec.place(market, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix(#"{"method":"add_order","params":{"order_type":"market","side":"sell","order_qty":0.05,"symbol":"BTC/USD","cl_ord_id":"#))
        _ = try codec.cancel(OrderReference(clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer)
        #expect(buffer.text == #"{"method":"cancel_order","params":{"cl_ord_id":["g0000000000000007"],"token":"G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY"},"req_id":3}"#)
        _ = try codec.cancelAll(InstrumentId(raw: 1), now: docTime, into: &buffer)
        #expect(buffer.text == #"{"method":"cancel_all","params":{"token":"G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY"},"req_id":4}"#)
    }

    @Test("REST AddOrder: the form body with an increasing nonce, API-Sign checked with OpenSSL, the REST pair name")
    func restBytes() throws {
        var codec = try krakenCodec()
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        _ = try codec.place(krakenOrder, now: Nanos(raw: 1_616_492_376_594_000_000), into: &buffer)
        let post = "nonce=1616492376594&ordertype=limit&type=buy&volume=0.05&pair=XBTUSD&price=97000.1&timeinforce=IOC&cl_ord_id=g0000000000000007"
        #expect(buffer.text == (try Self.signedREST("/0/private/AddOrder", nonce: "1616492376594", post: post)))
        // The same millisecond again: the nonce still grows.
        _ = try codec.cancel(OrderReference(clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1)), now: Nanos(raw: 1_616_492_376_594_000_000), into: &buffer)
        #expect(requestBody(of: buffer.text) == "nonce=1616492376595&cl_ord_id=g0000000000000007" && codec.lastNonce == 1_616_492_376_595)
        _ = try codec.webSocketToken(now: Nanos(raw: 1_616_492_376_594_000_000), into: &buffer)
        #expect(buffer.text.hasPrefix("POST /0/private/GetWebSocketsToken HTTP/1.1\r\n") && requestBody(of: buffer.text) == "nonce=1616492376596")
        #expect(!buffer.text.contains(krakenDocSecret))
        // Without the txid, the order is looked for by cl_ord_id: OpenOrders, then ClosedOrders.
        let byClient = OrderReference(clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1))
        #expect(try codec.query(byClient, now: docTime, into: &buffer).kind == .query)
        #expect(buffer.text.hasPrefix("POST /0/private/OpenOrders HTTP/1.1\r\n"))
        #expect(requestBody(of: buffer.text) == "nonce=1645423376532&cl_ord_id=g0000000000000007")
        _ = try codec.closedOrderLookup(byClient, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("POST /0/private/ClosedOrders HTTP/1.1\r\n"))
        #expect(requestBody(of: buffer.text) == "nonce=1645423376533&cl_ord_id=g0000000000000007")
    }

    @Test("REST Balance: POST /0/private/Balance with only the nonce, API-Sign checked with OpenSSL; each nonce above the last")
    func balanceBytes() throws {
        var codec = try krakenCodec()
        var buffer = OrderRequestBuffer()
        let sent = try codec.accountBalance(now: Nanos(raw: 1_616_492_376_594_000_000), into: &buffer)
        #expect(sent.transport == .rest && sent.kind == .query)
        #expect(buffer.text == (try Self.signedREST("/0/private/Balance", nonce: "1616492376594", post: "nonce=1616492376594")))
        _ = try codec.accountBalance(now: Nanos(raw: 1_616_492_376_594_000_000), into: &buffer)
        #expect(requestBody(of: buffer.text) == "nonce=1616492376595")
    }

    @Test("answers: add_order's documented result and error, REST's result and error list, the WebSocket token")
    func replies() throws {
        let codec = try krakenCodec()
        let ok = #"{"method":"add_order","req_id":123456789,"result":{"order_id":"AA5JGQ-SBMRC-SCJ7J7","cl_ord_id":"g0000000000000007"},"success":true,"time_in":"2023-09-21T14:15:07.197274Z","time_out":"2023-09-21T14:15:07.205301Z"}"#
        guard case .accepted(let ack) = try withBytes(ok, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not an ack"); return }
        #expect(ack.requestId == 123_456_789 && ack.kind == .place && ack.venueOrderId.description == "AA5JGQ-SBMRC-SCJ7J7" && ack.report.clientOrderId == ClientOrderId(raw: 7))
        #expect(ack.report.venueOrderId != 0)
        let error = #"{"error":"EOrder:Insufficient funds","method":"add_order","req_id":123456790,"success":false,"time_in":"2023-09-21T14:15:07.197274Z","time_out":"2023-09-21T14:15:07.205301Z"}"#
        guard case .rejected(let e) = try withBytes(error, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("not rejected"); return }
        #expect(e.code == 0 && e.message.description == "EOrder:Insufficient funds" && e.requestId == 123_456_790)
        let place = EncodedRequest(transport: .rest, kind: .place, requestId: 0, clientOrderId: ClientOrderId(raw: 7))
        guard case .accepted(let rest) = try withBytes(#"{"error":[],"result":{"descr":{"order":"buy 1.25000000 XBTUSD @ limit 27500.0"},"txid":["OU22CG-KLAF2-FWUDD7"]}}"#, { try codec.decodeReply($0, .rest(place, httpStatus: 200)) }) else {
            Issue.record("REST not accepted")
            return
        }
        #expect(rest.venueOrderId.description == "OU22CG-KLAF2-FWUDD7" && rest.report.clientOrderId == ClientOrderId(raw: 7))
        guard case .rejected(let r) = try withBytes(#"{"error":["EOrder:Insufficient funds"]}"#, { try codec.decodeReply($0, .rest(place, httpStatus: 200)) }) else {
            Issue.record("REST not rejected")
            return
        }
        #expect(r.message.description == "EOrder:Insufficient funds" && r.clientOrderId == ClientOrderId(raw: 7))
        let token = try withBytes(#"{"error":[],"result":{"token":"1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw","expires":900}}"#) { try KrakenOrderEntry.token(from: $0) }
        #expect(token.description == "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw")
        #expect(throws: DecodeError.missingField("token")) { try withBytes(#"{"error":["EAPI:Invalid key"]}"#) { try KrakenOrderEntry.token(from: $0) } }
        #expect(throws: DecodeError.self) { try withBytes(#"{"method":"add_order","req_id":-1}"#) { try codec.decodeReply($0, .webSocket) } }
    }

    @Test("an executions trade: numbers read exactly, the fee in USD at the notional scale, the exec id for de-duplication")
    func executions() throws {
        let codec = try krakenCodec()
        let trade = #"{"channel":"executions","type":"update","data":[{"order_id":"O6E7RN-GQQQ3-CUJZFU","cl_ord_id":"g0000000000000007","symbol":"BTC/USD","side":"buy","order_type":"limit","order_qty":0.05,"limit_price":97000.1,"time_in_force":"IOC","exec_type":"trade","order_status":"partially_filled","cum_qty":0.02,"cum_cost":1940.0,"avg_price":97000.0,"exec_id":"TY5BYV-WKLJK-RHV3RE","trade_id":40274859,"last_qty":0.02,"last_price":97000.0,"cost":1940.0,"liquidity_ind":"t","fees":[{"asset":"USD","qty":0.776}],"fee_usd_equiv":0.776,"timestamp":"2023-09-22T10:33:05.709950Z"}],"sequence":3}"#
        var updates: [OrderUpdate] = []
        #expect(try withBytes(trade) { try codec.decodeUserStream($0) { updates.append($0) } } == 1)
        let u = updates[0]
        #expect(u.report.status == .partiallyFilled && u.report.lastQuantity == Quantity(raw: 2_000_000) && u.report.cumulativeQuantity == Quantity(raw: 2_000_000))
        #expect(u.report.price == Price(raw: 970_000) && u.report.fee == 776_000_000 && u.feeAsset == .quote && u.report.isTaker)
        #expect(u.tradeId != 0 && u.report.eventTime.raw == 1_695_378_785_709_950_000 && u.report.clientOrderId == ClientOrderId(raw: 7))
        let canceled = #"{"channel":"executions","type":"update","data":[{"timestamp":"2023-09-22T10:33:05.709950Z","order_status":"canceled","exec_type":"canceled","cum_qty":0.02,"order_id":"O6E7RN-GQQQ3-CUJZFU","cl_ord_id":"g0000000000000007","symbol":"BTC/USD","side":"buy"}],"sequence":4}"#
        updates = []
        _ = try withBytes(canceled) { try codec.decodeUserStream($0) { updates.append($0) } }
        #expect(updates[0].report.status == .canceled && updates[0].tradeId == 0 && updates[0].feeAsset == .none)
        #expect(try withBytes(#"{"channel":"heartbeat"}"#) { try codec.decodeUserStream($0) { _ in } } == 0)
        #expect(throws: DecodeError.self) {
            try withBytes(#"{"channel":"executions","type":"update","data":[{"symbol":"BTC/USD","side":"buy","order_status":"new","timestamp":"yesterday"}]}"#) { try codec.decodeUserStream($0) { _ in } }
        }
    }

    @Test("end to end: a signed REST AddOrder from the encoder, over a real socket, is taken by VenueSim; a wrong secret gets EAPI:Invalid signature")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.kraken, symbol: "BTC/USD", priceScale: 1, quantityScale: 8)
        let secret = Data("kraken-sim-secret-bytes".utf8).base64EncodedString()
        try venue.addKrakenKey(apiKey: "krakenSimKey1", secret: secret, account: 1, deposits: ["BTC": "2", "USD": "300000"])
        let ask = venue.books[0].engine.best(.sell)!.raw
        var codec = try krakenCodec(key: "krakenSimKey1", secret: secret, host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        var order = krakenOrder
        order.price = Price(raw: ask + 2)
        let sent = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(sent, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.text)")
            return
        }
        #expect(ack.venueOrderId.description.hasPrefix("O") && ack.report.clientOrderId == ClientOrderId(raw: 7))
        let query = try codec.query(OrderReference(clientOrderId: order.clientOrderId, instrument: InstrumentId(raw: 1), venueOrderId: ack.venueOrderId), now: WallClock.now(), into: &buffer)
        let state = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let q) = try state.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(query, httpStatus: state.status)) }) else {
            Issue.record("query not answered: \(state.text)")
            return
        }
        // QueryOrders' OrderInfo: the txid it is keyed by, the status, vol_exec as the cumulative quantity.
        #expect(q.kind == .query && q.venueOrderId == ack.venueOrderId && q.report.clientOrderId == ClientOrderId(raw: 7))
        #expect(q.report.status == .filled && q.report.cumulativeQuantity == order.quantity)
        var wrong = try krakenCodec(key: "krakenSimKey1", secret: Data("not the secret".utf8).base64EncodedString(), host: "api.sim.test")
        wrong.transport = .rest
        let bad = try wrong.place(order, now: WallClock.now(), into: &buffer)
        let refused = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .rejected(let e) = try refused.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(bad, httpStatus: refused.status)) }) else {
            Issue.record("not rejected: \(refused.text)")
            return
        }
        #expect(e.message.description == "EAPI:Invalid signature")
    }

    @Test("QueryOrders' OrderInfo as a query's answer (closed and filled, closed with less executed, open and partly filled); the executions subscription and its answer; executions name their txid")
    func queriesAndExecutions() throws {
        var codec = try krakenCodec()
        let query = EncodedRequest(transport: .rest, kind: .query, requestId: 0, clientOrderId: ClientOrderId(raw: 7))
        // The documented example's first order, its description as Kraken gives it.
        let closed = #"{"error":[],"result":{"OBCMZD-JIEE7-77TH3F":{"refid":"None","userref":0,"status":"closed","reason":null,"opentm":1688665496.7808,"closetm":1688665499.1922,"starttm":0,"expiretm":0,"descr":{"pair":"XBTUSD","type":"buy","ordertype":"stop-loss-limit","price":"27500.0","price2":"0","leverage":"none","order":"buy 1.25000000 XBTUSD @ limit 27500.0","close":""},"vol":"1.25000000","vol_exec":"1.25000000","cost":"27526.2","fee":"26.2","price":"27500.0","stopprice":"0.00000","limitprice":"0.00000","misc":"","oflags":"fciq","trigger":"index","trades":["TZX2WP-XSEOP-FP7WYR"]}}}"#
        guard case .accepted(let q) = try withBytes(closed, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else { Issue.record("not a query answer"); return }
        #expect(q.kind == .query && q.venueOrderId.description == "OBCMZD-JIEE7-77TH3F" && q.report.clientOrderId == ClientOrderId(raw: 7))
        #expect(q.report.status == .filled && q.report.cumulativeQuantity == Quantity(raw: 125_000_000) && q.report.side == .buy && q.report.price == Price(raw: 275_000))
        let rest = closed.replacingOccurrences(of: #""vol_exec":"1.25000000""#, with: #""vol_exec":"0.50000000""#)
        guard case .accepted(let e) = try withBytes(rest, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else { Issue.record("not a query answer"); return }
        #expect(e.report.status == .expired && e.report.cumulativeQuantity == Quantity(raw: 50_000_000), "closed with less executed: an IOC's rest expired")
        let open = rest.replacingOccurrences(of: #""status":"closed""#, with: #""status":"open""#)
        guard case .accepted(let o) = try withBytes(open, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else { Issue.record("not a query answer"); return }
        #expect(o.report.status == .partiallyFilled)
        // A lookup by cl_ord_id: found in a list (ClosedOrders, with its count), or not listed at all.
        let listed = #"{"error":[],"result":{"closed":{"OBCMZD-JIEE7-77TH3F":{"refid":"None","userref":0,"cl_ord_id":"g0000000000000007","status":"closed","descr":{"pair":"XBTUSD","type":"buy","ordertype":"limit","price":"27500.0"},"vol":"1.25000000","vol_exec":"1.25000000"}},"count":1}}"#
        guard case .accepted(let l) = try withBytes(listed, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else { Issue.record("not found in the list: \(listed)"); return }
        #expect(l.venueOrderId.description == "OBCMZD-JIEE7-77TH3F" && l.report.status == .filled)
        guard case .done(_, let kind, let count) = try withBytes(#"{"error":[],"result":{"open":{}}}"#, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else {
            Issue.record("an empty list is not done")
            return
        }
        #expect(kind == .query && count == 0)
        #expect(throws: DecodeError.unknownSymbol) {
            try withBytes(closed.replacingOccurrences(of: #""pair":"XBTUSD""#, with: #""pair":"XETHZEUR""#)) { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }
        }
        // The token first, then the subscription with it; its answer is done by its req_id.
        var buffer = OrderRequestBuffer()
        #expect(throws: OrderEncodeError.self) { try codec.executionsSubscribe(into: &buffer) }
        codec.setToken(InlineText("1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw")!)
        let sub = try codec.executionsSubscribe(into: &buffer)
        #expect(buffer.text == #"{"method":"subscribe","params":{"channel":"executions","token":"1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw"},"req_id":\#(sub.requestId)}"#)
        let answer = #"{"method":"subscribe","result":{"channel":"executions","maxratecount":180,"snapshot":true},"success":true,"time_in":"2023-09-21T14:15:07.197274Z","time_out":"2023-09-21T14:15:07.205301Z","req_id":\#(sub.requestId)}"#
        guard case .done(let id, _, _) = try withBytes(answer, { try codec.decodeReply($0, .webSocket) }) else { Issue.record("subscription not done"); return }
        #expect(id == sub.requestId)
        guard case .rejected(let refused) = try withBytes(#"{"method":"subscribe","error":"EAccount:Invalid permissions","success":false,"req_id":9}"#, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("subscription not refused")
            return
        }
        #expect(refused.requestId == 9 && refused.message.description == "EAccount:Invalid permissions")
        let trade = #"{"channel":"executions","type":"update","data":[{"order_id":"O6E7RN-GQQQ3-CUJZFU","cl_ord_id":"g0000000000000007","symbol":"BTC/USD","side":"buy","exec_type":"new","order_status":"new","cum_qty":0,"timestamp":"2023-09-22T10:33:05.709950Z"}],"sequence":3}"#
        var named: [String] = []
        _ = try withBytes(trade) { try codec.decodeUserStream($0, naming: { _, id in named.append(String(decoding: id, as: UTF8.self)) }) }
        #expect(named == ["O6E7RN-GQQQ3-CUJZFU"])
    }
}
