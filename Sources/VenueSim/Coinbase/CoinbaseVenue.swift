import Foundation
import GantryCore

// Coinbase Advanced Trade market data WebSocket, as documented: `{"type":"subscribe"|"unsubscribe",
// "product_ids":[…],"channel":"level2"|"heartbeats"}`; every message carries the connection's `sequence_num`
// (one per message, from 0); `level2` is answered with an `l2_data` `snapshot` event of the whole book, then
// `update` events with `updates[]` of `{"side":"bid"|"offer","event_time":…,"price_level":…,"new_quantity":…}`
// (absolute sizes, "0" deletes), and a `subscriptions` message listing what the connection holds;
// `heartbeats` sends a counter each second; errors are `{"type":"error","message":…}`.
extension SimVenue {
    func coinbaseRequest(_ client: SimClient, _ text: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], let type = object["type"] as? String,
            type == "subscribe" || type == "unsubscribe"
        else {
            reply(client, #"{"type":"error","message":"Failed to parse message: unknown message type"}"#)
            return
        }
        let channel = object["channel"] as? String ?? ""
        switch channel {
        case "user":
            if type == "subscribe" { coinbaseUserSubscribe(client, object) } else { coinbase.users.removeAll { $0.client == client.id } }
            return
        case "heartbeats":
            client.heartbeats = type == "subscribe"
        case "market_trades", "ticker":
            let products = (object["product_ids"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !products.isEmpty, products.allSatisfy({ book($0) != nil }) else {
                reply(client, #"{"type":"error","message":"Failed to subscribe: product_ids must name valid products"}"#)
                return
            }
            for product in products {
                let i = book(product)!
                let key = TopicKey(book: i, depth: channel == "ticker" ? TopicKey.ticker : TopicKey.trades)
                if type == "unsubscribe" {
                    _ = unsubscribe(client, key)
                } else if !client.topics.contains(key) {
                    _ = subscribe(client, key, depthLimited: false)
                    // A snapshot first: the last trades, or the ticker as it stands.
                    writer.reset()
                    if key.depth == TopicKey.trades { coinbaseTrades(recentTrades[i] ?? [], book: i, client, type: "snapshot") } else { coinbaseTicker(book: i, client, type: "snapshot") }
                    reply(client, writer.bytes)
                }
            }
        case "level2", "l2_data":
            let products = (object["product_ids"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !products.isEmpty else {
                reply(client, #"{"type":"error","message":"Failed to subscribe: at least one product_id is required for channel level2"}"#)
                return
            }
            var keys: [TopicKey] = []
            for product in products {
                guard let i = book(product) else {
                    let safe = product.filter { $0 != "\"" && $0 != "\\" }
                    reply(client, #"{"type":"error","message":"Failed to subscribe: \#(safe) is not a valid product"}"#)
                    return
                }
                keys.append(TopicKey(book: i, depth: 0))
            }
            for key in keys {
                if type == "unsubscribe" {
                    _ = unsubscribe(client, key)
                    continue
                }
                let topic = subscribe(client, key, depthLimited: false)
                writer.reset()
                coinbaseEnvelope(client, channel: "l2_data")
                coinbaseBookEvent(topic, changes: nil)
                writer.raw("]}")
                reply(client, writer.bytes)
            }
        default:
            // What Coinbase answers for a channel it does not serve without credentials.
            reply(client, #"{"type":"error","message":"authentication failure"}"#)
            return
        }
        // The channels the connection holds (empty ones left out).
        writer.reset()
        coinbaseEnvelope(client, channel: "subscriptions", clientId: false)
        var held: [String] = []
        if !client.topics.isEmpty {
            for (name, depth) in [("level2", 0), ("market_trades", TopicKey.trades), ("ticker", TopicKey.ticker)] {
                let products = client.topics.filter { $0.depth == depth }.map { #""\#(books[$0.book].instrument.symbol)""# }
                if !products.isEmpty { held.append(#""\#(name)":[\#(products.joined(separator: ","))]"#) }
            }
        }
        if client.heartbeats { held.append(#""heartbeats":["heartbeats"]"#) }
        writer.text(#"{"subscriptions":{\#(held.joined(separator: ","))}}]}"#)
        reply(client, writer.bytes)
    }

    /// `{"channel":…,"client_id":"","timestamp":…,"sequence_num":…,"events":[` with the connection's next
    /// sequence number.
    func coinbaseEnvelope(_ client: SimClient, channel: StaticString, clientId: Bool = true) {
        writer.raw(#"{"channel":""#)
        writer.raw(channel)
        writer.raw(clientId ? #"","client_id":"","timestamp":""# : #"","timestamp":""#)
        writer.isoTime(venueTime)
        writer.raw(#"","sequence_num":"#)
        writer.int(client.sequence)
        client.sequence += 1
        writer.raw(#","events":["#)
    }

    func coinbaseUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange], _ client: SimClient) {
        coinbaseEnvelope(client, channel: "l2_data")
        coinbaseBookEvent(topic, changes: changes)
        writer.raw("]}")
    }

    /// One `snapshot` (changes nil: the whole book) or `update` event.
    func coinbaseBookEvent(_ topic: FeedTopic, changes: [SimLevelChange]?) {
        let book = books[topic.key.book]
        let (p, q) = (book.instrument.priceScale, book.instrument.quantityScale)
        writer.raw(#"{"type":""#)
        writer.raw(changes == nil ? "snapshot" : "update")
        writer.raw(#"","product_id":""#)
        writer.text(book.instrument.symbol)
        writer.raw(#"","updates":["#)
        var first = true
        func level(_ side: Side, _ price: Price, _ quantity: Quantity) {
            if !first { writer.raw(",") }
            first = false
            writer.raw(side == .buy ? #"{"side":"bid","event_time":""# : #"{"side":"offer","event_time":""#)
            writer.isoTime(venueTime, digits: 6)
            writer.raw(#"","price_level":""#)
            writer.decimal(price.raw, scale: p, trim: true)
            writer.raw(#"","new_quantity":""#)
            writer.decimal(quantity.raw, scale: q, trim: true)
            writer.raw(#""}"#)
        }
        if let changes {
            for c in changes { level(c.side, c.price, c.quantity) }
        } else {
            let (b, a) = book.snapshot(depth: .max)
            for l in b { level(.buy, l.price, l.quantity) }
            for l in a { level(.sell, l.price, l.quantity) }
        }
        writer.raw("]}")
    }

    /// `market_trades`: trades with their taker's side.
    func coinbaseTrades(_ trades: [SimFill], book: Int, _ client: SimClient, type: StaticString = "update") {
        let inst = books[book].instrument
        coinbaseEnvelope(client, channel: "market_trades")
        writer.raw(#"{"type":""#)
        writer.raw(type)
        writer.raw(#"","trades":["#)
        for (k, t) in trades.enumerated() {
            if k > 0 { writer.raw(",") }
            writer.raw(#"{"trade_id":""#)
            writer.int(t.tradeId)
            writer.raw(#"","product_id":""#)
            writer.text(inst.symbol)
            writer.raw(#"","price":""#)
            writer.decimal(t.price.raw, scale: inst.priceScale, trim: true)
            writer.raw(#"","size":""#)
            writer.decimal(t.quantity.raw, scale: inst.quantityScale, trim: true)
            writer.raw(t.takerSide == .buy ? #"","side":"BUY","time":""# : #"","side":"SELL","time":""#)
            writer.isoTime(venueTime, digits: 6)
            writer.raw(#""}"#)
        }
        writer.raw("]}]}")
    }

    /// `ticker`: the last trade's price and the best bid and ask.
    func coinbaseTicker(book: Int, _ client: SimClient, type: StaticString = "update") {
        let b = books[book]
        let inst = b.instrument
        let last = recentTrades[book]?.last?.price.raw ?? 0
        let (bid, ask) = b.top
        coinbaseEnvelope(client, channel: "ticker")
        writer.raw(#"{"type":""#)
        writer.raw(type)
        writer.raw(#"","tickers":[{"type":"ticker","product_id":""#)
        writer.text(inst.symbol)
        writer.raw(#"","price":""#)
        writer.decimal(last, scale: inst.priceScale, trim: true)
        writer.raw(#"","best_bid":""#)
        writer.decimal(bid?.price.raw ?? 0, scale: inst.priceScale, trim: true)
        writer.raw(#"","best_bid_quantity":""#)
        writer.decimal(bid?.quantity.raw ?? 0, scale: inst.quantityScale, trim: true)
        writer.raw(#"","best_ask":""#)
        writer.decimal(ask?.price.raw ?? 0, scale: inst.priceScale, trim: true)
        writer.raw(#"","best_ask_quantity":""#)
        writer.decimal(ask?.quantity.raw ?? 0, scale: inst.quantityScale, trim: true)
        writer.raw(#""}]}]}"#)
    }

    func coinbaseHeartbeat(_ client: SimClient) {
        writer.reset()
        coinbaseEnvelope(client, channel: "heartbeats", clientId: false)
        // Go's time format, as Coinbase sends it: "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105".
        let iso = venueTime
        writer.raw(#"{"current_time":""#)
        let start = writer.bytes.count
        writer.isoTime(iso)
        writer.bytes[start + 10] = 0x20  // "T" → " "
        writer.bytes.removeLast()  // "Z"
        let uptime = now - started
        writer.raw(" +0000 UTC m=+")
        writer.int(uptime.raw / 1_000_000_000)
        writer.raw(".")
        writer.digits(uptime.raw % 1_000_000_000, count: 9)
        writer.raw(#"","heartbeat_counter":"#)
        writer.int(uptime.raw / 1_000_000_000)
        writer.raw("}]}")
        reply(client, writer.bytes)
    }
}
