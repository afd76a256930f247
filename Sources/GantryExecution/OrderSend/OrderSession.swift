import GantryCore
import GantryNet
import GantryRisk
import GantryVenues
import Logging

/// The state an order session keeps per order and per request, reached through a pointer from the connection's
/// callback (see `OrderSession.state`).
struct OrderSessionState {
    var orders: [ClientOrderId: TrackedOrder] = [:]
    /// The venue's final word on an order whose fills have not all arrived yet: held back until they have (so that
    /// risk books the fills before it releases the order's reservation), or until `deadline`, when it is queried.
    var finals: [ClientOrderId: (status: OrderStatus, cumulative: Quantity, deadline: Nanos)] = [:]
    /// WebSocket request id → the order it is about and what was asked (an answer does not always say).
    var requests: [UInt64: (id: ClientOrderId, kind: OrderRequestKind, request: EncodedRequest)] = [:]
    /// Trade-history requests sent on the WebSocket and not answered yet (only then is an answer's id read first).
    var tradesInFlight = 0
    /// REST request id → the order it is about, what was asked and the request (its answer is read in its light).
    var restRequests: [HTTPRequestId: (id: ClientOrderId, kind: OrderRequestKind, request: EncodedRequest)] = [:]
    /// Opening requests not yet accepted.
    var opening: [UInt64] = []
    var ready = false
    var loggedIn = false
    /// Orders being reconciled after a loss: no new order goes to the venue until none is left.
    var reconciling: Set<ClientOrderId> = []
    var stats = OrderSessionStats()
    /// Reports to publish (drained by the stage after each poll).
    var out: [OrderReport] = []
    /// Orders written and not yet answered, with when they were written (the answer timeout's scan).
    var awaiting: [ClientOrderId: Nanos] = [:]
    /// Orders the venue refused for its rate limit (not executed), to send again after its back-off.
    var backoffs: [(ClientOrderId, Nanos)] = []
    /// Final orders, oldest first: forgotten `retention` after they ended (a fill after that is an unknown order).
    var retired: [(ClientOrderId, Nanos)] = []
    var retiredHead = 0
    /// The user stream, the venue's own order ids, the pre-opening (OrderSession+UserStream.swift).
    var links = OrderSessionLinks()
    /// When each order's bytes were written, kept only once asked for (OrderSession+WriteStamps.swift).
    var writeStamps = OrderWriteStamps()
    /// The venue's dead-man's switch: its timeout and when it is refreshed next (OrderSession+DeadMan.swift).
    var deadMan = DeadManProgress()
    /// The venue's clock offset, and our wall clock − the monotonic clock at the current poll (to put answers' and
    /// requests' monotonic times on the wall clock).
    var clock = ClockOffset()
    var wallMinusMono = Nanos.zero

    init() {
        orders.reserveCapacity(4_096)
        awaiting.reserveCapacity(1_024)
        retired.reserveCapacity(4_096)
        finals.reserveCapacity(256)
        requests.reserveCapacity(4_096)
        out.reserveCapacity(256)
    }
}

/// One request waiting for the venue's rate budget.
@frozen
public struct OutgoingRequest: Sendable, BitwiseCopyable {
    public var kind: OrderRequestKind
    public var clientOrderId: ClientOrderId
}

/// A sink that keeps the connection's state changes to itself (the session logs them).
public struct NoConnectionEvents: ConnectionEventSink {
    public init() {}
    public mutating func deliver(_ event: ConnectionEvent) -> Bool { true }
}

/// One venue's order entry: its order connection (reconnecting, made ready by the venue's script), its user stream
/// where the venue streams fills on a connection of its own (OrderSession+UserStream.swift), its codec, its
/// rate budget with priority lanes, and an order state machine per order. Orders are never marked failed on a
/// network error: an order whose answer does not come within `answerTimeout`, or whose connection drops, is
/// unknown until the venue's answer to a query reconciles it; the venue takes no new order meanwhile. Fills are
/// de-duplicated by trade id; a final report is published only after the fills it counts.
public struct OrderSession<Script: VenueOrderScript>: ~Copyable {
    public var codec: Script.Codec
    var connection: WebSocketSupervisor<NoConnectionEvents>
    /// The venue's user stream where it streams fills on a connection of its own (Bybit's private stream).
    var userStream: WebSocketSupervisor<NoConnectionEvents>?
    /// The venue's REST API, for what the codec sends by REST (queries, Coinbase's orders, Kraken's token).
    let rest: HTTPClient?
    var budget: RateBudget<OutgoingRequest>
    var buffer = OrderRequestBuffer(capacity: 8_192)
    // SAFETY: `state` is allocated by this session, used only on its thread (the stage's), and freed in deinit; it is
    // a pointer so that the connection's callback can update orders while the connection itself is being polled.
    let state: UnsafeMutablePointer<OrderSessionState>
    public let answerTimeout: Nanos
    var logger = Logger(label: "gantry.orders")
    var wasOpen = false
    /// The kill switch fired (`cancelAll`): only flattening orders are sent from now on.
    var killed = false

