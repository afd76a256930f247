import Foundation
import GantryCore
import GantryVenues

// OKX v5 public WebSocket, as documented: `{"op":"subscribe"|"unsubscribe","args":[{"channel":"books",
// "instId":…}],"id":…}` answered `{"id":…,"event":"subscribe","arg":{…},"connId":…}` (errors `{"event":"error",
// "code":…,"msg":…,"connId":…}`: 60012 a bad request, 60018 an unknown channel or instrument, 60019 an
// unknown op); the text `ping`
// answered `pong`; `books` (400 levels): a `snapshot` with `prevSeqId` -1, then `update`s whose `prevSeqId`
// is the previous message's `seqId`; each level `[price, size, "0", orders]` with shortest decimal text; the
// signed CRC32 `checksum` of the best 25 levels each side after the message.
extension SimVenue {
    static let okxDepth = 400

    func okxRequest(_ client: SimClient, _ text: [UInt8]) {
        let connection = String(format: "%08x", 0x51a0_0000 + client.id)
        if text == Array("ping".utf8) {
            reply(client, "pong")
            return
        }
        if let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], okxPrivate(client, object, connection: connection) {
            return
        }
        let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any]
        // A request's `id` (up to 32 letters and digits) comes back in its replies.
        let id = (object?["id"] as? String).flatMap { $0.count <= 32 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } ? #""id":"\#($0)","# : nil } ?? ""
        func error(_ code: String, _ message: String) {
            var w = SimWriter(capacity: 256)
            w.quoted(message)
            reply(client, #"{\#(id)"event":"error","code":"\#(code)","msg":\#(String(decoding: w.bytes, as: UTF8.self)),"connId":"\#(connection)"}"#)
        }
        guard let object, let op = object["op"] as? String else {
            return error("60012", "Invalid request: \(String(decoding: text.prefix(4_096), as: UTF8.self))")
        }
        guard op == "subscribe" || op == "unsubscribe" else { return error("60019", "Invalid op: \(op)") }
        guard let args = object["args"] as? [[String: Any]], !args.isEmpty else {
            return error("60012", "Invalid request: \(String(decoding: text.prefix(4_096), as: UTF8.self))")
        }
        var keys: [(TopicKey, String)] = []
        for arg in args {
            let channel = arg["channel"] as? String ?? ""
            let instId = arg["instId"] as? String ?? ""
            let depth = channel == "trades" ? TopicKey.trades : channel == "tickers" ? TopicKey.ticker : Self.okxDepth
            guard channel == "books" || channel == "trades" || channel == "tickers", let i = book(instId) else {
                return error(
                    "60018",
                    "Wrong URL or channel:\(channel),instId:\(instId) doesn't exist. Please use the correct URL, channel and parameters referring to API document.")
            }
            keys.append((TopicKey(book: i, depth: depth), instId))
        }
        for (key, instId) in keys {
            let channel = key.depth == TopicKey.trades ? "trades" : key.depth == TopicKey.ticker ? "tickers" : "books"
            reply(client, #"{\#(id)"event":"\#(op)","arg":{"channel":"\#(channel)","instId":"\#(instId)"},"connId":"\#(connection)"}"#)
            if op == "unsubscribe" {
                _ = unsubscribe(client, key)
                continue
            }
            guard key.isBook else {
                _ = subscribe(client, key, depthLimited: false)
                if key.depth == TopicKey.ticker {
                    writer.reset()
                    okxTicker(book: key.book)
                    reply(client, writer.bytes)
                }
                continue
            }
            let topic = subscribe(client, key, depthLimited: true)
            writer.reset()
            okxMessage(topic, action: "snapshot", changes: nil)
            reply(client, writer.bytes)
        }
    }

    /// A `trades` push: one trade, the taker's side.
    func okxTrade(_ t: SimFill, book: Int) {
        let inst = books[book].instrument
        writer.raw(#"{"arg":{"channel":"trades","instId":""#)
        writer.text(inst.symbol)
        writer.raw(#""},"data":[{"instId":""#)
        writer.text(inst.symbol)
        writer.raw(#"","tradeId":""#)
        writer.int(t.tradeId)
        writer.raw(#"","px":""#)
        writer.decimal(t.price.raw, scale: inst.priceScale, trim: true)
        writer.raw(#"","sz":""#)
        writer.decimal(t.quantity.raw, scale: inst.quantityScale, trim: true)
        writer.raw(t.takerSide == .buy ? #"","side":"buy","ts":""# : #"","side":"sell","ts":""#)
        writer.int(venueMilliseconds)
        writer.raw(#""}]}"#)
    }

    /// A `tickers` push: last trade, best bid and ask, and the session's open, high, low and volumes.
    func okxTicker(book: Int) {
        let b = books[book]
        let inst = b.instrument
        let (p, q) = (inst.priceScale, inst.quantityScale)
        let st = b.tradeStats
        let (bid, ask) = b.top
        writer.raw(#"{"arg":{"channel":"tickers","instId":""#)
        writer.text(inst.symbol)
        writer.raw(#""},"data":[{"instType":"SPOT","instId":""#)
        writer.text(inst.symbol)
        let fields: [(StaticString, Int64, Int)] = [
            (#"","last":""#, st.last, p), (#"","lastSz":""#, st.lastSize, q), (#"","askPx":""#, ask?.price.raw ?? 0, p),
            (#"","askSz":""#, ask?.quantity.raw ?? 0, q), (#"","bidPx":""#, bid?.price.raw ?? 0, p), (#"","bidSz":""#, bid?.quantity.raw ?? 0, q),
            (#"","open24h":""#, st.open, p), (#"","high24h":""#, st.high, p), (#"","low24h":""#, st.low, p), (#"","sodUtc0":""#, st.open, p),
            (#"","sodUtc8":""#, st.open, p), (#"","volCcy24h":""#, st.turnover, p + q), (#"","vol24h":""#, st.volume, q),
        ]
        for (key, value, scale) in fields {
            writer.raw(key)
            writer.decimal(value, scale: scale, trim: true)
        }
        writer.raw(#"","ts":""#)
        writer.int(venueMilliseconds)
        writer.raw(#""}]}"#)
    }

    func okxUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange]) { okxMessage(topic, action: "update", changes: changes) }

    func okxMessage(_ topic: FeedTopic, action: StaticString, changes: [SimLevelChange]?) {
        let book = books[topic.key.book]
        let (p, q) = (book.instrument.priceScale, book.instrument.quantityScale)
        func levels(_ pairs: [(Price, Quantity)]) {
            writer.raw("[")
            for (k, (price, quantity)) in pairs.enumerated() {
                if k > 0 { writer.raw(",") }
                writer.raw(#"[""#)
                writer.decimal(price.raw, scale: p, trim: true)
                writer.raw(#"",""#)
                writer.decimal(quantity.raw, scale: q, trim: true)
                writer.raw(quantity.raw == 0 ? #"","0","0"]"# : #"","0","1"]"#)
            }
            writer.raw("]")
        }
        writer.raw(#"{"arg":{"channel":"books","instId":""#)
        writer.text(book.instrument.symbol)
        writer.raw(#""},"action":""#)
        writer.raw(action)
        writer.raw(#"","data":[{"asks":"#)
        if let changes {
            levels(changes.pairs(.sell))
            writer.raw(#","bids":"#)
            levels(changes.pairs(.buy))
        } else {
            let (b, a) = book.snapshot(depth: topic.key.depth)
            levels(a.pairs)
            writer.raw(#","bids":"#)
            levels(b.pairs)
        }
        writer.raw(#","ts":""#)
        writer.int(venueMilliseconds)
        writer.raw(#"","checksum":"#)
        var checksum = OKX.checksum(book.published, priceScale: p, quantityScale: q)
        if changes != nil && faults.take(.badChecksum, elapsed: elapsed) { checksum ^= 0x5A5A }
        writer.int(checksum)
        writer.raw(#","prevSeqId":"#)
        if changes == nil { writer.raw("-1") } else { writer.int(topic.sequence) }
        writer.raw(#","seqId":"#)
        writer.int(changes == nil ? topic.sequence : book.updateId)
        writer.raw("}]}")
    }
}
