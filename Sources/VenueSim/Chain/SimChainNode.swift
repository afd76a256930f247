import GantryCore
import GantryNet

/// What a simulated node did, for tests and the simulator's summary.
public struct SimChainStats: Sendable, Equatable {
    public var connections = 0
    public var disconnects = 0
    /// JSON-RPC calls answered (each call of a batch counts), and those answered with an error.
    public var requests = 0
    public var errors = 0
    public var getLogs = 0
    public var notifications = 0
    public var blocks = 0
    public var reorgs = 0
    /// Connections closed at once while `refuseConnections` was set.
    public var refused = 0
    /// Clients dropped for reading too slowly.
    public var slowConsumers = 0
}

/// A subscription of one client: new heads, or logs matching a filter.
struct ChainSubscription {
    enum Kind {
        case newHeads
        case logs(LogFilter)
    }
    var id: String
    var kind: Kind
}

/// An `eth_subscribe` logs filter or the address and topics of an `eth_getLogs` filter: any of `addresses`
/// (none: any address), and per topic position any of its values (nil: any topic).
struct LogFilter {
    var addresses: [[UInt8]] = []
    var topics: [[[UInt8]]?] = []

    func matches(address: [UInt8], topics logTopics: [[UInt8]]) -> Bool {
        if !addresses.isEmpty && !addresses.contains(address) { return false }
        if topics.count > logTopics.count { return false }
        for (k, wanted) in topics.enumerated() {
            if let wanted, !wanted.contains(logTopics[k]) { return false }
        }
        return true
    }
}

/// A simulated Ethereum node: a WebSocket JSON-RPC endpoint on a loopback port over a `SimChain`, speaking
/// the standard subscription API (`eth_subscribe` `newHeads` and `logs` with an address and topics filter,
/// `eth_subscription` notifications, `eth_unsubscribe`) and `eth_blockNumber`, `eth_chainId` and `eth_getLogs`
/// over the blocks it keeps. A block's logs are notified before its header. Driven by `poll` and `step` from
/// the simulator's thread; its chain steps with the simulator and may lead a market's price (`SimChain`).
public final class SimChainNode {
    public let name: String
    /// The index of the market whose price the chain's flows lead.
    public let market: Int
    public internal(set) var chain: SimChain
    public internal(set) var stats = SimChainStats()
    /// While set, every new connection is closed at once (a node that cannot be reached, for reconnect tests).
    public var refuseConnections = false
    /// A client that lets more than this wait unsent is dropped (geth closes a client 10,000 notifications behind).
    public var slowConsumerLimit = 64 << 20
    let listener: TCPListener
    let tls: TLSContext?
    var clients: [SimClient] = []
    /// Each client's subscriptions, by client id.
    var subscriptions: [Int: [ChainSubscription]] = [:]
    /// Subscription ids come from a generator of their own (not the chain's).
    var ids: SimRandom
    var nextClient = 1
    var writer = SimWriter()
    var now = Nanos.zero

    /// - Parameters:
    ///   - market: The index of the simulator's market the chain leads.
    ///   - port: A loopback port (0: any free port).
    ///   - tls: A server context to serve wss:// (nil: ws://).
    /// - Throws: `NetError` if the port cannot be bound.
    public init(
        parameters: SimChainParameters, market: Int, stepsPerSecond: Int, seed: UInt64, host: String = "127.0.0.1", port: Int = 0,
        tls: TLSContext? = nil
    ) throws {
        name = parameters.name
        self.market = market
        chain = SimChain(
            parameters: parameters, stepsPerSecond: stepsPerSecond, seed: seed, wallSeconds: UInt64(WallClock.now().raw / 1_000_000_000))
        listener = try TCPListener(host: host, port: port)
        self.tls = tls
        ids = SimRandom(seed: seed ^ 0x5AB5_C21B_E000_0001)
    }

    /// The WebSocket port.
    public var port: Int { listener.port }
    /// Connected WebSocket clients.
    public var clientCount: Int { clients.filter { $0.open && !$0.gone }.count }
    /// Subscriptions across all clients.
    public var subscriptionCount: Int { subscriptions.values.reduce(0) { $0 + $1.count } }

    /// The canonical block's inflow and outflow per exchange address (the ground truth), if the block is kept.
    public func flows(block number: UInt64) -> [SimExchangeFlow]? { chain.block(number).map { chain.flows(of: $0) } }

