import GantryCore
import GantryNet
import GantryRisk
import GantryVenues
import Logging

// The venue's messages: user-stream updates (fills, order states), answers to requests (acks, rejects, finals),
// applied to the orders' state machines and turned into reports in the order risk must book them.

extension OrderSession {
    /// One message of the order connection: user-stream updates first (fills), then replies.
    static func handle(_ message: UnsafeRawBufferPointer, _ s: UnsafeMutablePointer<OrderSessionState>, _ codec: Script.Codec, now: Nanos) {
        let updates = applyUpdates(message, s, codec, now: now)
        // Before the login is in, a message with updates may be the answer too (Coinbase's user snapshot).
        guard updates == 0 || !s.pointee.loggedIn else { return }
        reply(message, .webSocket, asked: nil, s, codec, now: now)
    }

    /// A trade-history answer: each trade booked as a fill (once per trade id); a final waiting for them follows.
    static func trades(
        _ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ s: UnsafeMutablePointer<OrderSessionState>, _ codec: Script.Codec, now: Nanos
    ) {
        do throws(DecodeError) {
            let before = s.pointee.stats.fills
            _ = try codec.decodeTrades(message, context) { update in apply(update, s, now: now) }
            s.pointee.stats.backfilledFills += s.pointee.stats.fills - before
        } catch {
            s.pointee.stats.malformed += 1
        }
    }

    /// A venue's answer (on the order connection, or a REST response read with its request's context).
    static func reply(
        _ message: UnsafeRawBufferPointer, _ context: ReplyContext, asked: (id: ClientOrderId, kind: OrderRequestKind)?,
        _ s: UnsafeMutablePointer<OrderSessionState>, _ codec: Script.Codec, now: Nanos
    ) {
        let reply: OrderReply
        do throws(DecodeError) {
            reply = try codec.decodeReply(message, context)
        } catch {
            s.pointee.stats.malformed += 1
            return
        }
        // A WebSocket answer to a trade-history request (it names only its request id) is read as trades.
        if asked == nil, s.pointee.tradesInFlight > 0, let id = requestId(of: reply), let r = s.pointee.requests[id], r.kind == .trades {
            s.pointee.requests[id] = nil
            s.pointee.tradesInFlight -= 1
            trades(message, .matched(r.request), s, codec, now: now)
            return
        }
        switch reply {
        case .accepted(let ack):
            if asked == nil, let k = s.pointee.opening.firstIndex(of: ack.requestId) {
                s.pointee.opening.remove(at: k)
                if s.pointee.opening.isEmpty { s.pointee.loggedIn = true }
                return
            }
            let byRequest = asked ?? s.pointee.requests[ack.requestId].map { ($0.id, $0.kind) }
            let id = ack.report.clientOrderId.raw != 0 ? ack.report.clientOrderId : byRequest?.id ?? ClientOrderId(raw: 0)
            if asked == nil { s.pointee.requests[ack.requestId] = nil }
            ack.venueOrderId.withBytes { noteVenueId(id, $0, s) }
            apply(ack, id, kind: byRequest?.kind ?? ack.kind, s, now: now)
        case .rejected(let e):
            if asked == nil && (s.pointee.opening.contains(e.requestId) || (e.requestId == 0 && !s.pointee.loggedIn)) {
                s.pointee.stats.rejected += 1
                return
            }
            let byRequest = asked ?? s.pointee.requests[e.requestId].map { ($0.id, $0.kind) }
            let id = e.clientOrderId ?? byRequest?.id ?? ClientOrderId(raw: 0)
            if asked == nil { s.pointee.requests[e.requestId] = nil }
            if byRequest?.kind == .deadMan { return deadManRefused(e, s) }
            if byRequest?.kind == .query, Script.unknownOrder(e), neverExecuted(id, s, now: now) { return }
            if byRequest?.kind == .query || byRequest?.kind == .cancel || byRequest?.kind == .trades {
                // A refused query, cancel or trade-history request says nothing of the order's fate: asked again at the next deadline.
                s.pointee.stats.rejected += 1
                return
            }
            rejected(e, id, s, now: now)
        case .done(let requestId, let kind, let count):
            if kind == .deadMan {
                s.pointee.requests[requestId] = nil
                s.pointee.stats.deadManArmed += 1
                return
            }
            if kind == .query, count == 0, let asked {
                // A query by our id whose list holds no such order (Bybit's empty list, Kraken's OpenOrders):
                // looked for in the venue's next list, if it has one, else the venue never had it.
                s.pointee.links.notListed.append(asked.id)
                return
            }
            if kind == .login || s.pointee.opening.contains(requestId) {
                s.pointee.opening.removeAll { $0 == requestId }
                if s.pointee.opening.isEmpty { s.pointee.loggedIn = true }
            }
        case .other:
            break
        }
    }

