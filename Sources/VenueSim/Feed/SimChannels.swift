import GantryCore

/// A channel: one instrument's book at one depth (0: full depth), or its trades (`TopicKey.trades`) or ticker
/// (`TopicKey.ticker`). Subscribers of the same channel see the same messages and sequence ids.
struct TopicKey: Hashable {
    var book: Int
    var depth: Int

    static let trades = -1
    static let ticker = -2
    var isBook: Bool { depth >= 0 }
}

/// What a channel's subscribers hold, and its sequence ids (properties `@exclusivity(unchecked)`, for the
/// reason given on `SimulatedBook`).
final class FeedTopic {
    let key: TopicKey
    /// The window of a depth-limited channel (nil: full depth, the book's changes are sent as they are).
    @exclusivity(unchecked)
    var view: DepthView?
    /// Bybit's per-topic `u`; OKX's last `seqId` sent.
    @exclusivity(unchecked)
    var sequence: UInt64 = 0
    @exclusivity(unchecked)
    var subscribers = 0
    /// A ticker channel's last best bid and ask (price, quantity each), to send only what moved.
    @exclusivity(unchecked)
    var lastTop: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)

    init(key: TopicKey, view: DepthView?) {
        self.key = key
        self.view = view
    }
}

/// Publishing to channels and delivering through the venue's faults.
extension SimVenue {
    /// Publishes a book's trades since the last call and, if its best bid or ask moved, its ticker.
    public func publishTrades(book: Int) {
        let trades = books[book].takeTrades()
        if !trades.isEmpty { recentTrades[book, default: []] = Array((recentTrades[book, default: []] + trades).suffix(50)) }
        guard book < topicsByBook.count else { return }
        for topic in topicsByBook[book] where topic.subscribers > 0 && !topic.key.isBook {
            if topic.key.depth == TopicKey.trades {
                guard !trades.isEmpty else { continue }
                for client in clients where client.open && !client.gone && client.topics.contains(topic.key) {
                    writer.reset()
                    switch kind {
                    case .binance: for (k, t) in trades.enumerated() {
                        if k > 0 { send(client, writer.bytes); writer.reset() }
                        binanceTrade(t, book: book, client)
                    }
                    case .coinbase: coinbaseTrades(trades, book: book, client)
                    case .okx: for (k, t) in trades.enumerated() {
                        if k > 0 { send(client, writer.bytes); writer.reset() }
                        okxTrade(t, book: book)
                    }
                    case .kraken: krakenTrades(trades, book: book)
                    case .bybit: bybitTrades(trades, book: book)
                    }
                    send(client, writer.bytes)
                }
            } else {
                guard let bid = books[book].published.bids.best, let ask = books[book].published.asks.best else { continue }
                let top = (bid.price.raw, bid.quantity.raw, ask.price.raw, ask.quantity.raw)
                guard top != topic.lastTop || (kind != .binance && !trades.isEmpty) else { continue }
                topic.lastTop = top
                for client in clients where client.open && !client.gone && client.topics.contains(topic.key) {
                    writer.reset()
                    switch kind {
                    case .binance: binanceBookTicker(book: book, client)
                    case .coinbase: coinbaseTicker(book: book, client)
                    case .okx: okxTicker(book: book)
                    case .kraken: krakenTicker(book: book)
                    case .bybit: bybitTicker(book: book)
                    }
                    send(client, writer.bytes)
                }
            }
        }
    }

    /// Reports the fills the market's last step made against clients' resting orders.
    public func marketFills(book: Int) {
        switch kind {
        case .binance where !binance.orders.isEmpty: binanceMarketFills(book: book)
        case .coinbase where !coinbase.orders.isEmpty: coinbaseMarketFills(book: book)
        case .bybit where !bybit.orders.isEmpty: bybitMarketFills(book: book)
        case .okx where !okx.orders.isEmpty: okxMarketFills(book: book)
        case .kraken where !kraken.orders.isEmpty: krakenMarketFills(book: book)
        default: _ = books[book].takeClientFills()
        }
    }

