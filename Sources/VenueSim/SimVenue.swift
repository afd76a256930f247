import Foundation
import GantryCore
import GantryNet

/// The venue protocols the simulator speaks.
public enum SimProtocol: String, CaseIterable, Sendable, Codable {
    case binance, coinbase, kraken, okx, bybit
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
    /// Dead-man's switch requests taken (Kraken `cancel_all_orders_after`, OKX `cancel-all-after`), and timers that
    /// ran out and cancelled the account's orders.
    public var cancelAfterRequests = 0
    public var cancelAfterFired = 0
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
///
/// The per-message properties are `@exclusivity(unchecked)`, for the reason given on `SimulatedBook`.
public final class SimVenue {
    public let name: String
    public let kind: SimProtocol
    public let books: [SimulatedBook]
    /// The slippage a `slippage` fault window set on the books (hundredths of a basis point).
    var scriptedSlippage: Int64 = 0
    /// Every account's balance of every asset the venue trades, shared by its books (see `SimLedger` for the
    /// scale of each asset).
    public let ledger: SimLedger
    @exclusivity(unchecked)
    public var faults: SimFaultState
    @exclusivity(unchecked)
    public internal(set) var stats = SimVenueStats()
    let listener: TCPListener
    let restListener: SimListener?
    let tls: TLSContext?
    @exclusivity(unchecked)
    var clients: [SimClient] = []
    var rest: [SimHTTPConnection] = []
    var topics: [TopicKey: FeedTopic] = [:] {
        didSet { topicsByBook = books.indices.map { b in topics.values.filter { $0.key.book == b } } }
    }
    /// The same topics by book, for the per-step publish (no hash table on that path).
    @exclusivity(unchecked)
    var topicsByBook: [[FeedTopic]] = []
    @exclusivity(unchecked)
    var writer = SimWriter()
    /// The last trades of each book (Coinbase's `market_trades` snapshot).
    @exclusivity(unchecked)
    var recentTrades: [Int: [SimFill]] = [:]
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
        // Hex.encode keeps the low digits: the masks are implicit.
        return "\(Hex.encode(a >> 32, digits: 8))-\(Hex.encode(a >> 16, digits: 4))-4\(Hex.encode(a, digits: 3))-"
            + "\(Hex.encode(8 | (b >> 62), digits: 1))\(Hex.encode(b >> 48, digits: 3))-\(Hex.encode(b, digits: 12))"
    }

    /// `count` characters drawn from `alphabet` by the venue's generator.
    func randomText(_ count: Int, from alphabet: String) -> String {
        let letters = Array(alphabet)
        return String((0..<count).map { _ in letters[ids.below(letters.count)] })
    }

    /// REST requests per second beyond which each venue's rate-limit answer is given (0: no limit).
    public var requestsPerSecond = 0
    /// WebSocket order placements per connection per `wsOrderWindow` beyond which the venue's rate-limit answer
    /// is given (0: no limit). Defaults are the venues' documented order limits: Binance 50 per 10 s, OKX 60 per
    /// 2 s, Bybit 20 per second; Kraken none (its rate counter is not modelled).
    public var wsOrderLimit: Int
    public var wsOrderWindow: Nanos
    /// How late a one-shot late-fill fault holds an order's user-stream reports.
    public var lateFillDelay = Nanos.milliseconds(300)
    /// While an order runs under a late-fill fault: when its user-stream reports are due.
    var lateReports: Nanos? = nil
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
    @exclusivity(unchecked)
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
        ledger = SimLedger(instruments: books.map(\.instrument))
        for b in books { b.settle(in: ledger) }
        self.faults = faults
        self.tls = tls
        listener = try TCPListener(host: host, port: wsPort)
        restListener = try restPort.map { port throws in SimListener(try TCPListener(host: host, port: port)) }
        started = now
        self.now = now
        (wsOrderLimit, wsOrderWindow) = switch kind {
        case .binance: (50, .seconds(10))
        case .okx: (60, .seconds(2))
        case .bybit: (20, .seconds(1))
        case .kraken, .coinbase: (0, .seconds(1))
        }
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
        // A slippage window's start and end set the books' slippage (left alone between: a test may set it).
        let slip = faults.active(.slippage, elapsed: elapsed)?.centiBasisPoints ?? 0
        if slip != scriptedSlippage {
            scriptedSlippage = slip
            for b in books { b.slippageCentiBasisPoints = slip }
        }
        if let f = faults.hit(.balance, elapsed: elapsed), let asset = f.asset, let amount = f.amount {
            // Behind the account owner's back: no report on any stream.
            do { try ledger.adjust(account: 1, asset: asset, amount: amount) } catch { print("venue-sim \(name): balance fault not applied: \(error)") }
            work += 1
        }
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
            bybit.trade.removeAll()
            bybit.reqIds.removeAll()
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
        // The dead-man's switches that ran out (the venue's engine cancels, whatever its connections do).
        work += krakenCancelAfterDue() + okxCancelAfterDue()
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
            bybit.trade[client.id] = nil
            bybit.reqIds[client.id] = nil
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

    /// An account's balance of each asset the venue trades, in the ledger's order: the asset, free and locked,
    /// and the scale they are at.
    func balances(_ account: Int) -> [(asset: String, free: Int64, locked: Int64, scale: Int)] {
        ledger.names.indices.map { a in
            let b = ledger.balance(account, asset: a)
            return (ledger.names[a], b.free, b.locked, ledger.scales[a])
        }
    }

    /// Credits a client account per asset (decimal text, at most the asset's scale of places).
    /// - Throws: `SimLedgerError` naming an asset the venue does not trade or an amount it cannot hold.
    public func deposit(account: Int, _ amounts: [String: String]) throws(SimLedgerError) {
        guard account != SimulatedBook.marketAccount else { throw SimLedgerError("account 0 is the market's") }
        try ledger.deposit(account: account, amounts)
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
