import Foundation
import GantryCore
import GantryNet

/// The venue protocols the simulator speaks.
public enum SimProtocol: String, CaseIterable, Sendable, Codable {
    case binance, coinbase, kraken, okx, bybit
}

/// A channel: one instrument's book at one depth (0: full depth), or its trades (`TopicKey.trades`) or ticker
/// (`TopicKey.ticker`). Subscribers of the same channel see the same messages and sequence ids.
struct TopicKey: Hashable {
    var book: Int
    var depth: Int

    static let trades = -1
    static let ticker = -2
    var isBook: Bool { depth >= 0 }
}

/// What a channel's subscribers hold, and its sequence ids.
final class FeedTopic {
    let key: TopicKey
    /// The window of a depth-limited channel (nil: full depth, the book's changes are sent as they are).
    var view: DepthView?
    /// Bybit's per-topic `u`; OKX's last `seqId` sent.
    var sequence: UInt64 = 0
    var subscribers = 0
    /// A ticker channel's last best bid and ask (price, quantity each), to send only what moved.
    var lastTop: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)

    init(key: TopicKey, view: DepthView?) {
        self.key = key
        self.view = view
    }
}

/// A WebSocket client of a simulated venue (a class: a venue holds several; the connection is non-copyable).
final class SimClient {
    var ws: WebSocketConnection
    let id: Int
    var open = false
    var gone = false
    var topics: [TopicKey] = []
    /// Binance: the combined stream (`/stream`, wrapped in `{"stream":…,"data":…}`) or a raw one (`/ws`).
    var combined = true
    /// Binance: the stream names subscribed, as the client wrote them, and the name of each book channel.
    var streams: [String] = []
    var streamNames: [TopicKey: String] = [:]
    /// Binance: a WebSocket API connection (`/ws-api/v3`) rather than a market stream.
    var wsAPI = false
    /// Coinbase: the connection's `sequence_num`, one per message sent.
    var sequence: Int64 = 0
    /// Coinbase `heartbeats`, Kraken's heartbeat: sent once a second.
    var heartbeats = false
    var lastHeartbeat = Nanos.zero
    var heartbeatCounter: Int64 = 0
    /// Messages kept back by a reorder fault, each sent after the next message of the same channel.
    var held: [TopicKey: [UInt8]] = [:]
    /// Messages delayed by a latency fault, with when they are due.
    var delayed: [(due: Nanos, bytes: [UInt8])] = []

    init(ws: consuming WebSocketConnection, id: Int) {
        self.ws = ws
        self.id = id
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { ws.send(.text, $0, flush: false) }
    }
}

/// A listening socket a class can hold as an optional (the socket itself is non-copyable).
final class SimListener {
    let listener: TCPListener
    init(_ listener: consuming TCPListener) { self.listener = listener }
}

/// One WebSocket message a venue sent or received, for a recording.
public struct SimRecord: Sendable {
    public var venue: String
    public var client: Int
    /// Received from the client (a request), or sent to it.
    public var received: Bool
    /// Monotonic time of the poll that handled it.
    public var time: Nanos
    public var bytes: [UInt8]

    /// One line of a recording: `time<TAB>venue<TAB>client<TAB>in|out<TAB>message` (line breaks in the
    /// message escaped as \n).
    public var line: String {
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n")
        return "\(time.raw)\t\(venue)\t\(client)\t\(received ? "in" : "out")\t\(text)"
    }
}

/// What a venue did, for tests, the demo's summary and the benchmark.
public struct SimVenueStats: Sendable, Equatable {
    public var connections = 0
    public var disconnects = 0
    public var bookMessages = 0
    public var bytes = 0
    public var requests = 0
    public var restRequests = 0
    public var rejectedRequests = 0
    /// Clients dropped for reading too slowly.
    public var slowConsumers = 0
}

/// Binance's request weight, counted per minute (the `X-MBX-USED-WEIGHT-1M` header).
struct WeightCounter {
    var minute: Int64 = -1
    var used = 0

    mutating func add(_ weight: Int, atMilliseconds ms: Int64) -> Int {
        if ms / 60_000 != minute {
            minute = ms / 60_000
            used = 0
        }
        used += weight
        return used
    }
}