    /// - Parameters:
    ///   - endpoint: The venue's order connection (WebSocket order API).
    ///   - ordersPerSecond: The venue's budget, shared by every strategy.
    ///   - rest: The venue's REST API, if the codec sends anything by REST.
    ///   - userStream: The venue's user stream, where fills come on a connection of their own (Bybit's private
    ///     stream); the session is ready only when it is too, and its drop makes orders in flight unknown.
    public init(
        codec: Script.Codec, endpoint: WebSocketEndpoint, rest: HTTPClient? = nil, userStream: WebSocketEndpoint? = nil, ordersPerSecond: Int,
        answerTimeout: Nanos = .seconds(2), now: Nanos
    ) {
        self.codec = codec
        self.rest = rest
        connection = WebSocketSupervisor(
            endpoint: endpoint, venue: codec.venue, index: 1, subscriptions: [], sink: NoConnectionEvents(),
            backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(5), seed: UInt64(codec.venue.raw) &+ 17), now: now)
        connection.keepAlive = Script.keepAlive
        self.userStream = Self.userStreamSupervisor(userStream, venue: codec.venue, now: now)
        budget = RateBudget(perSecond: ordersPerSecond, now: now)
        self.answerTimeout = answerTimeout
        state = .allocate(capacity: 1)
        state.initialize(to: OrderSessionState())
        state.pointee.links.user.phase = userStream == nil ? .none : .down
        logger[metadataKey: "venue"] = "\(codec.venue.raw)"
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    public var isReady: Bool { state.pointee.ready && state.pointee.links.user.isReady && state.pointee.reconciling.isEmpty }
    public var stats: OrderSessionStats { state.pointee.stats }
    public func order(_ id: ClientOrderId) -> TrackedOrder? { state.pointee.orders[id] }
    /// Orders not final.
    public var openOrders: Int { state.pointee.orders.values.reduce(0) { $0 + ($1.state.isFinal ? 0 : 1) } }
    /// For a holder that reaches the session through an optional (a mutating access): its venue, readiness and
    /// last round trip.
    public mutating func venueId() -> VenueId? { codec.venue }
    public mutating func readyNow() -> Bool { isReady }
    /// The last order round trip measured, forgotten `roundTripMemory` after it was (0: not known): a venue that
    /// was slow is tried again by a later order rather than shut out for good.
    public mutating func roundTripNow(now: Nanos) -> Nanos {
        now - state.pointee.stats.lastRoundTripAt < roundTripMemory ? state.pointee.stats.lastRoundTrip : .zero
    }
    /// `openOrders`, for a holder that reaches the session through an optional (a mutating access).
    public mutating func countOpenOrders() -> Int { openOrders }
    /// Orders not final: flattening ones (the kill switch's) apart from the rest.
    public mutating func openOrderCounts() -> (others: Int, flattening: Int) {
        var n = (others: 0, flattening: 0)
        for o in state.pointee.orders.values where !o.state.isFinal {
            if o.order.lane == .flatten { n.flattening += 1 } else { n.others += 1 }
        }
        return n
    }

    /// Takes an approved order: tracked from now on, sent when the budget and the connection allow.
    /// - Returns: false if it was refused (its client order id was seen before, or its lane is full); a refused
    ///   order is reported rejected, so that risk releases it.
    public mutating func submit(_ order: ApprovedOrder, now: Nanos) -> Bool {
        let id = order.clientOrderId
        guard state.pointee.orders[id] == nil else {
            // Idempotent: an approval replayed is not an order sent twice.
            state.pointee.stats.refused += 1
            return false
        }
        let spec = OrderSpec(
            clientOrderId: id, venue: order.venue, instrument: order.instrument, side: order.side, type: order.decision.intent.orderType,
            timeInForce: order.decision.intent.timeInForce, price: order.price, quantity: order.quantity, lane: order.lane,
            signalId: order.decision.intent.signalId)
        state.pointee.orders[id] = TrackedOrder(spec)
        guard budget.enqueue(OutgoingRequest(kind: .place, clientOrderId: id), lane: order.lane) else {
            refuse(id, now: now)
            return false
        }
        return true
    }

