// Order entry per venue: encoding and signing a new order (limit IOC, 0.05 BTC) into a preallocated buffer, and
// decoding a user-stream fill, one per iteration (scaled by 1,000). Gated at 0 mallocs (Thresholds/), except
// Coinbase: its REST order carries a JWT signed ES256 by OpenSSL per request (a String JWT, OpenSSL's ECDSA
// contexts and big numbers), which allocates; it is reported as measured, not gated.
//
// Where the venue's WebSocket order API authenticates the connection once (OKX login, Bybit auth, Kraken's
// token), a WebSocket order has nothing to sign: its benchmark is encoding alone, and the REST form shows the
// per-request signature (HMAC-SHA256, or Kraken's SHA-256 then HMAC-SHA512) in Swift over stack state.
import Benchmark
import GantryCore
import GantryVenues

/// Runs `encode` once per scaled iteration and keeps the request's length alive.
func measureEncode(_ benchmark: Benchmark, _ encode: (inout OrderRequestBuffer) throws(OrderEncodeError) -> Void) {
    var buffer = OrderRequestBuffer()
    var bytes = 0
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        do throws(OrderEncodeError) {
            try encode(&buffer)
        } catch {
            preconditionFailure("an order did not encode: \(error)")
        }
        bytes &+= buffer.request.count
    }
    benchmark.stopMeasurement()
    blackHole(bytes)
}

/// Decodes `message` once per scaled iteration; every decode must yield one update.
func measureDecode(_ benchmark: Benchmark, _ message: String, _ decode: (UnsafeRawBufferPointer, (OrderUpdate) -> Void) throws(DecodeError) -> Int) {
    let bytes = Array(message.utf8)
    var fills: Int64 = 0
    var decoded = 0
    benchmark.startMeasurement()
    bytes.withUnsafeBytes { raw in
        for _ in benchmark.scaledIterations {
            do throws(DecodeError) {
                decoded &+= try decode(raw) { fills &+= $0.report.lastQuantity.raw }
            } catch {
                preconditionFailure("a fill did not decode: \(error)")
            }
        }
    }
    benchmark.stopMeasurement()
    precondition(decoded == benchmark.scaledIterations.count, "\(benchmark.scaledIterations.count - decoded) fills did not decode")
    blackHole(fills)
}