/// One simulated venue: a WebSocket endpoint for market data in the venue's own protocol, and (Binance) a
/// REST endpoint for snapshots, each on a loopback port; its books; its faults. Driven by `poll` and
/// `publish` from the simulator's thread.
public final class SimVenue {
    public let name: String
    public let kind: SimProtocol
    public let books: [SimulatedBook]
    public var faults: SimFaultState
    public internal(set) var stats = SimVenueStats()
    let listener: TCPListener
    let restListener: SimListener?
    let tls: TLSContext?
    var clients: [SimClient] = []
    var rest: [SimHTTPConnection] = []
    var topics: [TopicKey: FeedTopic] = [:] {
        didSet { topicsByBook = books.indices.map { b in topics.values.filter { $0.key.book == b } } }
    }
    /// The same topics by book, for the per-step publish (no hash table on that path).
    var topicsByBook: [[FeedTopic]] = []
    var writer = SimWriter()
    var weight = WeightCounter()
    /// Added to every market-data message (a venue far away).
    public var latency = Nanos.zero
    /// Binance's REQUEST_WEIGHT limit per minute: a request beyond it is answered 429 (-1003).
    public var weightPerMinute = 6_000
    /// The venue's identifiers (order ids, tokens, message ids) come from this generator, seeded from the
    /// venue's name, so that a session replays with the same ids.
    var ids: SimRandom