    /// The kill switch: cancels every order at the venue not final, in the flatten lane, and withdraws the orders
    /// not sent yet (but flattening ones): they never left, so they end cancelled here, reported so that risk
    /// releases them.
    public mutating func cancelAll(now: Nanos) {
        var withdrawn: [ClientOrderId] = []
        for (id, o) in state.pointee.orders where !o.state.isFinal {
            if o.state != .pending {
                _ = budget.enqueue(OutgoingRequest(kind: .cancel, clientOrderId: id), lane: .flatten)
            } else if o.order.lane != .flatten {
                withdrawn.append(id)
            }
        }
        killed = true
        for id in withdrawn { withdraw(id, now: now) }
        if !withdrawn.isEmpty { logger.warning("kill switch: orders not sent yet withdrawn", metadata: ["orders": "\(withdrawn.count)"]) }
    }

    /// Ends an order that never left (or that the venue refused unexecuted) as cancelled, reported.
    mutating func withdraw(_ id: ClientOrderId, now: Nanos) {
        guard var o = state.pointee.orders[id] else { return }
        _ = o.apply(.final(.canceled, cumulative: .zero))
        o.finalReported = true
        state.pointee.orders[id] = o
        state.pointee.awaiting[id] = nil
        state.pointee.retired.append((id, now))
        state.pointee.out.append(Self.report(o, status: .canceled))
    }

    /// Does the connection's I/O, sends what the budget allows, and reconciles what needs it. Reports go to
    /// `publish` in the order risk must book them.
    /// - Parameters:
    ///   - wall: The wall clock; the venues' timestamps and nonces are written on it plus the venue's clock offset.
    public mutating func poll(now: Nanos, wall: Nanos, publish: (OrderReport) -> Void) -> Int {
        let s = state
        s.pointee.wallMinusMono = wall - now
        let wall = wall + s.pointee.clock.estimate
        var opened = false
        var lost = false
        var work = connection.poll(now: now) { event in
            switch event {
            case .open: opened = true
            case .message(_, let payload, _): Self.handle(payload, s, codec, now: now)
            case .closed: lost = true
            default: break
            }
        }
        if let rest {
            let c = codec
            work += rest.poll(now: now) { h, result in
                if Self.preOpenAnswer(h, result, s) { return }
                guard let asked = s.pointee.restRequests.removeValue(forKey: h) else { return }
                switch result {
                case .success(let response):
                    response.body.withUnsafeBytes { body in
                        if asked.kind == .trades {
                            Self.trades(body, .rest(asked.request, httpStatus: response.status), s, c, now: now)
                        } else {
                            Self.reply(body, .rest(asked.request, httpStatus: response.status), asked: (asked.id, asked.kind), s, c, now: now)
                        }
                    }
                case .failure:
                    // No answer: an order's fate is unknown (queried later); a query is asked again at its deadline.
                    if asked.kind == .place, var o = s.pointee.orders[asked.id], !o.state.isFinal {
                        if !o.apply(.lost).ignored {
                            s.pointee.orders[asked.id] = o
                            s.pointee.stats.unknown += 1
                            s.pointee.reconciling.insert(asked.id)
                        }
                    }
                }
            }
        }
        if opened { connectionOpened(now: now, wall: wall) }
        if lost { connectionLost(now: now) }
        work += pollLinks(now: now, wall: wall)
        if s.pointee.loggedIn && !s.pointee.ready && s.pointee.opening.isEmpty {
            // The login was accepted: what needs it follows, then the session is ready.
            do throws(OrderEncodeError) {
                var sends: [[UInt8]] = []
                try Script.afterLogin(&codec, wall: wall, buffer: &buffer) { sends.append(Array($0)) }
                for m in sends { m.withUnsafeBytes { _ = connection.send(text: $0) } }
                s.pointee.ready = true
                logger.info("order session ready")
                if !s.pointee.reconciling.isEmpty { queryUnknown(now: now, wall: wall) }
            } catch {
                logger.error("order session cannot subscribe", metadata: ["error": "\(error)"])
            }
        }
        for (id, until) in s.pointee.backoffs {
            budget.backOff(until: until)
            if let o = s.pointee.orders[id], killed && o.order.lane != .flatten {
                // Refused unexecuted by the venue's rate limit after the kill switch: not sent again.
                withdraw(id, now: now)
            } else if let o = s.pointee.orders[id] {
                s.pointee.orders[id] = TrackedOrder(o.order)
                _ = budget.enqueue(OutgoingRequest(kind: .place, clientOrderId: id), lane: o.order.lane)
            }
        }
        s.pointee.backoffs.removeAll(keepingCapacity: true)
        work += deadManDue(now: now)
        work += sendQueued(now: now, wall: wall)
        work += checkTimeouts(now: now, wall: wall)
        prune(now: now)
        for r in s.pointee.out { publish(r) }
        work += s.pointee.out.count
        s.pointee.out.removeAll(keepingCapacity: true)
        return work
    }

