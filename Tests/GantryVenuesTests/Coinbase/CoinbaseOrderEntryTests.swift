import Foundation
import GantryCore
import GantryVenues
import Testing
import VenueSim

func coinbaseCodec(key: ES256Key, name: String = "organizations/o1/apiKeys/k1", host: String = "api.coinbase.com") -> CoinbaseOrderEntry {
    CoinbaseOrderEntry(
        venue: VenueId(raw: 2),
        instruments: OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTC-USD", baseAsset: "BTC", quoteAsset: "USD", priceScale: 2, quantityScale: 8)
        ]), keyName: name, key: key, restHost: host)
}

let coinbaseOrder = OrderRequest(
    clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
    price: Price(raw: 9_700_010), quantity: Quantity(raw: 5_000_000))

@Suite("Coinbase order entry: REST orders with a per-request ES256 JWT, answers and the user channel")
struct CoinbaseOrderEntryTests {
    @Test("a limit IOC is sor_limit_ioc: exact body, a JWT for POST <host>/api/v3/brokerage/orders signed by the key")
    func placeBytes() throws {
        let key = ES256Key.generate()
        var codec = coinbaseCodec(key: key)
        var buffer = OrderRequestBuffer()
        let sent = try codec.place(coinbaseOrder, now: Nanos(raw: 1_700_000_000_000_000_000), into: &buffer)
        #expect(sent.transport == .rest && sent.kind == .place)
        let body = #"{"client_order_id":"g0000000000000c0b","product_id":"BTC-USD","side":"BUY","order_configuration":{"sor_limit_ioc":{"base_size":"0.05","limit_price":"97000.1"}}}"#
        let jwt = try #require(header("Authorization", in: buffer.text)?.dropFirst("Bearer ".count))
        #expect(
            buffer.text
                == "POST /api/v3/brokerage/orders HTTP/1.1\r\nHost: api.coinbase.com\r\nAuthorization: Bearer \(jwt)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let parts = try #require(CoinbaseJWT.parts(String(jwt)))
        #expect(parts.signed(by: try ES256Key(publicKeyPEM: key.publicKeyPEM)))
        #expect(parts.claims.contains(#""uri":"POST api.coinbase.com/api/v3/brokerage/orders""#) && parts.claims.contains(#""nbf":1700000000,"exp":1700000120"#))
        var gtc = coinbaseOrder
        gtc.timeInForce = .gtc
        _ = try codec.place(gtc, now: Nanos(raw: 1_700_000_000_000_000_000), into: &buffer)
        #expect(requestBody(of: buffer.text).hasSuffix(#""order_configuration":{"limit_limit_gtc":{"base_size":"0.05","limit_price":"97000.1","post_only":false}}}"#))
        var market = gtc
        market.orderType = .market
        _ = try codec.place(market, now: Nanos(raw: 1_700_000_000_000_000_000), into: &buffer)
        #expect(requestBody(of: buffer.text).hasSuffix(#""order_configuration":{"market_market_ioc":{"base_size":"0.05"}}}"#))
    }

    @Test("cancel and query need the venue's order id: batch_cancel's order_ids and the historical path; cancel-all is unsupported")
    func cancelAndQuery() throws {
        var codec = coinbaseCodec(key: ES256Key.generate())
        var buffer = OrderRequestBuffer()
        let bare = OrderReference(clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1))
        #expect(throws: OrderEncodeError.self) { try codec.cancel(bare, now: docTime, into: &buffer) }
        let known = OrderReference(clientOrderId: ClientOrderId(raw: 0xc0b), instrument: InstrumentId(raw: 1), venueOrderId: InlineText("0000-1111")!)
        _ = try codec.cancel(known, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("POST /api/v3/brokerage/orders/batch_cancel HTTP/1.1\r\n") && requestBody(of: buffer.text) == #"{"order_ids":["0000-1111"]}"#)
        _ = try codec.query(known, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("GET /api/v3/brokerage/orders/historical/0000-1111 HTTP/1.1\r\n") && buffer.text.hasSuffix("Content-Length: 0\r\n\r\n"))
        let jwt = try #require(header("Authorization", in: buffer.text)?.dropFirst("Bearer ".count))
        #expect(try #require(CoinbaseJWT.parts(String(jwt))).claims.contains(#""uri":"GET api.coinbase.com/api/v3/brokerage/orders/historical/0000-1111""#))
        _ = try codec.openOrders(InstrumentId(raw: 1), now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("GET /api/v3/brokerage/orders/historical/batch?product_ids=BTC-USD&order_status=OPEN HTTP/1.1\r\n"))
        #expect(throws: OrderEncodeError.self) { try codec.cancelAll(InstrumentId(raw: 1), now: docTime, into: &buffer) }
    }

