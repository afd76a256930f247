import GantryCore
import GantryNet
import GantryVenues
import Logging

// What reconciles an order besides a query's plain answer: the venue's own order id (learnt from answers and the
// user stream, for venues whose queries and cancels name it), a query that finds no such order, and fills a venue
// reports only as cumulative figures.

extension OrderSession {
    /// The order and fill updates of a user-stream message, applied (the venue's order ids they name kept).
    /// - Returns: How many; 0 for a message that carries none, or that the decoder cannot read (then maybe an answer).
    static func applyUpdates(_ message: UnsafeRawBufferPointer, _ s: UnsafeMutablePointer<OrderSessionState>, _ codec: Script.Codec, now: Nanos) -> Int {
        do throws(DecodeError) {
            return try codec.decodeUserStream(message, naming: { update, venueId in
                noteVenueId(update.report.clientOrderId, venueId, s)
                apply(update, s, now: now)
            })
        } catch {
            return 0
        }
    }

    /// Keeps the venue's order id of `id` as the venue wrote it (the first one seen); a query that waited for it
    /// is asked on the next poll.
    static func noteVenueId(_ id: ClientOrderId, _ text: UnsafeRawBufferPointer, _ s: UnsafeMutablePointer<OrderSessionState>) {
        guard !text.isEmpty, s.pointee.links.venueIds[id] == nil, s.pointee.orders[id] != nil else { return }
        s.pointee.links.venueIds[id] = InlineText(truncating: text)
        s.pointee.links.lookups[id] = nil
        if s.pointee.links.awaitingId.remove(id) != nil { s.pointee.links.named.append(id) }
    }

    /// The venue's answer to a query is that it has no such order: an unknown order never reached it, and is
    /// reconciled as not executed (reported rejected, so that risk releases it).
    /// - Returns: Whether `id` was unknown (else the answer changes nothing).
    static func neverExecuted(_ id: ClientOrderId, _ s: UnsafeMutablePointer<OrderSessionState>, now: Nanos) -> Bool {
        s.pointee.links.lookups[id] = nil
        guard var o = s.pointee.orders[id], o.state == .unknown else { return false }
        _ = o.apply(.queried(.rejected, cumulative: .zero))
        s.pointee.orders[id] = o
        s.pointee.reconciling.remove(id)
        s.pointee.stats.reconciled += 1
        finalize(id, .rejected, cumulative: .zero, s, now: now)
        return true
    }

    /// Orders a query by our id did not find: each looked for in the venue's next list (sent at once, by REST, as
    /// the query that led to it was), or reconciled as never executed when the venue has no other list.
    mutating func lookAgain(now: Nanos, wall: Nanos) -> Int {
        let ids = state.pointee.links.notListed
        state.pointee.links.notListed.removeAll(keepingCapacity: true)
        for id in ids {
            guard let o = state.pointee.orders[id] else { continue }
            let step = (state.pointee.links.lookups[id] ?? 0) + 1
            state.pointee.links.lookups[id] = step
            let reference = OrderReference(clientOrderId: id, instrument: o.order.instrument, venueOrderId: state.pointee.links.venueIds[id] ?? InlineText())
            let next: EncodedRequest?
            do throws(OrderEncodeError) {
                next = try Script.lookAgain(&codec, reference, step: step, wall: wall, buffer: &buffer)
            } catch {
                logger.error("order lookup not encoded", metadata: ["error": "\(error)", "order": "\(id.raw)"])
                continue
            }
            guard let next else {
                _ = Self.neverExecuted(id, state, now: now)
                continue
            }
            if let rest, case .success(let h) = buffer.withBytes({ rest.send(request: $0, idempotent: true, now: now) }) {
                state.pointee.restRequests[h] = (id, .query, next)
            } else {
                // Not sent: the same list is asked again on the next poll.
                state.pointee.links.lookups[id] = step - 1
                state.pointee.links.notListed.append(id)
            }
        }
        return ids.count
    }

    /// A cumulative-only update (Coinbase's user channel: cumulative quantity, average price, total fees) as the
    /// fill it adds to what `o` has booked: its quantity and fee are the differences of the cumulative quantity
    /// and total fees from the booked ones; its price makes the booked notional equal the venue's average price
    /// times its cumulative quantity (rounded to the nearest price unit, the remainder carried into the next fill),
    /// so that the fills' notionals add up to the venue's; without an average price, the order's own price. An
    /// update that counts nothing new (a repeat, a state change, one older than what is booked) is no fill, so
    /// nothing is counted twice; one that counts several new fills at once (updates coalesced or missed) is one
    /// fill of their sum. Its trade id is the decoder's (order id and number of fills), or one made of the
    /// cumulative quantity.
    static func lastFill(_ u: OrderUpdate, _ o: TrackedOrder) -> (report: OrderReport, tradeId: UInt64) {
        var r = u.report
        let last = r.cumulativeQuantity - o.filled
        guard last.raw > 0 else {
            r.lastQuantity = .zero
            r.fee = 0
            return (r, 0)
        }
        r.lastQuantity = last
        r.fee = r.fee - o.fees
        let notional = Int128(r.price.raw) * Int128(r.cumulativeQuantity.raw) - o.filledNotional
        if r.price.raw > 0 && notional > 0 {
            let q = Int128(last.raw)
            r.price = Price(raw: Int64((notional + q / 2) / q))
        } else {
            r.price = o.order.price
        }
        return (r, u.tradeId != 0 ? u.tradeId : r.venueOrderId ^ UInt64(bitPattern: r.cumulativeQuantity.raw))
    }
}