    /// How long a measured round trip counts (`roundTripNow`).
    public var roundTripMemory: Nanos = .seconds(10)

    /// How long a final order is remembered (late fills and duplicate reports within it are recognised).
    public var retention: Nanos = .seconds(120)

    mutating func prune(now: Nanos) {
        let s = state
        while s.pointee.retiredHead < s.pointee.retired.count, now - s.pointee.retired[s.pointee.retiredHead].1 >= retention {
            let id = s.pointee.retired[s.pointee.retiredHead].0
            if s.pointee.orders[id]?.state.isFinal == true {
                s.pointee.orders[id] = nil
                s.pointee.links.venueIds[id] = nil
            }
            s.pointee.retiredHead += 1
        }
        if s.pointee.retiredHead > 1_024 && s.pointee.retiredHead * 2 > s.pointee.retired.count {
            s.pointee.retired.removeFirst(s.pointee.retiredHead)
            s.pointee.retiredHead = 0
        }
    }

    mutating func open(now: Nanos, wall: Nanos) {
        wasOpen = true
        state.pointee.ready = false
        state.pointee.loggedIn = false
        do throws(OrderEncodeError) {
            var sends: [[UInt8]] = []
            state.pointee.opening = try Script.opening(&codec, wall: wall, buffer: &buffer) { sends.append(Array($0)) }
            for m in sends { m.withUnsafeBytes { _ = connection.send(text: $0) } }
            if state.pointee.opening.isEmpty { state.pointee.loggedIn = true }
        } catch {
            logger.error("order session cannot log in", metadata: ["error": "\(error)"])
        }
    }

    /// The connection dropped: every order sent and not final is unknown until the venue says what became of it.
    mutating func connectionLost(now: Nanos) {
        state.pointee.ready = false
        state.pointee.loggedIn = false
        state.pointee.links.preOpen = PreOpenProgress()
        state.pointee.stats.reconnects += 1
        for (id, o) in state.pointee.orders where !o.state.isFinal && o.state != .pending {
            markUnknown(id, now: now)
        }
        logger.warning("order connection lost: orders in flight are unknown until reconciled", metadata: ["unknown": "\(state.pointee.reconciling.count)"])
    }

    mutating func markUnknown(_ id: ClientOrderId, now: Nanos) {
        state.pointee.awaiting[id] = nil
        guard var o = state.pointee.orders[id] else { return }
        let t = o.apply(.lost)
        state.pointee.orders[id] = o
        if !t.ignored {
            state.pointee.stats.unknown += 1
            state.pointee.reconciling.insert(id)
        }
    }

    mutating func queryUnknown(now: Nanos, wall: Nanos) {
        for id in state.pointee.reconciling { _ = budget.enqueue(OutgoingRequest(kind: .query, clientOrderId: id), lane: .flatten) }
    }

    mutating func refuse(_ id: ClientOrderId, now: Nanos) {
        state.pointee.stats.refused += 1
        guard var o = state.pointee.orders[id] else { return }
        _ = o.apply(.rejected(code: 0))
        o.finalReported = true
        state.pointee.orders[id] = o
        state.pointee.retired.append((id, now))
        state.pointee.out.append(Self.report(o, status: .rejected))
    }

