import Foundation
import GantryCore

// Binance spot, as documented for the WebSocket market streams and the REST API:
// - streams on `/ws/<name>` (raw) or `/stream?streams=<a>/<b>` (combined: `{"stream":…,"data":…}`), and
//   `{"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS","params":[…],"id":…}` on an open connection,
//   answered `{"result":null,"id":…}` (errors: `{"error":{"code":…,"msg":…},"id":…}`);
// - `<symbol>@depth` and `<symbol>@depth@100ms`: `depthUpdate` events with `U` (first update id) and `u`
//   (final), the next event's `U` being the previous `u` + 1;
// - `GET /api/v3/depth?symbol=&limit=` (limit 1–5000, default 100): `{"lastUpdateId":…,"bids":…,"asks":…}`,
//   the snapshot a client replays buffered events on; `GET /api/v3/ping`, `GET /api/v3/time`;
// - order entry and the user data stream: BinanceOrders.swift.
extension SimVenue {
    /// Streams named in the URL are subscribed when the connection opens.
    func binanceConnected(_ client: SimClient) {
        let target = client.ws.requestTarget
        if target.hasPrefix("/ws-api") {
            client.wsAPI = true
        } else if target.hasPrefix("/ws") {
            client.combined = false
            let name = target.dropFirst(3).drop { $0 == "/" }
            if !name.isEmpty && binanceValidStream(String(name)) { binanceSubscribe(client, String(name)) }
        } else if let q = target.firstIndex(of: "?") {
            let parameters = SimHTTPRequest.form(String(target[target.index(after: q)...]))
            for name in (parameters["streams"] ?? "").split(separator: "/") where binanceValidStream(String(name)) {
                binanceSubscribe(client, String(name))
            }
        }
    }

