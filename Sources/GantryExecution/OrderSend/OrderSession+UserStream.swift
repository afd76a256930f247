import GantryCore
import GantryNet
import GantryVenues
import Logging

// The order session's second connection and its pre-opening:
//
//   user stream (Bybit's private stream): open ─► userStreamOpening (auth) ─► accepted ─► userStreamSubscribe
//     (order, execution) ─► accepted ─► ready. Its messages go to the codec's user-stream decoder (fills), its
//     answers to `decodeReply`. A drop makes every order in flight unknown, as an order-connection drop does; it
//     reconnects on its own, and once it is ready again the unknown orders are queried.
//   pre-opening (Kraken's token): the order connection opens ─► the script's REST request ─► its answer into the
//     codec ─► the connection's opening. A failed or refused pre-opening is asked again after `preOpenRetry`.

/// What an order session keeps beside its order connection's state.
struct OrderSessionLinks {
    var user = UserStreamProgress()
    var preOpen = PreOpenProgress()
    /// The venue's own order ids as it wrote them (Kraken's txid, Coinbase's order_id): what its cancels and
    /// queries name. Learnt from answers and from the user stream; forgotten with the order.
    var venueIds: [ClientOrderId: InlineText] = [:]
    /// Unknown orders whose query needs the venue's id, not known yet: queried as soon as something names them.
    var awaitingId: Set<ClientOrderId> = []
    /// Orders named since the last poll while their query waited.
    var named: [ClientOrderId] = []
    /// Orders a query by our id did not find in the list it asked, since the last poll; and how many lists each
    /// has been looked for in so far.
    var notListed: [ClientOrderId] = []
    var lookups: [ClientOrderId: Int] = [:]

    init() {
        venueIds.reserveCapacity(4_096)
        named.reserveCapacity(16)
    }
}

/// Where the user stream stands.
struct UserStreamProgress {
    enum Phase: UInt8 {
        /// The session has no user stream.
        case none
        /// Not connected (yet, or since a drop).
        case down
        /// Its opening (login) is sent; `pending` holds what must be accepted.
        case opening
        /// Its subscriptions are sent; `pending` holds what must be accepted.
        case subscribing
        case ready
    }

    var phase = Phase.none
    var pending: [UInt64] = []
    /// A refusal of the opening or a subscription, to log on the next poll.
    var refusal: VenueOrderError? = nil

    var isReady: Bool { phase == .none || phase == .ready }

    /// An answer accepted `requestId` (0: a login answer): done once nothing is pending.
    mutating func accepted(_ requestId: UInt64) {
        guard phase == .opening || phase == .subscribing else { return }
        pending.removeAll { $0 == requestId }
    }
}

/// The order connection's pre-opening.
struct PreOpenProgress {
    /// The connection is open and its opening waits for the pre-opening.
    var waiting = false
    /// The REST request in flight.
    var request: HTTPRequestId? = nil
    /// Its answer (status and body), to read on the next poll.
    var answer: (status: Int, body: [UInt8])? = nil
    /// It got no answer: asked again after `preOpenRetry`.
    var failed = false
    var retryAt: Nanos? = nil
}

extension OrderSession {
    /// How long a failed pre-opening waits before it is asked again.
    static var preOpenRetry: Nanos { .seconds(1) }

