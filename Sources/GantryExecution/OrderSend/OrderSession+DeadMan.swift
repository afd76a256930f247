import GantryCore
import GantryNet
import GantryVenues
import Logging

// The venue's dead-man's switch, where it offers one (Kraken's `cancel_all_orders_after`, OKX's `cancel-all-after`):
//
//   session ready ─► arm (timeout s) ─► every timeout/3: refresh ─► … ─► Gantry dies or loses the venue:
//   no refresh comes, and the venue cancels the account's open orders by itself when the timer runs out.
//
// Requests go in the flatten lane of the session's rate budget (they pass a back-off, like cancels); the answers
// are counted (`deadManArmed`), a refusal counted (`deadManRefused`) and logged as an error. After a drop the
// switch is armed again as soon as the session is ready.

/// Where the dead-man's switch stands.
struct DeadManProgress {
    /// The timeout in seconds (0: off).
    var timeout = 0
    /// When the next refresh is due (monotonic); nil: armed as soon as the session is ready.
    var dueAt: Nanos? = nil
    /// A request waits in the budget.
    var queued = false
    /// The venue has no switch: said once, then never asked again.
    var unsupported = false
    /// A refusal to log on the next poll.
    var refusal: VenueOrderError? = nil
}

extension OrderSession {
    /// The venue's dead-man's switch timeout in seconds (0: off, the default): the session arms it once ready and
    /// refreshes it every third of it. Set before the first poll (a change takes effect at the next refresh).
    public var deadManTimeout: Int {
        get { state.pointee.deadMan.timeout }
        set {
            precondition(newValue >= 0, "a dead-man's switch timeout is not negative")
            state.pointee.deadMan.timeout = newValue
            state.pointee.deadMan.dueAt = nil
        }
    }

    /// How often the switch is refreshed.
    var deadManRefresh: Nanos { Nanos(raw: Int64(state.pointee.deadMan.timeout) * 1_000_000_000 / 3) }

    /// Queues the switch's refresh when it is due (in the flatten lane), and logs a refusal answered since.
    mutating func deadManDue(now: Nanos) -> Int {
        let s = state
        if let e = s.pointee.deadMan.refusal {
            s.pointee.deadMan.refusal = nil
            logger.error("the venue refused its dead-man's switch: open orders are not protected", metadata: ["error": "\(e)"])
        }
        guard s.pointee.deadMan.timeout > 0, !s.pointee.deadMan.unsupported else { return 0 }
        guard s.pointee.ready && s.pointee.links.user.isReady else {
            // Lost (or not ready yet): armed again at once when ready.
            s.pointee.deadMan.dueAt = nil
            return 0
        }
        guard !s.pointee.deadMan.queued, now >= s.pointee.deadMan.dueAt ?? now else { return 0 }
        guard budget.enqueue(OutgoingRequest(kind: .deadMan, clientOrderId: ClientOrderId(raw: 0)), lane: .flatten) else { return 0 }
        s.pointee.deadMan.queued = true
        return 1
    }

    /// Writes and sends the switch's request (its turn in the budget came).
    mutating func sendDeadMan(now: Nanos, wall: Nanos) -> Int {
        let s = state
        s.pointee.deadMan.queued = false
        s.pointee.deadMan.dueAt = now + deadManRefresh
        let request: EncodedRequest
        do throws(OrderEncodeError) {
            guard let r = try Script.deadManSwitch(&codec, timeout: s.pointee.deadMan.timeout, wall: wall, buffer: &buffer) else {
                s.pointee.deadMan.unsupported = true
                logger.warning("the venue has no dead-man's switch: its timeout is ignored", metadata: ["timeout_s": "\(s.pointee.deadMan.timeout)"])
                return 0
            }
            request = r
        } catch {
            s.pointee.stats.deadManRefused += 1
            logger.error("dead-man's switch not encoded", metadata: ["error": "\(error)"])
            return 0
        }
        if request.transport == .rest {
            guard let rest, case .success(let h) = buffer.withBytes({ rest.send(request: $0, idempotent: true, now: now) }) else {
                logger.warning("dead-man's switch not sent (REST): tried again at the next refresh")
                return 0
            }
            s.pointee.restRequests[h] = (ClientOrderId(raw: 0), .deadMan, request)
        } else {
            s.pointee.requests[request.requestId] = (ClientOrderId(raw: 0), .deadMan, request)
            if !buffer.withBytes({ connection.send(text: $0) }) {
                s.pointee.requests[request.requestId] = nil
                logger.warning("dead-man's switch not sent: tried again at the next refresh")
                return 0
            }
        }
        return 1
    }

    /// The venue refused the switch: counted, logged on the next poll.
    static func deadManRefused(_ e: VenueOrderError, _ s: UnsafeMutablePointer<OrderSessionState>) {
        s.pointee.stats.deadManRefused += 1
        s.pointee.deadMan.refusal = e
    }
}