    /// The request id an answer names (nil when it names none).
    static func requestId(of reply: OrderReply) -> UInt64? {
        switch reply {
        case .done(let id, _, _): return id == 0 ? nil : id
        case .accepted(let a): return a.requestId == 0 ? nil : a.requestId
        case .rejected(let e): return e.requestId == 0 ? nil : e.requestId
        case .other: return nil
        }
    }

    /// An answer about one order: its venue id, its state, its cumulative quantity.
    static func apply(_ ack: OrderAck, _ id: ClientOrderId, kind: OrderRequestKind, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) {
        guard var o = s.pointee.orders[id] else { return }
        let r = ack.report
        s.pointee.awaiting[id] = nil
        if !ack.venueOrderId.isEmpty && s.pointee.links.venueIds[id] == nil { s.pointee.links.venueIds[id] = ack.venueOrderId }
        if o.state == .sent {
            s.pointee.stats.noteRoundTrip(now - o.sentAt, at: now)
            noteVenueTime(r.eventTime, sentAt: o.sentAt, s, now: now)
        }
        if kind == .query {
            o.noteVenueOrderId(r.venueOrderId)
        } else if o.venueOrderId == 0 || o.state == .sent || o.state == .unknown {
            _ = o.apply(.acknowledged(venueOrderId: r.venueOrderId))
            s.pointee.stats.acknowledged += 1
        }
        switch kind {
        case .query:
            let t = o.apply(.queried(r.status, cumulative: r.cumulativeQuantity))
            s.pointee.orders[id] = o
            // Reconciled by the venue's answer (the stream may have moved it on from unknown meanwhile).
            if o.state != .unknown, s.pointee.reconciling.remove(id) != nil { s.pointee.stats.reconciled += 1 }
            if t.missingFills.raw > 0 { s.pointee.stats.missingFills += 1 }
            if o.state.isFinal { finalize(id, r.status, cumulative: r.cumulativeQuantity, s, now: now) }
        default:
            s.pointee.orders[id] = o
            switch r.status {
            case .filled, .canceled, .expired, .rejected:
                finalize(id, r.status, cumulative: r.cumulativeQuantity, s, now: now)
            default:
                break
            }
        }
    }

    /// The venue's final word: published now if every fill it counts has been, else held until they come (queried
    /// again at each deadline).
    static func finalize(_ id: ClientOrderId, _ status: OrderStatus, cumulative: Quantity, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) {
        guard var o = s.pointee.orders[id] else { return }
        if o.filled < cumulative {
            // Fills the venue counts have not arrived: the final waits for them (queried again at the deadline).
            if s.pointee.finals[id] == nil { s.pointee.finals[id] = (status, cumulative, now + .seconds(1)) }
            return
        }
        s.pointee.finals[id] = nil
        s.pointee.awaiting[id] = nil
        _ = o.apply(.final(status, cumulative: cumulative))
        guard !o.finalReported else {
            s.pointee.orders[id] = o
            return
        }
        o.finalReported = true
        s.pointee.orders[id] = o
        s.pointee.retired.append((id, now))
        s.pointee.out.append(report(o, status: status))
    }