    func binanceRequest(_ client: SimClient, _ text: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
            reply(client, #"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#)
            return
        }
        if client.wsAPI { return binanceAPIRequest(client, object) }
        let id = binanceID(object["id"])
        func error(_ message: String) { reply(client, #"{"error":{"code":2,"msg":"Invalid request: \#(message)"},"id":\#(id)}"#) }
        guard let method = object["method"] as? String else { return error("missing field `method`") }
        let params = object["params"] as? [Any]
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            guard let names = params as? [String] else { return error("invalid stream") }
            // All or nothing: one invalid name refuses the request.
            guard names.allSatisfy(binanceValidStream) else { return error("invalid stream") }
            for name in names {
                if method == "SUBSCRIBE" { binanceSubscribe(client, name) } else { binanceUnsubscribe(client, name) }
            }
            reply(client, #"{"result":null,"id":\#(id)}"#)
        case "LIST_SUBSCRIPTIONS":
            reply(client, #"{"result":[\#(client.streams.map { #""\#($0)""# }.joined(separator: ","))],"id":\#(id)}"#)
        case "SET_PROPERTY":
            guard let p = params, p.count == 2, p[0] as? String == "combined", let value = p[1] as? Bool else {
                return error("invalid property")
            }
            client.combined = value
            reply(client, #"{"result":null,"id":\#(id)}"#)
        case "GET_PROPERTY":
            guard let p = params, p.count == 1, p[0] as? String == "combined" else { return error("invalid property") }
            reply(client, #"{"result":\#(client.combined),"id":\#(id)}"#)
        default:
            let safe = method.filter { $0.isLetter || $0.isNumber || $0 == "_" }
            error("unknown variant `\(safe)`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`")
        }
    }

    /// Binance's request ids: a 64-bit integer or a string, echoed as sent; anything else is echoed as null.
    func binanceID(_ value: Any?) -> String {
        if let n = value as? Int64 { return String(n) }
        if let s = value as? String, s.count <= 36, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { return #""\#(s)""# }
        return "null"
    }

    /// A stream name Binance would take: `<symbol>@<stream>` with the symbol in lower case (`btcusdt@aggTrade`,
    /// `btcusdt@depth@100ms`), or an all-market `!<stream>`.
    func binanceValidStream(_ name: String) -> Bool {
        let parts = name.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "@" || $0 == "_" || $0 == "!") })
        else { return false }
        return parts[0].hasPrefix("!") || parts[0].allSatisfy { $0.isLowercase || $0.isNumber }
    }

    /// The channel of a stream name: `<symbol>@depth[@100ms|@1000ms]` (`@depth` and `@depth@1000ms` are one
    /// channel, `@depth@100ms` another; the simulator sends both at its step rate: the cadence is not modelled),
    /// `<symbol>@trade`, `<symbol>@bookTicker`; nil for other or unknown streams.
    func binanceTopic(_ name: String) -> TopicKey? {
        let parts = name.split(separator: "@")
        guard parts.count >= 2, let i = books.firstIndex(where: { $0.instrument.symbol.lowercased() == parts[0] }) else { return nil }
        if parts.count == 2 && parts[1] == "trade" { return TopicKey(book: i, depth: TopicKey.trades) }
        if parts.count == 2 && parts[1] == "bookTicker" { return TopicKey(book: i, depth: TopicKey.ticker) }
        guard parts[1] == "depth", parts.count == 2 || (parts.count == 3 && (parts[2] == "100ms" || parts[2] == "1000ms")) else { return nil }
        return TopicKey(book: i, depth: parts.count == 3 && parts[2] == "100ms" ? 100 : 1_000)
    }

    /// Subscribes a stream (valid names of streams the simulator has no data for are taken and stay silent,
    /// as Binance does for symbols that do not trade).
    func binanceSubscribe(_ client: SimClient, _ name: String) {
        guard !client.streams.contains(name) else { return }
        client.streams.append(name)
        if let key = binanceTopic(name) {
            _ = subscribe(client, key, depthLimited: false)
            client.streamNames[key] = name
        }
    }

    func binanceUnsubscribe(_ client: SimClient, _ name: String) {
        client.streams.removeAll { $0 == name }
        if let key = binanceTopic(name), client.streamNames[key] == name {
            _ = unsubscribe(client, key)
            client.streamNames[key] = nil
        }
    }

    /// A `depthUpdate` event: the book's update ids before and after this step's changes.
    func binanceUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange], _ client: SimClient) {
        let book = books[topic.key.book]
        let symbol = book.instrument.symbol
        let last = book.updateId
        let first = last - UInt64(changes.count) + 1
        let wrapped = binanceWrapper(client, topic.key, symbol.lowercased() + "@depth")
        writer.raw(#"{"e":"depthUpdate","E":"#)
        writer.int(venueMilliseconds)
        writer.raw(#","s":""#)
        writer.text(symbol)
        writer.raw(#"","U":"#)
        writer.int(first)
        writer.raw(#","u":"#)
        writer.int(last)
        writer.raw(#","b":"#)
        let (p, q) = (book.instrument.priceScale, book.instrument.quantityScale)
        writer.stringPairs(changes, side: .buy, priceScale: p, quantityScale: q)
        writer.raw(#","a":"#)
        writer.stringPairs(changes, side: .sell, priceScale: p, quantityScale: q)
        writer.raw("}")
        if wrapped { writer.raw("}") }
    }

    /// Opens a combined-stream wrapper if the client asked for one: `{"stream":"<name>","data":`.
    func binanceWrapper(_ client: SimClient, _ key: TopicKey, _ fallback: @autoclosure () -> String) -> Bool {
        guard client.combined else { return false }
        writer.raw(#"{"stream":""#)
        writer.text(client.streamNames[key] ?? fallback())
        writer.raw(#"","data":"#)
        return true
    }

    /// A `trade` event: trade id, price, quantity, trade time, whether the buyer was the maker.
    func binanceTrade(_ t: SimFill, book: Int, _ client: SimClient) {
        let inst = books[book].instrument
        let wrapped = binanceWrapper(client, TopicKey(book: book, depth: TopicKey.trades), inst.symbol.lowercased() + "@trade")
        let ms = venueMilliseconds
        writer.raw(#"{"e":"trade","E":"#)
        writer.int(ms)
        writer.raw(#","s":""#)
        writer.text(inst.symbol)
        writer.raw(#"","t":"#)
        writer.int(t.tradeId)
        writer.raw(#","p":""#)
        writer.decimal(t.price.raw, scale: inst.priceScale)
        writer.raw(#"","q":""#)
        writer.decimal(t.quantity.raw, scale: inst.quantityScale)
        writer.raw(#"","T":"#)
        writer.int(ms)
        writer.raw(t.takerSide == .sell ? #","m":true,"M":true}"# : #","m":false,"M":true}"#)
        if wrapped { writer.raw("}") }
    }

    /// A `bookTicker` event: the book's update id and its best bid and ask.
    func binanceBookTicker(book: Int, _ client: SimClient) {
        let b = books[book]
        let inst = b.instrument
        guard let bid = b.published.bids.best, let ask = b.published.asks.best else { return }
        let wrapped = binanceWrapper(client, TopicKey(book: book, depth: TopicKey.ticker), inst.symbol.lowercased() + "@bookTicker")
        writer.raw(#"{"u":"#)
        writer.int(b.updateId)
        writer.raw(#","s":""#)
        writer.text(inst.symbol)
        for (key, value, scale) in [(#"","b":""#, bid.price.raw, inst.priceScale), (#"","B":""#, bid.quantity.raw, inst.quantityScale),
            (#"","a":""#, ask.price.raw, inst.priceScale), (#"","A":""#, ask.quantity.raw, inst.quantityScale)] as [(StaticString, Int64, Int)]
        {
            writer.raw(key)
            writer.decimal(value, scale: scale)
        }
        writer.raw(#""}"#)
        if wrapped { writer.raw("}") }
    }

    func binanceREST(_ request: SimHTTPRequest) -> SimHTTPResponse {
        let w = request.path == "/api/v3/depth" ? binanceDepthWeight(request.parameters["limit"].flatMap { Int($0) } ?? 100) : 1
        let ms = venueMilliseconds
        let used = weight.add(w, atMilliseconds: ms)
        var response: SimHTTPResponse
        if used > weightPerMinute {
            // Over the limit: refused (and counted, as Binance counts refused requests), until the minute ends.
            stats.rejectedRequests += 1
            response = SimHTTPResponse(
                status: 429,
                json: #"{"code":-1003,"msg":"Too much request weight used; current limit is \#(weightPerMinute) request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."}"#,
                headers: [("Retry-After", "\(max(1, (60_000 - ms % 60_000 + 999) / 1_000))")])
        } else {
            response = binanceEndpoint(request)
        }
        response.headers.append(("X-MBX-USED-WEIGHT-1M", "\(used)"))
        return response
    }

    /// The request weight of `GET /api/v3/depth` at `limit`.
    func binanceDepthWeight(_ limit: Int) -> Int { limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1_000 ? 50 : 250 }

    func binanceEndpoint(_ request: SimHTTPRequest) -> SimHTTPResponse {
        if let trading = binanceTrading(request) { return trading }
        switch (request.method, request.path) {
        case ("GET", "/api/v3/ping"): return SimHTTPResponse(status: 200, json: "{}")
        case ("GET", "/api/v3/time"): return SimHTTPResponse(status: 200, json: #"{"serverTime":\#(venueMilliseconds)}"#)
        case ("GET", "/api/v3/depth"): return binanceDepth(request.parameters)
        default:
            if request.path.hasPrefix("/api/") {
                return SimHTTPResponse(status: 404, json: #"{"code":-1000,"msg":"An unknown error occurred while processing the request."}"#)
            }
            return SimHTTPResponse(status: 404, json: "")
        }
    }

    /// `GET /api/v3/depth`: the book's best `limit` levels and its last update id.
    func binanceDepth(_ parameters: [String: String]) -> SimHTTPResponse {
        guard let symbol = parameters["symbol"], !symbol.isEmpty else {
            return SimHTTPResponse(status: 400, json: BinanceAPIError.mandatory("symbol").json)
        }
        guard let i = book(symbol) else {
            return SimHTTPResponse(status: 400, json: #"{"code":-1121,"msg":"Invalid symbol."}"#)
        }
        var limit = 100
        if let l = parameters["limit"] {
            guard let n = Int(l), n > 0 else {
                return SimHTTPResponse(status: 400, json: #"{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."}"#)
            }
            limit = min(n, 5_000)
        }
        let book = books[i]
        let (bids, asks) = book.snapshot(depth: limit)
        var w = SimWriter()
        w.raw(#"{"lastUpdateId":"#)
        w.int(book.updateId)
        w.raw(#","bids":"#)
        w.stringPairs(bids.pairs, priceScale: book.instrument.priceScale, quantityScale: book.instrument.quantityScale)
        w.raw(#","asks":"#)
        w.stringPairs(asks.pairs, priceScale: book.instrument.priceScale, quantityScale: book.instrument.quantityScale)
        w.raw("}")
        return SimHTTPResponse(status: 200, body: w.bytes)
    }
}