    @Test("List Accounts: limit and the cursor (percent-encoded) in the query, a JWT whose uri has no query; a limit out of 1…250 is refused")
    func listAccountsBytes() throws {
        let key = ES256Key.generate()
        let codec = coinbaseCodec(key: key)
        var buffer = OrderRequestBuffer()
        let sent = try codec.listAccounts(now: docTime, into: &buffer)
        #expect(sent.transport == .rest && sent.kind == .query)
        let jwt = try #require(header("Authorization", in: buffer.text)?.dropFirst("Bearer ".count))
        #expect(buffer.text == "GET /api/v3/brokerage/accounts?limit=250 HTTP/1.1\r\nHost: api.coinbase.com\r\nAuthorization: Bearer \(jwt)\r\nContent-Length: 0\r\n\r\n")
        let parts = try #require(CoinbaseJWT.parts(String(jwt)))
        #expect(parts.signed(by: try ES256Key(publicKeyPEM: key.publicKeyPEM)) && parts.claims.contains(#""uri":"GET api.coinbase.com/api/v3/brokerage/accounts""#))
        _ = try codec.listAccounts(limit: 1, cursor: InlineText("789100")!, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("GET /api/v3/brokerage/accounts?limit=1&cursor=789100 HTTP/1.1\r\n"))
        _ = try codec.listAccounts(limit: 49, cursor: InlineText("a+b/c=d e~_.-")!, now: docTime, into: &buffer)
        #expect(buffer.text.hasPrefix("GET /api/v3/brokerage/accounts?limit=49&cursor=a%2Bb%2Fc%3Dd%20e~_.- HTTP/1.1\r\n"))
        let paged = try #require(header("Authorization", in: buffer.text)?.dropFirst("Bearer ".count))
        #expect(try #require(CoinbaseJWT.parts(String(paged))).claims.contains(#""uri":"GET api.coinbase.com/api/v3/brokerage/accounts""#))
        for limit in [0, 251] { #expect(throws: OrderEncodeError.self) { try codec.listAccounts(limit: limit, now: docTime, into: &buffer) } }
    }

    @Test("answers: success with order_id, a failure's error name, batch_cancel's results, a historical order, 401's plain text")
    func replies() throws {
        let codec = coinbaseCodec(key: ES256Key.generate())
        let place = EncodedRequest(transport: .rest, kind: .place, requestId: 0, clientOrderId: ClientOrderId(raw: 0xc0b))
        let ok = #"{"success":true,"success_response":{"order_id":"11111-00000-000000","product_id":"BTC-USD","side":"BUY","client_order_id":"g0000000000000c0b"},"order_configuration":{"sor_limit_ioc":{"base_size":"0.05","limit_price":"97000.1"}}}"#
        guard case .accepted(let ack) = try withBytes(ok, { try codec.decodeReply($0, .rest(place, httpStatus: 200)) }) else { Issue.record("not an ack"); return }
        #expect(ack.venueOrderId.description == "11111-00000-000000" && ack.report.clientOrderId == ClientOrderId(raw: 0xc0b) && ack.report.status == .new)
        #expect(ack.report.instrument == InstrumentId(raw: 1) && ack.report.side == .buy)
        let failed = #"{"success":false,"error_response":{"error":"INSUFFICIENT_FUND","message":"Insufficient balance in source account","error_details":"","preview_failure_reason":"UNKNOWN_PREVIEW_FAILURE_REASON","new_order_failure_reason":"INSUFFICIENT_FUND"},"order_configuration":{}}"#
        guard case .rejected(let e) = try withBytes(failed, { try codec.decodeReply($0, .rest(place, httpStatus: 200)) }) else { Issue.record("not rejected"); return }
        #expect(e.message.description == "INSUFFICIENT_FUND" && e.code == 0 && e.clientOrderId == ClientOrderId(raw: 0xc0b))
        let cancel = EncodedRequest(transport: .rest, kind: .cancel, requestId: 0, clientOrderId: ClientOrderId(raw: 0xc0b))
        guard case .accepted(let c) = try withBytes(#"{"results":[{"success":true,"failure_reason":"UNKNOWN_CANCEL_FAILURE_REASON","order_id":"11111-00000-000000"}]}"#, { try codec.decodeReply($0, .rest(cancel, httpStatus: 200)) }) else {
            Issue.record("cancel not accepted")
            return
        }
        #expect(c.kind == .cancel && c.report.status == .pendingCancel)
        guard case .rejected(let ce) = try withBytes(#"{"results":[{"success":false,"failure_reason":"UNKNOWN_CANCEL_ORDER","order_id":"x"}]}"#, { try codec.decodeReply($0, .rest(cancel, httpStatus: 200)) }) else {
            Issue.record("cancel not rejected")
            return
        }
        #expect(ce.message.description == "UNKNOWN_CANCEL_ORDER")
        let query = EncodedRequest(transport: .rest, kind: .query, requestId: 0)
        let order = #"{"order":{"order_id":"11111-00000-000000","product_id":"BTC-USD","user_id":"1","order_configuration":{"sor_limit_ioc":{"base_size":"0.05","limit_price":"97000.1"}},"side":"BUY","client_order_id":"g0000000000000c0b","status":"FILLED","time_in_force":"IMMEDIATE_OR_CANCEL","created_time":"2024-06-21T18:29:08.467Z","completion_percentage":"100","filled_size":"0.05","average_filled_price":"97000","fee":"","number_of_fills":"2","filled_value":"4850","pending_cancel":false,"size_in_quote":false,"total_fees":"2.91","settled":true}}"#
        guard case .accepted(let q) = try withBytes(order, { try codec.decodeReply($0, .rest(query, httpStatus: 200)) }) else { Issue.record("query not accepted"); return }
        #expect(q.report.status == .filled && q.report.cumulativeQuantity == Quantity(raw: 5_000_000) && q.report.price == Price(raw: 9_700_000))
        guard case .rejected(let u) = try withBytes("Unauthorized", { try codec.decodeReply($0, .rest(place, httpStatus: 401)) }) else { Issue.record("401 not rejected"); return }
        #expect(u.httpStatus == 401 && u.message.description == "Unauthorized")
        #expect(throws: DecodeError.self) { try withBytes(#"{"success":true,"success_response":{"order_id":"#) { try codec.decodeReply($0, .rest(place, httpStatus: 200)) } }
    }

    @Test("the user channel's documented snapshot and a fill update: cumulative quantity, average price, total fees, a trade key")
    func userChannel() throws {
        let codec = coinbaseCodec(key: ES256Key.generate())
        let snapshot = #"{"channel":"user","client_id":"","timestamp":"2023-02-09T20:33:57.609931463Z","sequence_num":0,"events":[{"type":"snapshot","orders":[{"avg_price":"0","cancel_reason":"","client_order_id":"abcd","completion_percentage":"0","contract_expiry_type":"UNKNOWN_CONTRACT_EXPIRY_TYPE","cumulative_quantity":"0","filled_value":"0","leaves_quantity":"0","limit_price":"10","number_of_fills":"0","order_id":"123","order_side":"BUY","order_type":"Limit","outstanding_hold_amount":"0","post_only":"false","product_id":"BTC-USD","product_type":"SPOT","reject_reason":"","retail_portfolio_id":"","risk_managed_by":"UNKNOWN_RISK_MANAGEMENT_TYPE","status":"OPEN","stop_price":"","time_in_force":"GOOD_UNTIL_CANCELLED","total_fees":"2","total_value_after_fees":"0","trigger_status":"INVALID_ORDER_TYPE","creation_time":"2024-06-21T18:29:08.467Z","end_time":"0001-01-01T00:00:00Z","start_time":"0001-01-01T00:00:00Z"}],"positions":{"perpetual_futures_positions":[],"expiring_futures_positions":[]}}]}"#
        var updates: [OrderUpdate] = []
        #expect(try withBytes(snapshot) { try codec.decodeUserStream($0) { updates.append($0) } } == 1)
        #expect(updates[0].report.status == .new && updates[0].report.price == Price(raw: 1_000) && updates[0].cumulativeOnly && updates[0].tradeId == 0)
        #expect(updates[0].report.eventTime.raw == 1_675_974_837_609_931_463 && updates[0].report.venueOrderId == 123)
        let fill = #"{"channel":"user","client_id":"","timestamp":"2023-02-09T20:33:58.000000000Z","sequence_num":1,"events":[{"type":"update","orders":[{"avg_price":"97000","client_order_id":"g0000000000000c0b","cumulative_quantity":"0.02","leaves_quantity":"0.03","limit_price":"97000.1","number_of_fills":"1","order_id":"11111-00000-000000","order_side":"BUY","order_type":"Limit","product_id":"BTC-USD","status":"OPEN","total_fees":"1.164"}]}]}"#
        updates = []
        _ = try withBytes(fill) { try codec.decodeUserStream($0) { updates.append($0) } }
        let u = updates[0]
        #expect(u.report.status == .partiallyFilled && u.report.cumulativeQuantity == Quantity(raw: 2_000_000) && u.report.lastQuantity == .zero)
        #expect(u.report.price == Price(raw: 9_700_000) && u.report.fee == 11_640_000_000 && u.feeAsset == .quote && u.tradeId != 0)
        #expect(try withBytes(#"{"channel":"heartbeats","client_id":"","timestamp":"2023-02-09T20:33:58Z","sequence_num":2,"events":[]}"#) { try codec.decodeUserStream($0) { _ in } } == 0)
        #expect(throws: DecodeError.self) { try withBytes(#"{"channel":"user","events":[{"orders":[{"product_id":"BTC-USD","status":"OPEN","cumulative_quantity":"1e400"}]}]}"#) { try codec.decodeUserStream($0) { _ in } } }
    }

    @Test("end to end: an encoded order with its JWT, over a real socket, is taken by VenueSim; another key's JWT gets 401")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.coinbase, symbol: "BTC-USD", priceScale: 2, quantityScale: 8)
        let key = ES256Key.generate()
        try venue.addCoinbaseKey(name: "organizations/sim/apiKeys/k1", publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: ["BTC": "2", "USD": "300000"])
        let ask = venue.books[0].engine.best(.sell)!.raw
        var codec = coinbaseCodec(key: key, name: "organizations/sim/apiKeys/k1", host: "api.sim.test")
        var buffer = OrderRequestBuffer()
        var order = coinbaseOrder
        order.price = Price(raw: ask + 2)
        let sent = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(sent, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.status) \(response.text)")
            return
        }
        #expect(ack.report.clientOrderId == ClientOrderId(raw: 0xc0b) && !ack.venueOrderId.isEmpty)
        let query = try codec.query(OrderReference(clientOrderId: order.clientOrderId, instrument: InstrumentId(raw: 1), venueOrderId: ack.venueOrderId), now: WallClock.now(), into: &buffer)
        let state = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .accepted(let q) = try state.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(query, httpStatus: state.status)) }) else {
            Issue.record("query not accepted: \(state.text)")
            return
        }
        #expect(q.report.cumulativeQuantity.raw > 0 && (q.report.status == .filled || q.report.status == .expired))
        var stranger = coinbaseCodec(key: ES256Key.generate(), name: "organizations/sim/apiKeys/k1", host: "api.sim.test")
        let bad = try stranger.place(order, now: WallClock.now(), into: &buffer)
        let refused = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .rejected(let e) = try refused.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(bad, httpStatus: refused.status)) }) else {
            Issue.record("not rejected: \(refused.text)")
            return
        }
        #expect(e.httpStatus == 401)
    }

    @Test("the WebSocket subscribe carries a JWT without uri for every product; the user snapshot or a subscriptions message answers it, an error refuses it; updates name their order_id")
    func userChannelSubscription() throws {
        let key = ES256Key.generate()
        let codec = coinbaseCodec(key: key)
        var buffer = OrderRequestBuffer()
        let sent = try codec.subscribe(channel: "user", now: Nanos(raw: 1_700_000_000_000_000_000), into: &buffer)
        #expect(sent.transport == .webSocket && sent.kind == .login)
        let text = buffer.text
        let prefix = #"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"user","jwt":""#
        #expect(text.hasPrefix(prefix) && text.hasSuffix(#""}"#))
        let jwt = String(text.dropFirst(prefix.count).dropLast(2))
        let parts = try #require(CoinbaseJWT.parts(jwt))
        #expect(parts.signed(by: try ES256Key(publicKeyPEM: key.publicKeyPEM)) && !parts.claims.contains("uri") && parts.claims.contains(#""nbf":1700000000"#))
        func reply(_ message: String) throws -> OrderReply { try withBytes(message) { try codec.decodeReply($0, .webSocket) } }
        let snapshot = #"{"channel":"user","client_id":"","timestamp":"2023-02-09T20:33:57.609931463Z","sequence_num":0,"events":[{"type":"snapshot","orders":[]}]}"#
        guard case .done(_, let kind, _) = try reply(snapshot) else { Issue.record("the snapshot does not answer the subscribe"); return }
        #expect(kind == .login)
        guard case .done = try reply(#"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:33:57Z","sequence_num":1,"events":[{"subscriptions":{"user":["BTC-USD"]}}]}"#) else {
            Issue.record("a subscriptions message does not answer the subscribe")
            return
        }
        guard case .rejected(let e) = try reply(#"{"type":"error","message":"authentication failure"}"#) else { Issue.record("an error does not refuse"); return }
        #expect(e.message.description == "authentication failure")
        let update = #"{"channel":"user","client_id":"","timestamp":"2023-02-09T20:33:58Z","sequence_num":2,"events":[{"type":"update","orders":[{"avg_price":"0","client_order_id":"g0000000000000c0b","cumulative_quantity":"0","order_id":"11111-00000-000000","order_side":"BUY","product_id":"BTC-USD","status":"OPEN","total_fees":"0"}]}]}"#
        guard case .other = try reply(update) else { Issue.record("an update answers nothing"); return }
        var named: [String] = []
        _ = try withBytes(update) { try codec.decodeUserStream($0, naming: { _, id in named.append(String(decoding: id, as: UTF8.self)) }) }
        #expect(named == ["11111-00000-000000"])
    }
}