    static func rejected(_ e: VenueOrderError, _ id: ClientOrderId, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) {
        guard var o = s.pointee.orders[id] else { return }
        s.pointee.awaiting[id] = nil
        if let wait = Script.rateLimit(e), o.state == .sent {
            // Not executed: queued again, the budget backs off (cancels keep going first).
            s.pointee.stats.rateLimited += 1
            s.pointee.backoffs.append((id, now + wait))
            return
        }
        s.pointee.stats.rejected += 1
        if o.state == .sent { s.pointee.stats.noteRoundTrip(now - o.sentAt, at: now) }
        let t = o.apply(.rejected(code: Int32(truncatingIfNeeded: e.code)))
        s.pointee.orders[id] = o
        if !t.ignored && !o.finalReported {
            o.finalReported = true
            s.pointee.orders[id] = o
            s.pointee.reconciling.remove(id)
            s.pointee.retired.append((id, now))
            s.pointee.out.append(report(o, status: .rejected))
        }
    }

    /// A user-stream update: a fill (once per trade id) or a state; finals wait for their fills.
    static func apply(_ update: OrderUpdate, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) {
        let id = update.report.clientOrderId
        guard var o = s.pointee.orders[id] else { return }
        // A venue that reports cumulative figures only (Coinbase): the fill is what it counts beyond what is booked.
        let (r, tradeId) = update.cumulativeOnly ? lastFill(update, o) : (update.report, update.tradeId)
        if o.state == .sent {
            s.pointee.awaiting[id] = nil
            s.pointee.stats.noteRoundTrip(now - o.sentAt, at: now)
            noteVenueTime(update.report.eventTime, sentAt: o.sentAt, s, now: now)
        }
        if r.lastQuantity.raw > 0 {
            let t = o.apply(.fill(tradeId: tradeId, price: r.price, quantity: r.lastQuantity, cumulative: r.cumulativeQuantity, fee: r.fee, isTaker: r.isTaker))
            s.pointee.orders[id] = o
            if t.newFill {
                s.pointee.stats.fills += 1
                var fill = r
                fill.status = o.state.isFinal ? r.status : (o.filled >= o.order.quantity ? .filled : .partiallyFilled)
                // The fill itself; the order's final report follows once the venue's final word is in.
                if fill.status == .filled { fill.status = .partiallyFilled }
                s.pointee.out.append(fill)
            } else {
                s.pointee.stats.duplicateFills += 1
            }
        }
        switch r.status {
        case .filled, .canceled, .expired, .rejected:
            finalize(id, r.status, cumulative: r.cumulativeQuantity, s, now: now)
        default:
            if let f = s.pointee.finals[id], o.filled >= f.cumulative { finalize(id, f.status, cumulative: f.cumulative, s, now: now) }
        }
    }

    /// The venue's timestamp in the first answer to a request sent at `sentAt` (monotonic): a clock-offset sample.
    static func noteVenueTime(_ venue: Nanos, sentAt: Nanos, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) {
        let d = s.pointee.wallMinusMono
        guard s.pointee.clock.add(venue: venue, sent: sentAt + d, received: now + d) else { return }
        s.pointee.stats.clockOffset = s.pointee.clock.estimate
        s.pointee.stats.clockSamples = s.pointee.clock.count
    }

    /// A report of `o` as it stands, with `status`.
    static func report(_ o: TrackedOrder, status: OrderStatus) -> OrderReport {
        OrderReport(
            status: status, side: o.order.side, venue: o.order.venue, instrument: o.order.instrument, clientOrderId: o.order.clientOrderId,
            venueOrderId: o.venueOrderId, price: o.averagePrice ?? o.order.price, lastQuantity: .zero, cumulativeQuantity: o.filled, fee: 0,
            isTaker: true, eventTime: .zero)
    }
}
