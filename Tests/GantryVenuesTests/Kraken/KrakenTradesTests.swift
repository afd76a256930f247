import Foundation
import GantryCore
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

@Suite("Kraken trade history: QueryOrders with trades=true, then QueryTrades of its trade ids, fills as executions reports them", .serialized)
struct KrakenTradesTests {
    @Test("the exact requests: QueryOrders txid + trades=true, then QueryTrades of the ids its answer lists, each with a growing nonce and API-Sign")
    func requestBytes() throws {
        var codec = try krakenCodec()
        var buffer = OrderRequestBuffer()
        let secret = try #require(Base64.decode(krakenDocSecret))
        func sign(_ path: String, _ nonce: String, _ body: String) -> String {
            Base64.encode(Crypto.hmacSHA512(key: secret, Array(path.utf8) + Crypto.sha256(Array((nonce + body).utf8))))
        }
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1), venueOrderId: InlineText("OBCMZD-JIEE7-77TH3F")!)
        let first = try codec.trades(ref, now: docTime, into: &buffer)
        #expect(first == EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1)))
        let body = "nonce=1645423376532&txid=OBCMZD-JIEE7-77TH3F&trades=true"
        #expect(
            buffer.text
                == "POST /0/private/QueryOrders HTTP/1.1\r\nHost: api.kraken.com\r\nAPI-Key: kraken-key-1\r\nAPI-Sign: \(sign("/0/private/QueryOrders", "1645423376532", body))\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let orders = #"{"error":[],"result":{"OBCMZD-JIEE7-77TH3F":{"refid":null,"userref":0,"cl_ord_id":"g0000000000000007","status":"closed","opentm":1688666559.8974,"starttm":0,"expiretm":0,"descr":{"pair":"XBTUSD","type":"buy","ordertype":"limit","price":"30010.0","price2":"0","leverage":"none","order":"buy 0.03000000 XBTUSD @ limit 30010.0","close":""},"vol":"0.03000000","vol_exec":"0.03000000","cost":"900.3","fee":"0.0","price":"30010.0","stopprice":"0.00000","limitprice":"0.00000","misc":"","oflags":"fciq","trades":["TCCCTY-WE2O6-P3NB37","TFLWIB-KTT7L-4TWR3L"],"closetm":1688666559.9}}}"#
        #expect(try withBytes(orders) { try codec.decodeTrades($0, .rest(first, httpStatus: 200)) { _ in } } == 0, "QueryOrders lists ids, not fills")
        let second = try #require(try withBytes(orders) { try codec.tradesFollowUp($0, .rest(first, httpStatus: 200), now: docTime, into: &buffer) })
        #expect(second == first)
        let body2 = "nonce=1645423376533&txid=TCCCTY-WE2O6-P3NB37,TFLWIB-KTT7L-4TWR3L"
        #expect(buffer.text.hasPrefix("POST /0/private/QueryTrades HTTP/1.1\r\n") && buffer.text.hasSuffix("\r\n\r\n" + body2))
        #expect(header("API-Sign", in: buffer.text) == sign("/0/private/QueryTrades", "1645423376533", body2))
        // No trades: no second request; Kraken's error: the answer cannot be read.
        let open = #"{"error":[],"result":{"OBCMZD-JIEE7-77TH3F":{"status":"open","descr":{"pair":"XBTUSD"},"vol":"0.03","vol_exec":"0"}}}"#
        #expect(try withBytes(open) { try codec.tradesFollowUp($0, .rest(first, httpStatus: 200), now: docTime, into: &buffer) } == nil)
        #expect(throws: OrderEncodeError.self) {
            try withBytes(#"{"error":["EOrder:Invalid order"]}"#) { try codec.tradesFollowUp($0, .rest(first, httpStatus: 200), now: docTime, into: &buffer) }
        }
        #expect(throws: OrderEncodeError.self) { try codec.trades(OrderReference(clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1)), now: docTime, into: &buffer) }
    }

    @Test("a QueryTrades answer: each trade a fill (pair XXBTZUSD is the request's instrument), its key hashed as exec_id is; errors thrown")
    func decodesDocumentedAnswer() throws {
        let codec = try krakenCodec()
        let request = EncodedRequest(transport: .rest, kind: .trades, requestId: 0, clientOrderId: ClientOrderId(raw: 7), instrument: InstrumentId(raw: 1))
        let answer = #"{"error":[],"result":{"TCCCTY-WE2O6-P3NB37":{"ordertxid":"OBCMZD-JIEE7-77TH3F","postxid":"TKH2SE-M7IF5-CFI7LT","pair":"XXBTZUSD","time":1688666559.8974,"type":"buy","ordertype":"limit","price":"30010.0","cost":"600.2","fee":"1.5605","vol":"0.02000000","margin":"0.00000","leverage":"0","misc":"","trade_id":93748276,"maker":false}}}"#
        var got: [OrderUpdate] = []
        #expect(try withBytes(answer) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { got.append($0) } } == 1)
        let u = try #require(got.first)
        #expect(u.tradeId == withBytes("TCCCTY-WE2O6-P3NB37") { OrderFieldsProbe.textHash($0) })
        #expect(u.report.instrument == InstrumentId(raw: 1) && u.report.side == .buy && u.report.price.raw == 300_100 && u.report.lastQuantity.raw == 2_000_000)
        #expect(u.report.fee == 1_560_500_000 && u.feeAsset == .quote && u.report.isTaker && u.report.clientOrderId == ClientOrderId(raw: 7))
        #expect(u.report.eventTime == Nanos(raw: 1_688_666_559_897_400_000))
        // The executions channel's report of the same trade: the same facts.
        let execution = #"{"channel":"executions","type":"update","data":[{"order_id":"OBCMZD-JIEE7-77TH3F","cl_ord_id":"g0000000000000007","exec_id":"TCCCTY-WE2O6-P3NB37","exec_type":"trade","trade_id":93748276,"symbol":"BTC/USD","side":"buy","last_qty":0.02,"last_price":30010.0,"liquidity_ind":"t","cost":600.2,"order_status":"partially_filled","order_type":"limit","cum_qty":0.02,"timestamp":"2023-07-06T18:02:39.897400Z","fees":[{"asset":"USD","qty":1.5605}]}],"sequence":3}"#
        var streamed: [OrderUpdate] = []
        _ = try withBytes(execution) { try codec.decodeUserStream($0) { streamed.append($0) } }
        #expect(streamed.map(FillFacts.init) == [FillFacts(u)])
        #expect(throws: DecodeError.venue(withBytes("EOrder:Invalid order") { VenueOrderError(requestId: 0, clientOrderId: ClientOrderId(raw: 7), code: 0, httpStatus: 200, message: $0) })) {
            try withBytes(#"{"error":["EOrder:Invalid order"]}"#) { try codec.decodeTrades($0, .rest(request, httpStatus: 200)) { _ in } }
        }
    }

    @Test("end to end: a REST IOC sweeping three levels; QueryOrders then QueryTrades list exactly the executions channel's fills; an unknown txid is EOrder:Invalid order")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.kraken, symbol: "BTC/USD", priceScale: 1, quantityScale: 8)
        try venue.addKrakenKey(apiKey: "kraken-key-1", secret: krakenDocSecret, account: 1, deposits: ["BTC": "2", "USD": "300000"])
        var codec = try krakenCodec(host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        _ = try codec.webSocketToken(now: WallClock.now(), into: &buffer)
        let token = try exchange(buffer, sim, venue).body.withUnsafeBytes { try KrakenOrderEntry.token(from: $0) }
        let ws = try SimTestClient(port: venue.port, path: "/v2")
        let subscribe = #"{"method":"subscribe","params":{"channel":"executions","token":"\#(token)","snap_orders":false}}"#
        #expect(ws.request(sim, subscribe).first?.contains(#""success":true"#) == true)
        let order = sweep(venue, clientOrderId: ClientOrderId(raw: 8))
        let placed = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try exchange(buffer, sim, venue)
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(placed, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.text)")
            return
        }
        let ref = OrderReference(clientOrderId: order.clientOrderId, instrument: order.instrument, venueOrderId: ack.venueOrderId)
        let first = try codec.trades(ref, now: WallClock.now(), into: &buffer)
        let ids = try exchange(buffer, sim, venue)
        #expect(try historyFills(codec, ids.body, .rest(first, httpStatus: ids.status)).isEmpty)
        let second = try #require(try ids.body.withUnsafeBytes { try codec.tradesFollowUp($0, .rest(first, httpStatus: ids.status), now: WallClock.now(), into: &buffer) })
        let trades = try exchange(buffer, sim, venue)
        let history = try historyFills(codec, trades.body, .rest(second, httpStatus: trades.status))
        #expect(history.reduce(0) { $0 + $1.quantity } == order.quantity.raw)
        try expectSameFills(codec, ws, sim, history: history, order: order.clientOrderId)
        var unknown = ref
        unknown.venueOrderId = InlineText("OAAAAA-BBBBB-CCCCCC")!
        let none = try codec.trades(unknown, now: WallClock.now(), into: &buffer)
        let refused = try exchange(buffer, sim, venue)
        #expect(throws: DecodeError.self) { try refused.body.withUnsafeBytes { try codec.decodeTrades($0, .rest(none, httpStatus: refused.status)) { _ in } } }
        #expect(refused.text.contains("EOrder:Invalid order"))
    }
}

/// FNV-1a of a text, as the decoders hash text ids (recomputed here, not read from the module).
enum OrderFieldsProbe {
    static func textHash(_ text: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