    /// Publishes one book's changes to the subscribers of its channels.
    public func publish(book: Int, changes: [SimLevelChange]) {
        guard !changes.isEmpty else { return }
        guard book < topicsByBook.count else { return }
        for topic in topicsByBook[book] where topic.subscribers > 0 && topic.key.isBook {
            let visible = topic.view == nil ? changes : topic.view!.update(from: books[book], changes: changes)
            guard !visible.isEmpty else { continue }
            var shared: [UInt8]? = nil
            for client in clients where client.open && !client.gone && client.topics.contains(topic.key) {
                if shared == nil || kind == .coinbase { shared = renderUpdate(topic, visible, client) }
                deliver(client, topic.key, shared!)
            }
            advance(topic)
        }
    }

    /// Sends a book update of channel `key` to one client through the venue's faults.
    func deliver(_ client: SimClient, _ key: TopicKey, _ message: [UInt8]) {
        if faults.isQuiet && latency == .zero && client.held.isEmpty && client.delayed.isEmpty {
            transmit(client, message)
            return
        }
        let e = elapsed
        if faults.active(.stale, elapsed: e) != nil {
            faults.count(.stale)
            return
        }
        if faults.silences(book: key.book, elapsed: e) {
            faults.count(.silentBook)
            return
        }
        if faults.take(.gap, elapsed: e) { return }
        var out = [message]
        if faults.take(.duplicate, elapsed: e) { out.append(message) }
        if let held = client.held.removeValue(forKey: key) {
            out.append(held)
        } else if faults.take(.reorder, elapsed: e) {
            client.held[key] = message
            out.removeFirst()
        }
        for m in out { send(client, m) }
    }

    /// Sends now, or later under the venue's latency and a latency fault (keeping the order of messages).
    /// `book`: a market-data message (counted in `stats.bookMessages`), else a reply or user-stream message.
    func send(_ client: SimClient, _ message: [UInt8], book: Bool = true) {
        var late = latency
        if let spike = faults.active(.latency, elapsed: elapsed) {
            faults.count(.latency)
            late = late + .milliseconds(Int64(spike.milliseconds))
        }
        if late > .zero {
            client.delayed.append((now + late, message, book))
            return
        }
        if !client.delayed.isEmpty {
            client.delayed.append((now, message, book))
            return
        }
        transmit(client, message, book: book)
    }

    func transmit(_ client: SimClient, _ message: [UInt8], book: Bool = true) {
        client.send(message)
        if book {
            stats.bookMessages += 1
            stats.bytes += message.count
        }
        recorder?(SimRecord(venue: name, client: client.id, received: false, time: now, bytes: message))
    }

    func sendDue(_ client: SimClient) -> Int {
        var n = 0
        while let first = client.delayed.first, first.due <= now {
            transmit(client, first.bytes, book: first.book)
            client.delayed.removeFirst()
            n += 1
        }
        if !client.late.isEmpty {
            for m in client.late where m.due <= now {
                transmit(client, m.bytes, book: false)
                n += 1
            }
            client.late.removeAll { $0.due <= now }
        }
        return n
    }

    /// Sends a control message (a reply, a snapshot, a heartbeat): not subject to message faults.
    func reply(_ client: SimClient, _ text: String) { reply(client, Array(text.utf8)) }

    func reply(_ client: SimClient, _ bytes: [UInt8]) {
        client.send(bytes)
        recorder?(SimRecord(venue: name, client: client.id, received: false, time: now, bytes: bytes))
    }

    // MARK: - Channels

    /// Subscribes `client` to a book channel: the topic is made if new.
    func subscribe(_ client: SimClient, _ key: TopicKey, depthLimited: Bool) -> FeedTopic {
        let topic: FeedTopic
        if let t = topics[key] {
            topic = t
        } else {
            var view: DepthView? = nil
            if depthLimited {
                view = DepthView(depth: key.depth, deletesPushedOut: kind != .kraken)
                view!.reset(to: books[key.book])
            }
            topic = FeedTopic(key: key, view: view)
            topic.sequence = books[key.book].updateId
            topics[key] = topic
        }
        if !client.topics.contains(key) {
            client.topics.append(key)
            topic.subscribers += 1
        }
        return topic
    }

    func unsubscribe(_ client: SimClient, _ key: TopicKey) -> Bool {
        guard let i = client.topics.firstIndex(of: key) else { return false }
        client.topics.remove(at: i)
        unsubscribed(key)
        return true
    }

    func unsubscribed(_ key: TopicKey) {
        guard let t = topics[key] else { return }
        t.subscribers -= 1
        if t.subscribers <= 0 { topics[key] = nil }
    }
}
