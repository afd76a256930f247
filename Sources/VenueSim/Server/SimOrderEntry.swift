import GantryCore

// WebSocket order entry, what every venue shares: the per-connection order rate and the rate-limit fault, the
// late-fill, ack-timeout and duplicate-report faults, and sending replies and user-stream messages through the
// venue's latency. Each venue's WebSocket handler calls its REST handler's own place and cancel functions, so an
// order meets the same checks, matching, faults and user-stream pushes whichever way it came.

/// What the rate check of one WebSocket order request found.
struct SimOrderAdmission {
    /// False: answer with the venue's rate-limit error and do not execute.
    var admitted: Bool
    /// Requests counted in the connection's current window, this one included.
    var count: Int
    /// When the window ends (venue milliseconds): when to retry.
    var windowEndMs: Int64
}

extension SimVenue {
    /// Counts an order request in `client`'s current window. - Returns: not admitted if a rate-limit fault hits
    /// it or the connection is over `wsOrderLimit` in the window (the request counts either way).
    func admitOrder(_ client: SimClient) -> SimOrderAdmission {
        let ms = venueMilliseconds
        let windowMs = max(1, wsOrderWindow.raw / 1_000_000)
        if ms / windowMs != client.orderWindow {
            client.orderWindow = ms / windowMs
            client.ordersInWindow = 0
        }
        client.ordersInWindow += 1
        let end = (ms / windowMs + 1) * windowMs
        if faults.take(.rateLimit, elapsed: elapsed) || (wsOrderLimit > 0 && client.ordersInWindow > wsOrderLimit) {
            stats.rejectedRequests += 1
            return SimOrderAdmission(admitted: false, count: client.ordersInWindow, windowEndMs: end)
        }
        return SimOrderAdmission(admitted: true, count: client.ordersInWindow, windowEndMs: end)
    }

    /// Runs an order's execution; under a late-fill fault its user-stream messages are held back (the fault's
    /// `milliseconds`, or `lateFillDelay`) while its response goes out at once.
    func executing<R>(_ body: () -> R) -> R {
        guard let fault = faults.hit(.lateFill, elapsed: elapsed) else { return body() }
        lateReports = now + (fault.milliseconds > 0 ? .milliseconds(Int64(fault.milliseconds)) : lateFillDelay)
        defer { lateReports = nil }
        return body()
    }

    /// A WebSocket order request's response: never sent under an ack-timeout fault (the request was executed),
    /// else sent as a user-stream message is.
    func orderResponse(_ client: SimClient, _ text: String) {
        if faults.take(.ackTimeout, elapsed: elapsed) { return }
        send(client, Array(text.utf8), book: false)
    }

    /// A user-stream message (an order update, an execution, a balance): through the venue's latency, held back
    /// under a late-fill fault, and a fill's report (`fill`) sent twice under a duplicate-report fault.
    func privateSend(_ client: SimClient, _ text: String, fill: Bool = false) {
        let bytes = Array(text.utf8)
        let copies = fill && faults.take(.duplicateReport, elapsed: elapsed) ? 2 : 1
        for _ in 0..<copies {
            if let due = lateReports {
                client.late.append((due, bytes))
            } else {
                send(client, bytes, book: false)
            }
        }
    }
}