func orderEntryBenchmarks() {
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    let now = Nanos(raw: 1_700_000_000_000_000_000)
    func instruments(_ symbol: String, base: String, quote: String, ps: Int, qs: Int, rest: String = "") -> OrderInstruments {
        OrderInstruments([
            OrderInstrument(id: InstrumentId(raw: 1), symbol: symbol, baseAsset: base, quoteAsset: quote, priceScale: ps, quantityScale: qs, restSymbol: rest)
        ])
    }
    let order = OrderRequest(
        clientOrderId: ClientOrderId(raw: 0x1234_5678_9abc), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
        price: Price(raw: 9_700_010), quantity: Quantity(raw: 5_000_000))
    let key64 = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    let secret64 = VenueSecret(text: "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")

    let binance = BinanceOrderEntry(venue: VenueId(raw: 1), instruments: instruments("BTCUSDT", base: "BTC", quote: "USDT", ps: 2, qs: 8), apiKey: key64, secret: secret64)
    Benchmark("Order entry Binance encode+sign order.place WebSocket", configuration: configuration) { benchmark in
        var codec = binance
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(order, now: now, into: &buffer) }
    }
    Benchmark("Order entry Binance encode+sign new order REST", configuration: configuration) { benchmark in
        var codec = binance
        codec.transport = .rest
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(order, now: now, into: &buffer) }
    }

    let okx = OKXOrderEntry(
        venue: VenueId(raw: 4), instruments: instruments("BTC-USDT", base: "BTC", quote: "USDT", ps: 1, qs: 8), apiKey: "3b0e2f6c-0d3f-4a4c-9c1e-5c6c8a1f2b3d",
        secret: VenueSecret(text: "A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6"), passphrase: "passphrase-1")
    var okxOrder = order
    okxOrder.price = Price(raw: 970_001)
    Benchmark("Order entry OKX encode op order WebSocket", configuration: configuration) { benchmark in
        var codec = okx
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(okxOrder, now: now, into: &buffer) }
    }
    Benchmark("Order entry OKX encode+sign new order REST", configuration: configuration) { benchmark in
        var codec = okx
        codec.transport = .rest
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(okxOrder, now: now, into: &buffer) }
    }

    let bybit = BybitOrderEntry(
        venue: VenueId(raw: 5), instruments: instruments("BTCUSDT", base: "BTC", quote: "USDT", ps: 2, qs: 8), apiKey: "XXXXXXXXXXXXXXXXXX",
        secret: VenueSecret(text: "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY"))
    Benchmark("Order entry Bybit encode order.create trade stream", configuration: configuration) { benchmark in
        var codec = bybit
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(order, now: now, into: &buffer) }
    }
    Benchmark("Order entry Bybit encode+sign new order REST", configuration: configuration) { benchmark in
        var codec = bybit
        codec.transport = .rest
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(order, now: now, into: &buffer) }
    }

    var kraken = KrakenOrderEntry(
        venue: VenueId(raw: 3), instruments: instruments("BTC/USD", base: "BTC", quote: "USD", ps: 1, qs: 8, rest: "XBTUSD"), apiKey: key64,
        secret: try! VenueSecret(base64: "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="))
    kraken.setToken(InlineText("G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY")!)
    let krakenCodec = kraken
    Benchmark("Order entry Kraken encode add_order WebSocket v2", configuration: configuration) { benchmark in
        var codec = krakenCodec
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(okxOrder, now: now, into: &buffer) }
    }
    Benchmark("Order entry Kraken encode+sign AddOrder REST", configuration: configuration) { benchmark in
        var codec = krakenCodec
        codec.transport = .rest
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(okxOrder, now: now, into: &buffer) }
    }

    let coinbase = CoinbaseOrderEntry(
        venue: VenueId(raw: 2), instruments: instruments("BTC-USD", base: "BTC", quote: "USD", ps: 2, qs: 8), keyName: "organizations/o1/apiKeys/k1",
        key: ES256Key.generate())
    Benchmark(
        "Order entry Coinbase encode+sign order with ES256 JWT REST",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .one, maxIterations: 20_000)
    ) { benchmark in
        var codec = coinbase
        measureEncode(benchmark) { buffer throws(OrderEncodeError) in _ = try codec.place(order, now: now, into: &buffer) }
    }

    // User-stream fills, in each venue's documented shape.
    Benchmark("Order entry Binance decode executionReport fill", configuration: configuration) { benchmark in
        let message = #"{"subscriptionId":0,"event":{"e":"executionReport","E":1700000000001,"s":"BTCUSDT","c":"g000000000000000a","S":"BUY","o":"LIMIT","f":"IOC","q":"0.05000000","p":"97000.10","P":"0.00000000","F":"0.00000000","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":4293153,"l":"0.02000000","z":"0.03000000","L":"97000.00","n":"1.94000000","N":"USDT","T":1700000000000,"t":777,"v":3,"I":8641984,"w":false,"m":false,"M":true,"O":1699999999990,"Z":"2910.00000000","Y":"1940.00000000","Q":"0.00000000","W":1699999999990,"V":"NONE"}}"#
        measureDecode(benchmark, message) { m, u throws(DecodeError) in try binance.decodeUserStream(m, u) }
    }
    Benchmark("Order entry OKX decode orders fill", configuration: configuration) { benchmark in
        let message = #"{"arg":{"channel":"orders","instType":"SPOT","instId":"BTC-USDT","uid":"614488474791936"},"data":[{"accFillSz":"0.001","algoClOrdId":"","algoId":"","amendResult":"","amendSource":"","avgPx":"31527.1","cancelSource":"","category":"normal","ccy":"","clOrdId":"g0000000000000abc","code":"0","cTime":"1654084334977","execType":"M","fee":"-0.02522168","feeCcy":"USDT","fillFee":"-0.02522168","fillFeeCcy":"USDT","fillNotionalUsd":"31.50818374","fillPx":"31527.1","fillSz":"0.001","fillTime":"1654084353263","instId":"BTC-USDT","instType":"SPOT","lever":"0","msg":"","notionalUsd":"31.50818374","ordId":"452197707845865472","ordType":"limit","pnl":"0","posSide":"","px":"31527.1","rebate":"0","rebateCcy":"BTC","reduceOnly":"false","reqId":"","side":"sell","slOrdPx":"","slTriggerPx":"","slTriggerPxType":"last","source":"","state":"filled","sz":"0.001","tag":"","tdMode":"cash","tgtCcy":"","tpOrdPx":"","tpTriggerPx":"","tpTriggerPxType":"last","tradeId":"242589207","uTime":"1654084353264"}]}"#
        measureDecode(benchmark, message) { m, u throws(DecodeError) in try okx.decodeUserStream(m, u) }
    }
    Benchmark("Order entry Bybit decode execution fill", configuration: configuration) { benchmark in
        let message = #"{"id":"592324803b2785-26fa-4214-9963-bdd4727f07be","topic":"execution","creationTime":1672364174455,"data":[{"category":"spot","symbol":"BTCUSDT","execFee":"1.94","feeCurrency":"USDT","execId":"7e2ae69c-4edf-5800-a352-893d52b446aa","execPrice":"97000","execQty":"0.02","execType":"Trade","execValue":"1940","isMaker":false,"feeRate":"0.001","tradeIv":"","markIv":"","blockTradeId":"","markPrice":"","indexPrice":"","underlyingPrice":"","leavesQty":"0.03","orderId":"1321003749386327552","orderLinkId":"g0000000000000042","orderPrice":"97000.1","orderQty":"0.05","orderType":"Limit","stopOrderType":"UNKNOWN","side":"Buy","execTime":"1672364174443","isLeverage":"0","closedSize":"","seq":4688002127}]}"#
        measureDecode(benchmark, message) { m, u throws(DecodeError) in try bybit.decodeUserStream(m, u) }
    }
    Benchmark("Order entry Kraken decode executions trade", configuration: configuration) { benchmark in
        let message = #"{"channel":"executions","type":"update","data":[{"order_id":"O6E7RN-GQQQ3-CUJZFU","cl_ord_id":"g0000000000000007","symbol":"BTC/USD","side":"buy","order_type":"limit","order_qty":0.05,"limit_price":97000.1,"time_in_force":"IOC","exec_type":"trade","order_status":"partially_filled","cum_qty":0.02,"cum_cost":1940.0,"avg_price":97000.0,"exec_id":"TY5BYV-WKLJK-RHV3RE","trade_id":40274859,"last_qty":0.02,"last_price":97000.0,"cost":1940.0,"liquidity_ind":"t","fees":[{"asset":"USD","qty":0.776}],"fee_usd_equiv":0.776,"timestamp":"2023-09-22T10:33:05.709950Z"}],"sequence":3}"#
        measureDecode(benchmark, message) { m, u throws(DecodeError) in try krakenCodec.decodeUserStream(m, u) }
    }
}