    /// Sends what the budget lets go: places only when the session is ready and nothing is being reconciled.
    mutating func sendQueued(now: Nanos, wall: Nanos) -> Int {
        guard state.pointee.ready && state.pointee.links.user.isReady else { return 0 }
        var work = 0
        while let next = budget.next(now: now) {
            if next.kind == .deadMan {
                work += sendDeadMan(now: now, wall: wall)
                continue
            }
            guard let o = state.pointee.orders[next.clientOrderId] else { continue }
            // Withdrawn while it waited (the kill switch): it never leaves.
            if next.kind == .place && o.state != .pending { continue }
            if next.kind == .place && !state.pointee.reconciling.isEmpty {
                // Held back until the venue's unknown orders are reconciled; back in its lane, in front.
                _ = budget.enqueue(next, lane: .flatten)
                break
            }
            do throws(OrderEncodeError) {
                let request: EncodedRequest
                let reference = OrderReference(
                    clientOrderId: o.order.clientOrderId, instrument: o.order.instrument, venueOrderId: state.pointee.links.venueIds[next.clientOrderId] ?? InlineText())
                switch next.kind {
                case .place:
                    request = try codec.place(
                        OrderRequest(
                            clientOrderId: o.order.clientOrderId, instrument: o.order.instrument, side: o.order.side, orderType: o.order.type,
                            timeInForce: o.order.timeInForce, price: o.order.price, quantity: o.order.quantity), now: wall, into: &buffer)
                case .cancel: request = try codec.cancel(reference, now: wall, into: &buffer)
                case .trades: request = try codec.trades(reference, now: wall, into: &buffer)
                default: request = try codec.query(reference, now: wall, into: &buffer)
                }
                let accepted: Bool
                if request.transport == .rest {
                    if let rest, case .success(let h) = buffer.withBytes({ rest.send(request: $0, idempotent: next.kind == .query, now: now) }) {
                        state.pointee.restRequests[h] = (next.clientOrderId, next.kind, request)
                        accepted = true
                    } else {
                        accepted = false
                    }
                } else {
                    if request.requestId != 0 { state.pointee.requests[request.requestId] = (next.clientOrderId, next.kind, request) }
                    if next.kind == .trades { state.pointee.tradesInFlight += 1 }
                    accepted = buffer.withBytes { connection.send(text: $0) }
                    if next.kind == .place && state.pointee.writeStamps.on { state.pointee.writeStamps.stamp(next.clientOrderId) }
                }
                work += 1
                if next.kind == .place {
                    var t = o
                    _ = t.apply(.sent(at: now))
                    state.pointee.orders[next.clientOrderId] = t
                    state.pointee.awaiting[next.clientOrderId] = now
                    state.pointee.stats.sent += 1
                    // A send the connection did not take: its fate is unknown (the bytes may have left).
                    if !accepted { markUnknown(next.clientOrderId, now: now) }
                }
            } catch {
                if next.kind == .query && state.pointee.links.venueIds[next.clientOrderId] == nil {
                    // Asked by the venue's own id, not known yet: asked once an answer or the stream names the order.
                    state.pointee.links.awaitingId.insert(next.clientOrderId)
                    logger.info("query waits for the venue's order id", metadata: ["order": "\(next.clientOrderId.raw)"])
                    continue
                }
                logger.error("order not encoded: refused", metadata: ["error": "\(error)", "order": "\(next.clientOrderId.raw)"])
                if next.kind == .place { refuse(next.clientOrderId, now: now) }
            }
        }
        return work
    }

    /// Orders without an answer past the timeout become unknown and are queried; held-back finals whose fills
    /// never came are queried too.
    mutating func checkTimeouts(now: Nanos, wall: Nanos) -> Int {
        var work = 0
        var late: [ClientOrderId] = []
        for (id, sentAt) in state.pointee.awaiting where now - sentAt >= answerTimeout { late.append(id) }
        for id in late {
            markUnknown(id, now: now)
            _ = budget.enqueue(OutgoingRequest(kind: .query, clientOrderId: id), lane: .flatten)
            work += 1
        }
        guard !state.pointee.finals.isEmpty else { return work }
        for (id, f) in state.pointee.finals where now >= f.deadline {
            state.pointee.finals[id] = (f.status, f.cumulative, now + answerTimeout)
            // Fills the venue counts never came on the stream: its trade history backfills them (de-duplicated by
            // trade id); without the venue's order id yet, a query first.
            let kind: OrderRequestKind = state.pointee.links.venueIds[id] != nil ? .trades : .query
            if kind == .trades { state.pointee.stats.backfills += 1 }
            _ = budget.enqueue(OutgoingRequest(kind: kind, clientOrderId: id), lane: .flatten)
            work += 1
        }
        return work
    }
}