    // MARK: - Stepping

    /// One simulator step of the chain: a block when one is due, notified to the subscribers.
    /// - Parameter fair: The led market's fair price now.
    /// - Returns: How much to move the market's price this step.
    func step(fair: Int64) -> Int64 {
        let (changes, shift) = chain.step(fair: fair)
        for change in changes { publish(change) }
        return shift
    }

    func publish(_ change: SimChain.Change) {
        switch change {
        case .removed(let block):
            stats.reorgs += 1
            notifyLogs(block, removed: true)
        case .block(let block):
            stats.blocks += 1
            notifyLogs(block, removed: false)
            for client in clients where !client.gone {
                for s in subscriptions[client.id] ?? [] {
                    guard case .newHeads = s.kind else { continue }
                    send(client, notification(s.id) { renderHeader(block, into: &$0) })
                }
            }
        }
    }

    func notifyLogs(_ block: SimBlock, removed: Bool) {
        for client in clients where !client.gone {
            for s in subscriptions[client.id] ?? [] {
                guard case .logs(let filter) = s.kind else { continue }
                for t in block.transfers where filter.matches(address: chain.parameters.token, topics: topics(t)) {
                    send(client, notification(s.id) { renderLog(t, in: block, removed: removed, into: &$0) })
                }
            }
        }
    }

    func topics(_ t: SimTransfer) -> [[UInt8]] {
        [SimChain.transferTopic, [UInt8](repeating: 0, count: 12) + t.from, [UInt8](repeating: 0, count: 12) + t.to]
    }

    func send(_ client: SimClient, _ bytes: [UInt8]) {
        if bytes.starts(with: Array(#"{"jsonrpc":"2.0","method""#.utf8)) { stats.notifications += 1 }
        client.send(bytes)
    }

    // MARK: - I/O

    /// Accepts connections, reads and answers requests, sends what is due.
    /// - Returns: How much work was done.
    public func poll(now: Nanos) -> Int {
        self.now = now
        var work = 0
        while let socket = try? listener.accept() {
            work += 1
            if refuseConnections {
                stats.refused += 1
                continue
            }
            guard let ws = try? WebSocketConnection(accepted: socket, tls: tls) else { continue }
            clients.append(SimClient(ws: ws, id: nextClient))
            nextClient += 1
            stats.connections += 1
        }
        for client in clients where !client.gone {
            var texts: [[UInt8]] = []
            work += client.ws.poll { event in
                switch event {
                case .open: client.open = true
                case .message(_, let payload, _): texts.append(Array(payload))
                case .closed: client.gone = true
                default: break
                }
            }
            for t in texts { handle(client, t) }
            work += client.ws.flush()
            if client.ws.pendingSend > slowConsumerLimit {
                client.gone = true
                stats.slowConsumers += 1
            }
        }
        if clients.contains(where: { $0.gone }) {
            for client in clients where client.gone {
                subscriptions[client.id] = nil
                stats.disconnects += 1
            }
            clients.removeAll { $0.gone }
        }
        return work
    }

    /// Sends what the clients' connections hold. - Returns: how much was sent.
    public func flush() -> Int {
        var work = 0
        for client in clients where !client.gone { work += client.ws.flush() }
        return work
    }

    // MARK: - Test hooks

    /// Drops every connection at once, without a close handshake (its subscriptions end with it).
    public func dropClients() {
        stats.disconnects += clients.count
        clients.removeAll()
        subscriptions.removeAll()
    }

    /// Sends `text` as it is to every open client (a malformed message, for tests).
    public func sendRaw(_ text: String) {
        for client in clients where client.open && !client.gone { client.send(Array(text.utf8)) }
    }

    /// Adds a transfer to the next block: its value's low and high 128 bits (a high half makes it a uint256
    /// beyond 128 bits, which the tally leaves out).
    public func injectTransfer(from: [UInt8], to: [UInt8], amount: UInt128, amountHigh: UInt128 = 0) {
        chain.injected.append(
            SimTransfer(from: from, to: to, amount: amount, amountHigh: amountHigh, transactionHash: SimChain.bytes(32, &ids), transactionIndex: 0, logIndex: 0))
    }

    /// The next block replaces the head block (a reorg of depth one) instead of extending the chain.
    public func reorgNextBlock() { chain.reorgNext = true }
}