    static func userStreamSupervisor(_ endpoint: WebSocketEndpoint?, venue: VenueId, now: Nanos) -> WebSocketSupervisor<NoConnectionEvents>? {
        guard let endpoint else { return nil }
        var s = WebSocketSupervisor(
            endpoint: endpoint, venue: venue, index: 2, subscriptions: [], sink: NoConnectionEvents(),
            backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(5), seed: UInt64(venue.raw) &+ 29), now: now)
        s.keepAlive = Script.userStreamKeepAlive
        return s
    }

    /// The order connection opened: its pre-opening first where the venue has one, else its opening.
    mutating func connectionOpened(now: Nanos, wall: Nanos) {
        state.pointee.ready = false
        state.pointee.loggedIn = false
        state.pointee.links.preOpen = PreOpenProgress()
        state.pointee.links.preOpen.waiting = true
        sendPreOpening(now: now, wall: wall)
    }

    /// Asks the pre-opening's REST request; without one, opens at once.
    mutating func sendPreOpening(now: Nanos, wall: Nanos) {
        let request: EncodedRequest?
        do throws(OrderEncodeError) {
            request = try Script.preOpening(&codec, wall: wall, buffer: &buffer)
        } catch {
            logger.error("order connection's pre-opening not encoded", metadata: ["error": "\(error)"])
            state.pointee.links.preOpen.retryAt = now + Self.preOpenRetry
            return
        }
        guard request != nil else {
            state.pointee.links.preOpen.waiting = false
            open(now: now, wall: wall)
            return
        }
        guard let rest, case .success(let h) = buffer.withBytes({ rest.send(request: $0, idempotent: false, now: now) }) else {
            logger.error("order connection's pre-opening not sent (no REST client, or its queue is full)")
            state.pointee.links.preOpen.retryAt = now + Self.preOpenRetry
            return
        }
        state.pointee.links.preOpen.request = h
        state.pointee.links.preOpen.retryAt = nil
    }

    /// Takes the pre-opening's answer off the REST client (read on the next poll, where the codec can change).
    /// - Returns: Whether `h` was the pre-opening's request.
    static func preOpenAnswer(_ h: HTTPRequestId, _ result: Result<HTTPResponse, HTTPClientError>, _ s: UnsafeMutablePointer<OrderSessionState>) -> Bool {
        guard s.pointee.links.preOpen.request == h else { return false }
        s.pointee.links.preOpen.request = nil
        switch result {
        case .success(let response): s.pointee.links.preOpen.answer = (response.status, response.body)
        case .failure: s.pointee.links.preOpen.failed = true
        }
        return true
    }

    /// The pre-opening's answer, the user stream, and the queries that waited for a venue's order id.
    mutating func pollLinks(now: Nanos, wall: Nanos) -> Int {
        var work = 0
        let s = state
        if s.pointee.links.preOpen.waiting {
            if s.pointee.links.preOpen.failed {
                s.pointee.links.preOpen.failed = false
                logger.error("order connection's pre-opening got no answer: asked again")
                s.pointee.links.preOpen.retryAt = now + Self.preOpenRetry
            }
            if let answer = s.pointee.links.preOpen.answer {
                s.pointee.links.preOpen.answer = nil
                work += 1
                var refused: DecodeError? = nil
                answer.body.withUnsafeBytes { body in
                    do throws(DecodeError) {
                        try Script.preOpened(&codec, status: answer.status, body: body)
                    } catch {
                        refused = error
                    }
                }
                if let refused {
                    logger.error("order connection's pre-opening refused: asked again", metadata: ["status": "\(answer.status)", "error": "\(refused)"])
                    s.pointee.links.preOpen.retryAt = now + Self.preOpenRetry
                } else {
                    s.pointee.links.preOpen.waiting = false
                    open(now: now, wall: wall)
                }
            } else if let at = s.pointee.links.preOpen.retryAt, now >= at {
                work += 1
                sendPreOpening(now: now, wall: wall)
            }
        }
        work += pollUserStream(now: now, wall: wall)
        if !s.pointee.links.notListed.isEmpty { work += lookAgain(now: now, wall: wall) }
        if !s.pointee.links.named.isEmpty {
            for id in s.pointee.links.named { _ = budget.enqueue(OutgoingRequest(kind: .query, clientOrderId: id), lane: .flatten) }
            work += s.pointee.links.named.count
            s.pointee.links.named.removeAll(keepingCapacity: true)
        }
        return work
    }

    mutating func pollUserStream(now: Nanos, wall: Nanos) -> Int {
        let s = state
        guard s.pointee.links.user.phase != .none else { return 0 }
        let c = codec
        var opened = false
        var lost = false
        var work = userStream!.poll(now: now) { event in
            switch event {
            case .open: opened = true
            case .message(_, let payload, _): Self.handleUserStream(payload, s, c, now: now)
            case .closed: lost = true
            default: break
            }
        }
        if opened {
            s.pointee.links.user.phase = .opening
            s.pointee.links.user.pending = userStreamSend(now: now, wall: wall, Script.userStreamOpening)
        }
        if lost { userStreamLost(now: now) }
        if let e = s.pointee.links.user.refusal {
            s.pointee.links.user.refusal = nil
            logger.error("user stream refused its login or subscription", metadata: ["error": "\(e)"])
        }
        if s.pointee.links.user.phase == .opening && s.pointee.links.user.pending.isEmpty {
            s.pointee.links.user.phase = .subscribing
            s.pointee.links.user.pending = userStreamSend(now: now, wall: wall, Script.userStreamSubscribe)
            work += 1
        }
        if s.pointee.links.user.phase == .subscribing && s.pointee.links.user.pending.isEmpty {
            s.pointee.links.user.phase = .ready
            logger.info("user stream ready")
            // Orders a drop made unknown are queried now that their fills can be seen again.
            if s.pointee.ready && !s.pointee.reconciling.isEmpty { queryUnknown(now: now, wall: wall) }
            work += 1
        }
        return work
    }

    /// Writes what `step` sends on the user stream (signed now) and sends it.
    /// - Returns: The request ids to wait for.
    mutating func userStreamSend(
        now: Nanos, wall: Nanos,
        _ step: (inout Script.Codec, Nanos, inout OrderRequestBuffer, (UnsafeRawBufferPointer) -> Void) throws(OrderEncodeError) -> [UInt64]
    ) -> [UInt64] {
        var sends: [[UInt8]] = []
        let ids: [UInt64]
        do throws(OrderEncodeError) {
            ids = try step(&codec, wall, &buffer) { sends.append(Array($0)) }
        } catch {
            logger.error("user stream's login or subscription not encoded", metadata: ["error": "\(error)"])
            return [UInt64.max]
        }
        for m in sends { m.withUnsafeBytes { _ = userStream!.send(text: $0) } }
        return ids
    }

    /// The user stream dropped: fills may have been missed, so every order sent and not final is unknown until the
    /// venue says what became of it; the stream reconnects.
    mutating func userStreamLost(now: Nanos) {
        state.pointee.links.user.phase = .down
        state.pointee.links.user.pending.removeAll()
        state.pointee.stats.reconnects += 1
        for (id, o) in state.pointee.orders where !o.state.isFinal && o.state != .pending { markUnknown(id, now: now) }
        logger.warning("user stream lost: orders in flight are unknown until reconciled", metadata: ["unknown": "\(state.pointee.reconciling.count)"])
    }

    /// One user-stream message: order and fill updates, else an answer to its login or subscription.
    static func handleUserStream(_ message: UnsafeRawBufferPointer, _ s: UnsafeMutablePointer<OrderSessionState>, _ codec: Script.Codec, now: Nanos) {
        guard applyUpdates(message, s, codec, now: now) == 0 else { return }
        let reply: OrderReply
        do throws(DecodeError) {
            reply = try codec.decodeReply(message, .webSocket)
        } catch {
            s.pointee.stats.malformed += 1
            return
        }
        switch reply {
        case .done(let requestId, let kind, _): s.pointee.links.user.accepted(kind == .login ? 0 : requestId)
        case .accepted(let ack): s.pointee.links.user.accepted(ack.requestId)
        case .rejected(let e):
            s.pointee.stats.rejected += 1
            s.pointee.links.user.refusal = e
        case .other: break
        }
    }
}