    /// A UUID (version 4 form) from the venue's generator.
    func uuid() -> String {
        let a = ids.next()
        let b = ids.next()
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let h = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - h.count)) + h.suffix(digits)
        }
        return "\(hex(a >> 32, 8))-\(hex(a >> 16 & 0xFFFF, 4))-4\(hex(a & 0xFFF, 3))-\(hex(8 | (b >> 62), 1))\(hex(b >> 48 & 0xFFF, 3))-\(hex(b & 0xFFFF_FFFF_FFFF, 12))"
    }

    /// `count` characters drawn from `alphabet` by the venue's generator.
    func randomText(_ count: Int, from alphabet: String) -> String {
        let letters = Array(alphabet)
        return String((0..<count).map { _ in letters[ids.below(letters.count)] })
    }

    /// REST requests per second beyond which each venue's rate-limit answer is given (0: no limit).
    public var requestsPerSecond = 0
    var requestSecond: Int64 = 0
    var requestsThisSecond = 0
    /// Binance: accounts, orders and user data streams.
    public var binance = BinanceVenueState()
    /// Coinbase: CDP keys, orders and user channel subscriptions.
    public var coinbase = CoinbaseVenueState()
    /// Bybit: API keys, orders and private stream subscriptions.
    public var bybit = BybitVenueState()
    /// OKX: API keys, orders and private stream logins.
    public var okx = OKXVenueState()
    /// Kraken: API keys and nonces, orders, WebSocket tokens and `executions` subscribers.
    public var kraken = KrakenVenueState()
    var nextClient = 1
    /// When the venue started (monotonic): fault windows count from here.
    public let started: Nanos
    var now: Nanos
    /// Every message sent and received, when the simulator records (`VenueSimulator.record`).
    var recorder: ((SimRecord) -> Void)? = nil

    /// - Parameters:
    ///   - wsPort, restPort: Loopback ports (0: any free port); no REST endpoint when `restPort` is nil.
    ///   - tls: A server context to serve wss:// (nil: ws://).
    public init(
        name: String, kind: SimProtocol, books: [SimulatedBook], host: String = "127.0.0.1", wsPort: Int = 0, restPort: Int? = 0,
        tls: TLSContext? = nil, faults: SimFaultState = SimFaultState(), now: Nanos = MonotonicClock.now()
    ) throws {
        precondition(!books.isEmpty, "a venue lists at least one instrument")
        self.name = name
        self.kind = kind
        self.books = books
        self.faults = faults
        self.tls = tls
        listener = try TCPListener(host: host, port: wsPort)
        restListener = try restPort.map { port throws in SimListener(try TCPListener(host: host, port: port)) }
        started = now
        self.now = now
        var seed: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { seed = (seed ^ UInt64(b)) &* 0x100_0000_01B3 }
        ids = SimRandom(seed: seed)
    }

    /// The WebSocket port.
    public var port: Int { listener.port }
    /// The REST port, if the venue has one.
    public var restPort: Int? { restListener?.listener.port }
    /// Connected WebSocket clients.
    public var clientCount: Int { clients.filter { $0.open && !$0.gone }.count }
    /// Subscriptions across all clients.
    public var subscriptionCount: Int { clients.reduce(0) { $0 + $1.topics.count } }

    /// Time since the venue started, for its fault windows (as of the last poll).
    var elapsed: Nanos { now - started }

    /// Time since the venue started, now: where a fault window that starts at once begins.
    public var elapsedNow: Nanos { MonotonicClock.now() - started }

    /// The venue's wall clock in milliseconds (with a clock-skew fault, off by its amount).
    var venueMilliseconds: Int64 { venueTime.raw / 1_000_000 }

    var venueTime: Nanos {
        let skew = faults.active(.clockSkew, elapsed: elapsed)?.milliseconds ?? 0
        return WallClock.now() + .milliseconds(Int64(skew))
    }

    /// The index of the book whose symbol is `symbol` (case-sensitive), if any.
    func book(_ symbol: String) -> Int? { books.firstIndex { $0.instrument.symbol == symbol } }

    // MARK: - I/O

    /// Accepts connections, reads requests and answers them, sends what is due.
    /// - Returns: How much work was done.
    public func poll(now: Nanos) -> Int {
        self.now = now
        var work = 0
        if faults.disconnectDue(elapsed: elapsed) {
            stats.disconnects += clients.count + rest.count
            clients.removeAll()
            rest.removeAll()
            for t in topics.values { t.subscribers = 0 }
            topics.removeAll()
            binance.streams.removeAll()
            coinbase.users.removeAll()
            bybit.authenticated.removeAll()
            bybit.topics.removeAll()
            okx.loggedIn.removeAll()
            okx.subscribed.removeAll()
            kraken.executions.removeAll()
            work += 1
        }
        while let socket = try? listener.accept() {
            guard let ws = try? WebSocketConnection(accepted: socket, tls: tls) else { continue }
            clients.append(SimClient(ws: ws, id: nextClient))
            nextClient += 1
            stats.connections += 1
            work += 1
        }
        if let restListener {
            while let socket = try? restListener.listener.accept() {
                rest.append(SimHTTPConnection(socket))
                work += 1
            }
        }
        // A stale venue is frozen: it accepts connections but reads, answers (not even pings) and sends nothing.
        if faults.active(.stale, elapsed: elapsed) != nil { return work }
        for client in clients where !client.gone {
            var texts: [[UInt8]] = []
            var opened = false
            work += client.ws.poll { event in
                switch event {
                case .open: opened = true
                case .message(_, let payload, _): texts.append(Array(payload))
                case .closed: client.gone = true
                default: break
                }
            }
            if opened {
                client.open = true
                connected(client)
            }
            for t in texts {
                stats.requests += 1
                recorder?(SimRecord(venue: name, client: client.id, received: true, time: now, bytes: t))
                request(client, t)
            }
            work += sendDue(client)
            work += heartbeat(client)
            work += client.ws.flush()
            if client.ws.pendingSend > slowConsumerLimit {
                client.gone = true
                stats.slowConsumers += 1
            }
        }
        if clients.contains(where: { $0.gone }) {
            for client in clients where client.gone {
                for key in client.topics { unsubscribed(key) }
            coinbase.users.removeAll { $0.client == client.id }
            binance.streams.removeAll { $0.client == client.id }
            bybit.authenticated[client.id] = nil
            bybit.topics[client.id] = nil
            okx.loggedIn[client.id] = nil
            okx.subscribed.remove(client.id)
            kraken.executions[client.id] = nil
            }
            clients.removeAll { $0.gone }
        }
        for connection in rest {
            work += connection.poll { request in
                let response = self.restRequest(request)
                if let recorder = self.recorder {
                    // REST in the recording: the request line and body in, the status and body out (client -1).
                    let target = request.path + (request.query.isEmpty ? "" : "?" + request.query)
                    recorder(SimRecord(venue: self.name, client: -1, received: true, time: self.now, bytes: Array("\(request.method) \(target) ".utf8) + request.body))
                    if let response { recorder(SimRecord(venue: self.name, client: -1, received: false, time: self.now, bytes: Array("\(response.status) ".utf8) + response.body)) }
                }
                return response
            }
        }
        rest.removeAll { $0.closed }
        return work
    }

    /// The most bytes any client has waiting to be sent.
    public var backlog: Int { clients.reduce(0) { max($0, $1.gone ? 0 : $1.ws.pendingSend) } }

    /// A client that lets more than this wait unsent is dropped, as venues drop slow consumers.
    public var slowConsumerLimit = 64 << 20

    /// Sends what the clients' connections hold. - Returns: how much was sent.
    public func flush() -> Int {
        if faults.active(.stale, elapsed: elapsed) != nil { return 0 }
        var work = 0
        for client in clients where !client.gone { work += client.ws.flush() }
        return work
    }

    /// The last trades of each book (Coinbase's `market_trades` snapshot).
    var recentTrades: [Int: [SimFill]] = [:]

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

    /// Sends now, or later under a latency fault (keeping the order of messages).
    func send(_ client: SimClient, _ message: [UInt8]) {
        var late = latency
        if let spike = faults.active(.latency, elapsed: elapsed) {
            faults.count(.latency)
            late = late + .milliseconds(Int64(spike.milliseconds))
        }
        if late > .zero {
            client.delayed.append((now + late, message))
            return
        }
        if !client.delayed.isEmpty {
            client.delayed.append((now, message))
            return
        }
        transmit(client, message)
    }

    func transmit(_ client: SimClient, _ message: [UInt8]) {
        client.send(message)
        stats.bookMessages += 1
        stats.bytes += message.count
        recorder?(SimRecord(venue: name, client: client.id, received: false, time: now, bytes: message))
    }

    func sendDue(_ client: SimClient) -> Int {
        var n = 0
        while let first = client.delayed.first, first.due <= now {
            transmit(client, first.bytes)
            client.delayed.removeFirst()
            n += 1
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

    // MARK: - Dialects

    /// A client's WebSocket connection opened (Binance subscribes streams named in the URL).
    func connected(_ client: SimClient) {
        switch kind {
        case .binance: binanceConnected(client)
        case .kraken: krakenStatus(client)
        default: break
        }
    }

    /// A text message from a client.
    func request(_ client: SimClient, _ text: [UInt8]) {
        switch kind {
        case .binance: binanceRequest(client, text)
        case .bybit: bybitRequest(client, text)
        case .okx: okxRequest(client, text)
        case .kraken: krakenRequest(client, text)
        case .coinbase: coinbaseRequest(client, text)
        }
    }

    func renderUpdate(_ topic: FeedTopic, _ changes: [SimLevelChange], _ client: SimClient) -> [UInt8] {
        writer.reset()
        switch kind {
        case .binance: binanceUpdate(topic, changes, client)
        case .bybit: bybitUpdate(topic, changes)
        case .okx: okxUpdate(topic, changes)
        case .kraken: krakenUpdate(topic, changes)
        case .coinbase: coinbaseUpdate(topic, changes, client)
        }
        return writer.bytes
    }

    /// A topic's sequence after an update was rendered for it.
    func advance(_ topic: FeedTopic) {
        switch kind {
        case .bybit: topic.sequence += 1
        case .okx: topic.sequence = books[topic.key.book].updateId
        default: break
        }
    }

    func heartbeat(_ client: SimClient) -> Int {
        guard client.heartbeats, client.open, now - client.lastHeartbeat >= .seconds(1),
            faults.active(.stale, elapsed: elapsed) == nil
        else { return 0 }
        client.lastHeartbeat = now
        client.heartbeatCounter += 1
        switch kind {
        case .kraken: reply(client, #"{"channel":"heartbeat"}"#)
        case .coinbase: coinbaseHeartbeat(client)
        default: return 0
        }
        return 1
    }

    /// An account's balance of each asset its books trade (each asset once, from the first book that trades
    /// it, since balances are kept per book): the asset, free and locked, and the scale they are at.
    func balances(_ account: Int) -> [(asset: String, free: Int64, locked: Int64, scale: Int)] {
        var out: [(asset: String, free: Int64, locked: Int64, scale: Int)] = []
        for b in books {
            let inst = b.instrument
            for (asset, which, scale) in [(inst.baseAsset, Ledger.Asset.base, inst.quantityScale), (inst.quoteAsset, .quote, inst.priceScale + inst.quantityScale)]
            where !out.contains(where: { $0.asset == asset }) {
                let bal = b.engine.ledger.balance(account, which)
                out.append((asset, bal.free, bal.locked, scale))
            }
        }
        return out
    }

    /// The venue's answer to a client over its request rate.
    func rateLimited() -> SimHTTPResponse {
        switch kind {
        case .binance:
            SimHTTPResponse(
                status: 429,
                json: #"{"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API."}"#,
                headers: [("Retry-After", "1")])
        case .bybit: bybitEnvelope(10006, "Too many visits!")
        case .okx:
            SimHTTPResponse(status: 429, json: #"{"code":"50011","msg":"Rate limit reached. Please refer to API documentation and throttle requests accordingly.","data":[]}"#)
        case .kraken: krakenAnswer(errors: ["EAPI:Rate limit exceeded"])
        case .coinbase: SimHTTPResponse(status: 429, json: #"{"error":"RATE_LIMIT_EXCEEDED","code":8,"message":"Too many requests","details":[]}"#)
        }
    }

    /// A REST request: faults first (429, 5xx, a refused request is still counted), then the venue's API.
    func restRequest(_ request: SimHTTPRequest) -> SimHTTPResponse? {
        stats.restRequests += 1
        let second = now.raw / 1_000_000_000
        if second != requestSecond {
            requestSecond = second
            requestsThisSecond = 0
        }
        requestsThisSecond += 1
        if faults.take(.http429, elapsed: elapsed) || (requestsPerSecond > 0 && requestsThisSecond > requestsPerSecond) {
            stats.rejectedRequests += 1
            return rateLimited()
        }
        if faults.take(.http5xx, elapsed: elapsed) {
            stats.rejectedRequests += 1
            return SimHTTPResponse(status: 503, json: kind == .binance ? #"{"code":-1008,"msg":"Service Unavailable."}"# : #"{"error":"Service Unavailable"}"#)
        }
        switch kind {
        case .binance: return binanceREST(request)
        case .coinbase: return coinbaseREST(request)
        case .bybit: return bybitREST(request)
        case .okx: return okxREST(request)
        case .kraken: return krakenREST(request)
        }
    }
}
