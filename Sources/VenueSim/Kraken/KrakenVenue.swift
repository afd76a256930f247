import Foundation
import GantryCore
import GantryVenues

// Kraken WebSocket v2, as documented: a `status` message on connect; `{"method":"subscribe"|"unsubscribe",
// "params":{"channel":"book","symbol":[…],"depth":10|25|100|500|1000},"req_id":…}` answered per symbol with
// `{"method":…,"result":{"channel":"book","depth":…,"snapshot":true,"symbol":…},"success":true,"time_in":…,
// "time_out":…}` (or `"success":false` with an `error`); `{"method":"ping"}` answered with `pong`; the `book`
// channel: a `snapshot`, then `update`s, levels as `{"price":…,"qty":…}` JSON numbers at the pair's
// precision (padded, as the live venue sends them), qty 0 deleting a level, a level entering the subscribed
// depth from below sent, a level pushed out of it not (the client truncates), and the CRC32 `checksum` of the
// best 10 levels each side after the message; a `heartbeat` each second.
extension SimVenue {
    static let krakenDepths: Set<Int> = [10, 25, 100, 500, 1_000]

    func krakenRequest(_ client: SimClient, _ text: [UInt8]) {
        var timeIn = SimWriter(capacity: 32)
        timeIn.isoTime(venueTime, digits: 6)
        let received = String(decoding: timeIn.bytes, as: UTF8.self)
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], let method = object["method"] as? String
        else {
            reply(client, #"{"error":"Malformed request","method":"","success":false,"time_in":"\#(received)","time_out":"\#(received)"}"#)
            return
        }
        let reqId = (object["req_id"] as? Int).map { #","req_id":\#($0)"# } ?? ""
        func answer(_ body: String, _ name: String? = nil) {
            reply(client, #"{"method":"\#(name ?? method)",\#(body)\#(reqId),"time_in":"\#(received)","time_out":"\#(received)"}"#)
        }
        switch method {
        case "ping": answer(#""success":true"#, "pong")
        case "add_order", "cancel_order": krakenWSOrder(client, method, object, text, timeIn: received)
        case "cancel_all_orders_after": krakenCancelAfter(client, object, timeIn: received)
        case "subscribe", "unsubscribe":
            let params = object["params"] as? [String: Any] ?? [:]
            let channel = params["channel"] as? String ?? ""
            if channel == "trade" || channel == "ticker" { return krakenMarketChannel(client, method, channel, params, answer) }
            if channel == "executions" {
                if method == "subscribe" { return krakenExecutionsSubscribe(client, params, answer) }
                kraken.executions[client.id] = nil
                return answer(#""result":{"channel":"executions"},"success":true"#, nil)
            }
            guard channel == "book" else { return answer(#""error":"Channel not supported","success":false"#) }
            let depth = params["depth"] as? Int ?? 10
            guard Self.krakenDepths.contains(depth) else { return answer(#""error":"Invalid depth","success":false"#) }
            let symbols = (params["symbol"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !symbols.isEmpty else { return answer(#""error":"Missing field symbol","success":false"#) }
            for symbol in symbols {
                let safe = symbol.filter { $0 != "\"" && $0 != "\\" }
                guard let i = book(symbol) else {
                    answer(#""error":"Currency pair not supported \#(safe)","success":false,"symbol":"\#(safe)""#)
                    continue
                }
                // Unsubscribing names the pair, not the depth: whatever depth it is subscribed at goes.
                if method == "unsubscribe" {
                    let key = client.topics.first { $0.book == i } ?? TopicKey(book: i, depth: depth)
                    guard unsubscribe(client, key) else {
                        answer(#""error":"Subscription Not Found","success":false,"symbol":"\#(safe)""#)
                        continue
                    }
                    answer(#""result":{"channel":"book","depth":\#(key.depth),"symbol":"\#(safe)"},"success":true"#)
                    continue
                }
                if client.topics.contains(where: { $0.book == i }) {
                    answer(#""error":"Already subscribed","success":false,"symbol":"\#(safe)""#)
                    continue
                }
                client.heartbeats = true
                let topic = subscribe(client, TopicKey(book: i, depth: depth), depthLimited: true)
                answer(#""result":{"channel":"book","depth":\#(depth),"snapshot":true,"symbol":"\#(safe)"},"success":true"#)
                writer.reset()
                krakenMessage(topic, changes: nil)
                reply(client, writer.bytes)
            }
        default: answer(#""error":"Method not supported","success":false"#)
        }
    }

    /// `trade` and `ticker` subscriptions: an ack per pair, then (with `snapshot`, the default) the last trades or
    /// the ticker as it stands.
    func krakenMarketChannel(_ client: SimClient, _ method: String, _ channel: String, _ params: [String: Any], _ answer: (String, String?) -> Void) {
        let symbols = (params["symbol"] as? [Any])?.compactMap { $0 as? String } ?? []
        guard !symbols.isEmpty else { return answer(#""error":"Missing field symbol","success":false"#, nil) }
        let snapshot = params["snapshot"] as? Bool ?? true
        for symbol in symbols {
            let safe = symbol.filter { $0 != "\"" && $0 != "\\" }
            guard let i = book(symbol) else {
                answer(#""error":"Currency pair not supported \#(safe)","success":false,"symbol":"\#(safe)""#, nil)
                continue
            }
            let key = TopicKey(book: i, depth: channel == "trade" ? TopicKey.trades : TopicKey.ticker)
            if method == "unsubscribe" {
                _ = unsubscribe(client, key)
                answer(#""result":{"channel":"\#(channel)","symbol":"\#(safe)"},"success":true"#, nil)
                continue
            }
            _ = subscribe(client, key, depthLimited: false)
            client.heartbeats = true
            answer(#""result":{"channel":"\#(channel)","snapshot":\#(snapshot),"symbol":"\#(safe)"},"success":true"#, nil)
            guard snapshot else { continue }
            writer.reset()
            if channel == "trade" { krakenTrades(recentTrades[i] ?? [], book: i, type: "snapshot") } else { krakenTicker(book: i, type: "snapshot") }
            reply(client, writer.bytes)
        }
    }

    /// `trade`: the trades of one step, the taker's side, prices and sizes at the pair's precision.
    func krakenTrades(_ trades: [SimFill], book: Int, type: StaticString = "update") {
        let inst = books[book].instrument
        writer.raw(#"{"channel":"trade","type":""#)
        writer.raw(type)
        writer.raw(#"","data":["#)
        for (k, t) in trades.enumerated() {
            if k > 0 { writer.raw(",") }
            writer.raw(#"{"symbol":""#)
            writer.text(inst.symbol)
            writer.raw(t.takerSide == .buy ? #"","side":"buy","price":"# : #"","side":"sell","price":"#)
            writer.decimal(t.price.raw, scale: inst.priceScale)
            writer.raw(#","qty":"#)
            writer.decimal(t.quantity.raw, scale: inst.quantityScale)
            writer.raw(#","ord_type":"market","trade_id":"#)
            writer.int(t.tradeId)
            writer.raw(#","timestamp":""#)
            writer.isoTime(venueTime, digits: 6)
            writer.raw(#""}"#)
        }
        writer.raw("]}")
    }

    /// `ticker`: best bid and ask, last trade, and the session's volume, VWAP, low, high and change.
    func krakenTicker(book: Int, type: StaticString = "update") {
        let b = books[book]
        let inst = b.instrument
        let (p, q) = (inst.priceScale, inst.quantityScale)
        let st = b.tradeStats
        let (bid, ask) = b.top
        writer.raw(#"{"channel":"ticker","type":""#)
        writer.raw(type)
        writer.raw(#"","data":[{"symbol":""#)
        writer.text(inst.symbol)
        writer.raw(#"","bid":"#)
        writer.decimal(bid?.price.raw ?? 0, scale: p)
        writer.raw(#","bid_qty":"#)
        writer.decimal(bid?.quantity.raw ?? 0, scale: q)
        writer.raw(#","ask":"#)
        writer.decimal(ask?.price.raw ?? 0, scale: p)
        writer.raw(#","ask_qty":"#)
        writer.decimal(ask?.quantity.raw ?? 0, scale: q)
        writer.raw(#","last":"#)
        writer.decimal(st.last, scale: p)
        writer.raw(#","volume":"#)
        writer.decimal(st.volume, scale: q)
        writer.raw(#","vwap":"#)
        writer.decimal(st.volume > 0 ? st.turnover / st.volume : 0, scale: p)
        writer.raw(#","low":"#)
        writer.decimal(st.low, scale: p)
        writer.raw(#","high":"#)
        writer.decimal(st.high, scale: p)
        writer.raw(#","change":"#)
        writer.decimal(st.last - st.open, scale: p)
        writer.raw(#","change_pct":"#)
        writer.decimal(st.open > 0 ? (st.last - st.open) * 10_000 / st.open : 0, scale: 2)
        writer.raw("}]}")
    }

    /// The `status` message Kraken sends when a connection opens.
    func krakenStatus(_ client: SimClient) {
        reply(client, #"{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":\#(7_000_000_000 + client.id)}]}"#)
    }

    func krakenUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange]) { krakenMessage(topic, changes: changes) }

    func krakenMessage(_ topic: FeedTopic, changes: [SimLevelChange]?) {
        let book = books[topic.key.book]
        let (p, q) = (book.instrument.priceScale, book.instrument.quantityScale)
        func levels(_ pairs: [(Price, Quantity)]) {
            writer.raw("[")
            for (k, (price, quantity)) in pairs.enumerated() {
                if k > 0 { writer.raw(",") }
                writer.raw(#"{"price":"#)
                writer.decimal(price.raw, scale: p)
                writer.raw(#","qty":"#)
                writer.decimal(quantity.raw, scale: q)
                writer.raw("}")
            }
            writer.raw("]")
        }
        writer.raw(#"{"channel":"book","type":""#)
        writer.raw(changes == nil ? "snapshot" : "update")
        writer.raw(#"","data":[{"symbol":""#)
        writer.text(book.instrument.symbol)
        writer.raw(#"","bids":"#)
        if let changes {
            levels(changes.pairs(.buy))
            writer.raw(#","asks":"#)
            levels(changes.pairs(.sell))
        } else {
            let (b, a) = book.snapshot(depth: topic.key.depth)
            levels(b.pairs)
            writer.raw(#","asks":"#)
            levels(a.pairs)
        }
        writer.raw(#","checksum":"#)
        var checksum = Kraken.checksum(book.published, priceScale: p, quantityScale: q)
        if changes != nil && faults.take(.badChecksum, elapsed: elapsed) { checksum ^= 0x5A5A }
        writer.int(checksum)
        writer.raw(#","timestamp":""#)
        writer.isoTime(venueTime, digits: 6)
        writer.raw(#"""#)
        writer.raw("}]}")
    }
}
