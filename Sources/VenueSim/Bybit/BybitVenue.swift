import Foundation
import GantryCore

// Bybit v5 public spot stream, as documented: `{"req_id":…,"op":"subscribe"|"unsubscribe","args":[topics]}`
// answered `{"success":…,"ret_msg":…,"conn_id":…,"req_id":…,"op":…}`; `{"op":"ping"}` answered with
// `"ret_msg":"pong"`; `orderbook.{1|50|200|1000}.{symbol}`: a `snapshot` on subscription, then `delta`s whose
// `u` goes up by one per message (`seq` is the cross sequence), each level an absolute size, "0" deleting it;
// levels that leave the top `depth` are deleted, levels that enter it are sent; level 1 is snapshots only.
extension SimVenue {
    static let bybitDepths: Set<Int> = [1, 50, 200, 1_000]

    func bybitRequest(_ client: SimClient, _ text: [UInt8]) {
        let connection = "sim-bybit-\(client.id)"
        if client.ws.requestTarget.hasPrefix("/v5/trade") { return bybitTradeRequest(client, text, connection: connection) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], let op = object["op"] as? String else {
            reply(client, #"{"success":false,"ret_msg":"Failed to decode incoming data","conn_id":"\#(connection)","op":""}"#)
            return
        }
        let reqId = (object["req_id"] as? String).map { #","req_id":"\#($0.filter { $0 != "\"" && $0 != "\\" })""# } ?? ""
        func answer(_ ok: Bool, _ message: String) {
            reply(client, #"{"success":\#(ok),"ret_msg":"\#(message)","conn_id":"\#(connection)"\#(reqId),"op":"\#(op)"}"#)
        }
        if bybitPrivate(client, op, object, answer) { return }
        switch op {
        case "ping": answer(true, "pong")
        case "subscribe", "unsubscribe":
            let topics = (object["args"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !topics.isEmpty else { return answer(false, "error:args is empty") }
            guard topics.count <= 10 else { return answer(false, "args size >10") }
            var keys: [TopicKey] = []
            for t in topics {
                guard let key = bybitTopic(t) else { return answer(false, "error:handler not found,topic:\(t)") }
                keys.append(key)
            }
            if op == "unsubscribe" {
                for k in keys { _ = unsubscribe(client, k) }
                return answer(true, "")
            }
            if let already = keys.first(where: { client.topics.contains($0) }) {
                return answer(false, "error:already subscribed,topic:\(bybitTopicName(already))")
            }
            answer(true, "subscribe")
            for k in keys {
                guard k.isBook else {
                    _ = subscribe(client, k, depthLimited: false)
                    continue
                }
                let topic = subscribe(client, k, depthLimited: true)
                writer.reset()
                bybitMessage(topic, type: "snapshot", bids: nil, asks: nil)
                reply(client, writer.bytes)
            }
        default: answer(false, "error:invalid op")
        }
    }

    func bybitTopic(_ name: String) -> TopicKey? {
        let two = name.split(separator: ".", maxSplits: 1)
        if two.count == 2, two[0] == "publicTrade" || two[0] == "tickers", let i = book(String(two[1])) {
            return TopicKey(book: i, depth: two[0] == "publicTrade" ? TopicKey.trades : TopicKey.ticker)
        }
        let parts = name.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "orderbook", let depth = Int(parts[1]), Self.bybitDepths.contains(depth),
            let i = book(String(parts[2]))
        else { return nil }
        return TopicKey(book: i, depth: depth)
    }

    func bybitTopicName(_ k: TopicKey) -> String {
        let symbol = books[k.book].instrument.symbol
        switch k.depth {
        case TopicKey.trades: return "publicTrade.\(symbol)"
        case TopicKey.ticker: return "tickers.\(symbol)"
        default: return "orderbook.\(k.depth).\(symbol)"
        }
    }

    /// `publicTrade.{symbol}`: the trades of one step, the taker's side.
    func bybitTrades(_ trades: [SimFill], book: Int) {
        let inst = books[book].instrument
        let ms = venueMilliseconds
        writer.raw(#"{"topic":"publicTrade."#)
        writer.text(inst.symbol)
        writer.raw(#"","type":"snapshot","ts":"#)
        writer.int(ms)
        writer.raw(#","data":["#)
        for (k, t) in trades.enumerated() {
            if k > 0 { writer.raw(",") }
            writer.raw(#"{"T":"#)
            writer.int(ms)
            writer.raw(#","s":""#)
            writer.text(inst.symbol)
            writer.raw(t.takerSide == .buy ? #"","S":"Buy","v":""# : #"","S":"Sell","v":""#)
            writer.decimal(t.quantity.raw, scale: inst.quantityScale)
            writer.raw(#"","p":""#)
            writer.decimal(t.price.raw, scale: inst.priceScale)
            writer.raw(#"","i":""#)
            writer.int(t.tradeId)
            writer.raw(#"","BT":false}"#)
        }
        writer.raw("]}")
    }

    /// `tickers.{symbol}` (spot): last price and the session's high, low, open, volume and turnover.
    func bybitTicker(book: Int) {
        let b = books[book]
        let inst = b.instrument
        let (p, q) = (inst.priceScale, inst.quantityScale)
        let st = b.tradeStats
        writer.raw(#"{"topic":"tickers."#)
        writer.text(inst.symbol)
        writer.raw(#"","ts":"#)
        writer.int(venueMilliseconds)
        writer.raw(#","type":"snapshot","cs":"#)
        writer.int(b.updateId)
        writer.raw(#","data":{"symbol":""#)
        writer.text(inst.symbol)
        let fields: [(StaticString, Int64, Int)] = [
            (#"","lastPrice":""#, st.last, p), (#"","highPrice24h":""#, st.high, p), (#"","lowPrice24h":""#, st.low, p),
            (#"","prevPrice24h":""#, st.open, p), (#"","volume24h":""#, st.volume, q), (#"","turnover24h":""#, st.turnover, p + q),
        ]
        for (key, value, scale) in fields {
            writer.raw(key)
            writer.decimal(value, scale: scale, trim: true)
        }
        // The change since the open as a fraction, four decimals (0.0196 for +1.96 %).
        writer.raw(#"","price24hPcnt":""#)
        writer.decimal(st.open > 0 ? (st.last - st.open) * 10_000 / st.open : 0, scale: 4, trim: true)
        writer.raw(#"","usdIndexPrice":""#)
        writer.decimal(st.last, scale: p, trim: true)
        writer.raw(#""}}"#)
    }

    func bybitUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange]) {
        // The delta carries the topic's sequence + 1; `advance` moves the topic on once it is delivered.
        // Level 1 is snapshots only ("level 1 data has snapshot message only").
        if topic.key.depth == 1 {
            bybitMessage(topic, type: "snapshot", bids: nil, asks: nil, next: true)
        } else {
            bybitMessage(topic, type: "delta", bids: changes.pairs(.buy), asks: changes.pairs(.sell))
        }
    }

    /// A snapshot (levels nil: the topic's window) or a delta of `topic`.
    func bybitMessage(_ topic: FeedTopic, type: StaticString, bids: [(Price, Quantity)]?, asks: [(Price, Quantity)]?, next: Bool = false) {
        let book = books[topic.key.book]
        let (p, q) = (book.instrument.priceScale, book.instrument.quantityScale)
        let ms = venueMilliseconds
        writer.raw(#"{"topic":"orderbook."#)
        writer.int(topic.key.depth)
        writer.raw(".")
        writer.text(book.instrument.symbol)
        writer.raw(#"","type":""#)
        writer.raw(type)
        writer.raw(#"","ts":"#)
        writer.int(ms)
        writer.raw(#","data":{"s":""#)
        writer.text(book.instrument.symbol)
        writer.raw(#"","b":"#)
        if let bids, let asks {
            writer.stringPairs(bids, priceScale: p, quantityScale: q)
            writer.raw(#","a":"#)
            writer.stringPairs(asks, priceScale: p, quantityScale: q)
        } else {
            let (b, a) = book.snapshot(depth: topic.key.depth)
            writer.stringPairs(b.pairs, priceScale: p, quantityScale: q)
            writer.raw(#","a":"#)
            writer.stringPairs(a.pairs, priceScale: p, quantityScale: q)
        }
        writer.raw(#","u":"#)
        writer.int(bids == nil && !next ? topic.sequence : topic.sequence + 1)
        writer.raw(#","seq":"#)
        writer.int(book.updateId)
        writer.raw(#"},"cts":"#)
        writer.int(ms)
        writer.raw("}")
    }
}
