import Foundation
import GantryCore
import GantryVenues
import Testing
import VenueSim

/// Binance's documented example key pair (request-security pages): illustrative, not a real account's.
enum BinanceDocKeys {
    static let apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    static let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
}

func binanceCodec(apiKey: String = BinanceDocKeys.apiKey, secret: String = BinanceDocKeys.secret, host: String = "api.binance.com") -> BinanceOrderEntry {
    BinanceOrderEntry(
        venue: VenueId(raw: 1),
        instruments: OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 2, quantityScale: 8),
            OrderInstrument(id: InstrumentId(raw: 2), symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC", priceScale: 8, quantityScale: 8),
        ]), apiKey: apiKey, secret: VenueSecret(text: secret), restHost: host)
}

/// A limit IOC buy of 0.05 BTC at 97,000.10, our order 1, at the docs' timestamp.
let sampleLimitIOC = OrderRequest(
    clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
    price: Price(raw: 9_700_010), quantity: Quantity(raw: 5_000_000))
let docTime = Nanos(raw: 1_645_423_376_532_000_000)

/// The UTF-8 bytes of `text` in a call (tests).
func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try Array(text.utf8).withUnsafeBytes(body) }

@Suite("Binance order entry: WebSocket API and REST requests signed as documented, answers and executionReports decoded")
struct BinanceOrderEntryTests {
    @Test("the documented HMAC examples: the WebSocket API's sorted payload (aa1b57…) and REST's query string (c8db56…)")
    func documentedSignatures() {
        let key = HMACSHA256Key(VenueSecret(text: BinanceDocKeys.secret))
        let ws = "apiKey=\(BinanceDocKeys.apiKey)&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        #expect(hex(key.authenticate(Array(ws.utf8))) == "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24")
        let rest = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        #expect(hex(key.authenticate(Array(rest.utf8))) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    @Test("order.place, limit IOC: the exact bytes, params sorted by name, signature over them as the docs build it")
    func placeBytes() throws {
        var codec = binanceCodec()
        var buffer = OrderRequestBuffer()
        let sent = try codec.place(sampleLimitIOC, now: docTime, into: &buffer)
        #expect(sent == EncodedRequest(transport: .webSocket, kind: .place, requestId: 1, clientOrderId: ClientOrderId(raw: 1)))
        let payload = "apiKey=\(BinanceDocKeys.apiKey)&newClientOrderId=g0000000000000001&newOrderRespType=RESULT&price=97000.1&quantity=0.05&recvWindow=5000&side=BUY&symbol=BTCUSDT&timeInForce=IOC&timestamp=1645423376532&type=LIMIT"
        let signature = Hex.encode(Crypto.hmacSHA256(key: Array(BinanceDocKeys.secret.utf8), Array(payload.utf8)))
        #expect(
            buffer.text
                == #"{"id":1,"method":"order.place","params":{"apiKey":"\#(BinanceDocKeys.apiKey)","newClientOrderId":"g0000000000000001","newOrderRespType":"RESULT","price":"97000.1","quantity":"0.05","recvWindow":5000,"side":"BUY","symbol":"BTCUSDT","timeInForce":"IOC","timestamp":1645423376532,"type":"LIMIT","signature":"\#(signature)"}}"#)
        // Independently: the params as JSON, sorted by name, joined as the docs say, sign to the same.
        let params = try #require((try JSONSerialization.jsonObject(with: Data(buffer.text.utf8)) as? [String: Any])?["params"] as? [String: Any])
        let rebuilt = params.filter { $0.key != "signature" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        #expect(rebuilt == payload && params["signature"] as? String == signature)
        // The next request gets the next id.
        #expect(try codec.place(sampleLimitIOC, now: docTime, into: &buffer).requestId == 2)
    }

    @Test("market and GTC orders carry only their documented params; cancel, status, open orders and account name the order by origClientOrderId")
    func otherRequests() throws {
        var codec = binanceCodec()
        var buffer = OrderRequestBuffer()
        var market = sampleLimitIOC
        market.orderType = .market
        market.side = .sell
        _ = try codec.place(market, now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""quantity":"0.05","recvWindow":5000,"side":"SELL","symbol":"BTCUSDT","timestamp":1645423376532,"type":"MARKET""#))
        #expect(!buffer.text.contains("price") && !buffer.text.contains("timeInForce"))
        var gtc = sampleLimitIOC
        gtc.timeInForce = .gtc
        _ = try codec.place(gtc, now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""timeInForce":"GTC""#))
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1))
        let cancel = try codec.cancel(ref, now: docTime, into: &buffer)
        #expect(cancel.kind == .cancel && cancel.requestId == 3)
        #expect(buffer.text.hasPrefix(#"{"id":3,"method":"order.cancel","params":{"apiKey":"\#(BinanceDocKeys.apiKey)","origClientOrderId":"g0000000000000001","recvWindow":5000,"symbol":"BTCUSDT","timestamp":1645423376532,"signature":""#))
        _ = try codec.query(ref, now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""method":"order.status""#))
        _ = try codec.openOrders(InstrumentId(raw: 1), now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""method":"openOrders.status","params":{"apiKey":"\#(BinanceDocKeys.apiKey)","recvWindow":5000,"symbol":"BTCUSDT","timestamp":1645423376532,"signature":"#))
        _ = try codec.cancelAll(InstrumentId(raw: 1), now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""method":"openOrders.cancelAll""#))
        _ = try codec.accountStatus(now: docTime, into: &buffer)
        #expect(buffer.text.contains(#""method":"account.status","params":{"apiKey":"\#(BinanceDocKeys.apiKey)","recvWindow":5000,"timestamp":1645423376532,"signature":"#))
        #expect(throws: OrderEncodeError.unknownInstrument(InstrumentId(raw: 9))) {
            try codec.cancel(OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 9)), now: docTime, into: &buffer)
        }
    }

    @Test("REST fallback: POST /api/v3/order with the query string signed as sent, the key in X-MBX-APIKEY only")
    func restBytes() throws {
        var codec = binanceCodec()
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        let sent = try codec.place(sampleLimitIOC, now: docTime, into: &buffer)
        #expect(sent.transport == .rest && sent.kind == .place)
        let query = "newClientOrderId=g0000000000000001&newOrderRespType=RESULT&price=97000.1&quantity=0.05&recvWindow=5000&side=BUY&symbol=BTCUSDT&timeInForce=IOC&timestamp=1645423376532&type=LIMIT"
        let signature = Hex.encode(Crypto.hmacSHA256(key: Array(BinanceDocKeys.secret.utf8), Array(query.utf8)))
        #expect(
            buffer.text
                == "POST /api/v3/order?\(query)&signature=\(signature) HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: \(BinanceDocKeys.apiKey)\r\nContent-Length: 0\r\n\r\n")
    }

    @Test("the secret's bytes appear in no request, WebSocket or REST, of any kind")
    func secretNeverSent() throws {
        var codec = binanceCodec()
        var buffer = OrderRequestBuffer()
        let ref = OrderReference(clientOrderId: ClientOrderId(raw: 1), instrument: InstrumentId(raw: 1))
        for transport in [OrderTransport.webSocket, .rest] {
            codec.transport = transport
            for encode in 0..<4 {
                switch encode {
                case 0: _ = try codec.place(sampleLimitIOC, now: docTime, into: &buffer)
                case 1: _ = try codec.cancel(ref, now: docTime, into: &buffer)
                case 2: _ = try codec.query(ref, now: docTime, into: &buffer)
                default: _ = try codec.openOrders(InstrumentId(raw: 1), now: docTime, into: &buffer)
                }
                #expect(!buffer.text.contains(BinanceDocKeys.secret) && !buffer.text.contains(String(BinanceDocKeys.secret.prefix(12))))
            }
        }
        #expect(!String(describing: codec).contains(String(BinanceDocKeys.secret.prefix(12))))
    }

    @Test("the documented RESULT answer is an ack with the order id, status and executed quantity; an error keeps code and message")
    func replies() throws {
        let codec = binanceCodec()
        let result = #"{"id":7,"status":200,"result":{"symbol":"BTCUSDT","orderId":12569099453,"orderListId":-1,"clientOrderId":"g0000000000000001","transactTime":1660801715639,"price":"23416.10000000","origQty":"0.00847000","executedQty":"0.00635000","origQuoteOrderQty":"0.000000","cummulativeQuoteQty":"148.69223500","status":"PARTIALLY_FILLED","timeInForce":"GTC","type":"LIMIT","side":"SELL","workingTime":1660801715639,"selfTradePreventionMode":"NONE"},"rateLimits":[{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50,"count":1}]}"#
        guard case .accepted(let ack) = try withBytes(result, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("not an ack")
            return
        }
        #expect(ack.requestId == 7 && ack.kind == .place && ack.venueOrderId.description == "12569099453")
        #expect(ack.report.venueOrderId == 12_569_099_453 && ack.report.status == .partiallyFilled && ack.report.side == .sell)
        #expect(ack.report.clientOrderId == ClientOrderId(raw: 1) && ack.report.cumulativeQuantity == Quantity(raw: 635_000))
        #expect(ack.report.price == Price(raw: 2_341_610) && ack.report.instrument == InstrumentId(raw: 1) && ack.report.eventTime.raw == 1_660_801_715_639_000_000)
        let error = #"{"id":"5633b6a2-90a9-4192-83e7-925c90b6a2fd","status":400,"error":{"code":-2010,"msg":"Account has insufficient balance for requested action."},"rateLimits":[]}"#
        guard case .rejected(let e) = try withBytes(error, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("not a rejection")
            return
        }
        #expect(e.code == -2010 && e.httpStatus == 400 && e.message.description == "Account has insufficient balance for requested action." && e.requestId == 0)
        let cancel = #"{"id":9,"status":200,"result":{"symbol":"BTCUSDT","origClientOrderId":"g0000000000000002","orderId":12569099453,"orderListId":-1,"clientOrderId":"91fe37ce9e69c90d6358c0","transactTime":1684804350068,"price":"23416.10000000","origQty":"0.00847000","executedQty":"0.00001000","cummulativeQuoteQty":"0.23416100","status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"SELL","selfTradePreventionMode":"NONE"}}"#
        guard case .accepted(let canceled) = try withBytes(cancel, { try codec.decodeReply($0, .webSocket) }) else {
            Issue.record("not an ack")
            return
        }
        #expect(canceled.kind == .cancel && canceled.report.status == .canceled && canceled.report.clientOrderId == ClientOrderId(raw: 2))
        #expect(throws: DecodeError.self) { try withBytes(#"{"id":7,"status":200,"result":{"symbol":"BTCUSDT","orderId":1,"#) { try codec.decodeReply($0, .webSocket) } }
        #expect(throws: DecodeError.unknownSymbol) {
            try withBytes(#"{"id":7,"status":200,"result":{"symbol":"XYZ","orderId":1,"status":"NEW","side":"BUY"}}"#) { try codec.decodeReply($0, .webSocket) }
        }
    }

    @Test("executionReports: the documented NEW one, and fills with fees in the quote, the base (valued at the fill price) and BNB")
    func executionReports() throws {
        let codec = binanceCodec()
        var updates: [OrderUpdate] = []
        let documented = #"{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"0.10264410","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"NEW","X":"NEW","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"v":3,"I":8641984,"w":true,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","W":1499405658657,"V":"NONE"}"#
        #expect(try withBytes(documented) { try codec.decodeUserStream($0) { updates.append($0) } } == 1)
        #expect(updates[0].report.status == .new && updates[0].report.venueOrderId == 4_293_153 && updates[0].tradeId == 0 && updates[0].feeAsset == .none)
        #expect(updates[0].report.instrument == InstrumentId(raw: 2) && updates[0].report.price == Price(raw: 10_264_410) && updates[0].report.side == .buy)
        #expect(updates[0].report.clientOrderId == ClientOrderId(raw: 0), "another client's id is not ours")
        func trade(_ fee: String, _ asset: String) -> String {
            #"{"subscriptionId":0,"event":{"e":"executionReport","E":1700000000001,"s":"BTCUSDT","c":"g000000000000000a","S":"BUY","o":"LIMIT","f":"IOC","q":"0.05000000","p":"97000.10","x":"TRADE","X":"PARTIALLY_FILLED","i":42,"l":"0.02000000","z":"0.03000000","L":"97000.00","n":"\#(fee)","N":"\#(asset)","T":1700000000000,"t":777,"m":false,"C":""}}"#
        }
        updates = []
        for (fee, asset) in [("1.94", "USDT"), ("0.00002", "BTC"), ("0.0015", "BNB")] {
            _ = try withBytes(trade(fee, asset)) { try codec.decodeUserStream($0) { updates.append($0) } }
        }
        let r = updates[0].report
        #expect(r.status == .partiallyFilled && r.clientOrderId == ClientOrderId(raw: 10) && r.lastQuantity == Quantity(raw: 2_000_000))
        #expect(r.cumulativeQuantity == Quantity(raw: 3_000_000) && r.price == Price(raw: 9_700_000) && r.isTaker && r.eventTime.raw == 1_700_000_000_000_000_000)
        #expect(updates[0].tradeId == 777 && updates[0].feeAsset == .quote && r.fee == 19_400_000_000, "1.94 USDT at scale 10")
        #expect(updates[1].feeAsset == .base && updates[1].nativeFee == 2_000 && updates[1].report.fee == 2_000 * 9_700_000, "0.00002 BTC × 97,000.00")
        #expect(updates[2].feeAsset == .other && updates[2].report.fee == 0 && updates[2].nativeFee == 1_500_000_000)
        // Balance updates carry no order; a bad one is a typed error.
        #expect(try withBytes(#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1,"u":1,"B":[]}}"#) { try codec.decodeUserStream($0) { _ in } } == 0)
        #expect(throws: DecodeError.self) { try withBytes(#"{"e":"executionReport","s":"BTCUSDT","X":"NEW","S":"BUY","l":"x1"}"#) { try codec.decodeUserStream($0) { _ in } } }
        #expect(throws: DecodeError.missingField("status")) { try withBytes(#"{"e":"executionReport","s":"BTCUSDT","S":"BUY"}"#) { try codec.decodeUserStream($0) { _ in } } }
    }

    @Test("end to end: a signed REST limit IOC from the encoder, over a real socket, fills at VenueSim; a wrong secret gets -1022")
    func againstVenueSim() throws {
        let (sim, venue) = try orderSimulator(.binance, symbol: "BTCUSDT", priceScale: 2, quantityScale: 8)
        try venue.addAccount(BinanceCredentials(apiKey: "simKey1", secret: "simSecret1", account: 1), deposits: ["BTC": "2", "USDT": "300000"])
        let ask = venue.books[0].engine.best(.sell)!.raw
        var codec = binanceCodec(apiKey: "simKey1", secret: "simSecret1", host: "api.sim.test")
        codec.transport = .rest
        var buffer = OrderRequestBuffer()
        var order = sampleLimitIOC
        order.price = Price(raw: ask + 2)
        let sent = try codec.place(order, now: WallClock.now(), into: &buffer)
        let response = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        #expect(response.status == 200, "\(response.text)")
        guard case .accepted(let ack) = try response.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(sent, httpStatus: response.status)) }) else {
            Issue.record("not accepted: \(response.text)")
            return
        }
        #expect(ack.report.clientOrderId == ClientOrderId(raw: 1) && ack.report.cumulativeQuantity.raw > 0)
        #expect(ack.report.status == .filled || ack.report.status == .expired)
        var wrong = binanceCodec(apiKey: "simKey1", secret: "not the secret", host: "api.sim.test")
        wrong.transport = .rest
        order.clientOrderId = ClientOrderId(raw: 2)
        let bad = try wrong.place(order, now: WallClock.now(), into: &buffer)
        let refused = try #require(try sendRaw(buffer.bytes, to: sim, port: venue.restPort!))
        guard case .rejected(let e) = try refused.body.withUnsafeBytes({ try codec.decodeReply($0, .rest(bad, httpStatus: refused.status)) }) else {
            Issue.record("not rejected: \(refused.text)")
            return
        }
        #expect(e.code == -1022 && e.httpStatus == 400 && e.clientOrderId == ClientOrderId(raw: 2))
    }
}
