import Foundation
import GantryCore
import GantryNet
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Closes `fd` with a reset (SO_LINGER 0): the peer's next send fails with ECONNRESET, or EPIPE after it.
func arrangeReset(_ fd: Int32) {
    var l = linger(l_onoff: 1, l_linger: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
}

/// Forbidden outcome: bytes accepted to send and lost without a word (on the order path, a lost order).
@Suite("WebSocket write failures", .serialized)
struct WebSocketWriteFailureTests {
    /// An open client, plain or TLS, whose server has reset the connection after `before` ran on the client.
    func clientAfterReset(tls: Bool, before: (inout WebSocketConnection) -> Void = { _ in }) throws -> WebSocketConnection {
        let pki = try TestPKI.shared.get()
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        var client = try WebSocketConnection(
            address: "127.0.0.1", port: listener.port, host: "venue.test", path: "/orders",
            tls: tls ? TLSContext(clientTrusting: pki.caFile) : nil)
        var server = try acceptConnection(listener, tls: tls ? TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile) : nil)
        var c: [String] = []
        var s: [String] = []
        let deadline = MonotonicClock.now() + .seconds(3)
        while MonotonicClock.now() < deadline && !(c.contains("open") && s.contains("open")) {
            step(&client, echo: false, &c)
            step(&server, echo: false, &s)
            usleep(100)
        }
        #expect(c == ["open"] && s == ["open"])
        before(&client)
        arrangeReset(server.fd)
        _ = consume server
        usleep(20_000)  // the reset crosses loopback
        return client
    }

    @Test("a peer that resets the connection while messages are queued: the flush names the send error and the unsent messages, and poll reports it once", arguments: [false, true])
    func resetWhileQueued(tls: Bool) throws {
        // One message the peer gets, then the peer resets the connection.
        var client = try clientAfterReset(tls: tls) { client in
            #expect(Array(#"{"order":1}"#.utf8).withUnsafeBytes { client.send(.text, $0) } == .sent(message: 1))
        }
        // Three orders queued, not yet flushed.
        for k in 2...4 {
            let r = Array(#"{"order":\#(k)}"#.utf8).withUnsafeBytes { client.send(.text, $0, flush: false) }
            #expect(r == .queued(message: UInt64(k)))
        }
        let queued = client.pendingSend
        #expect(queued > 0)
        #expect(client.flush() == 0)
        let left = client.failure
        let failure = try #require(left, "the failed flush must leave a failure")
        #expect(failure.reason == .send(errno: ECONNRESET) || failure.reason == .send(errno: EPIPE), "\(failure)")
        #expect(failure.code == .abnormal)
        #expect(failure.unsent.messages == 3 && failure.unsent.firstMessage == 2, "\(failure)")
        // Under TLS the unsent bytes are the records they were encrypted into.
        #expect(tls ? failure.unsent.bytes > queued : failure.unsent.bytes == queued, "\(failure)")
        #expect("\(failure)".contains("messages 2...4"))
        #expect(client.state == .closed)
        // A send after it is refused with the same failure, not queued.
        #expect(Array("late".utf8).withUnsafeBytes { client.send(.text, $0) } == .failed(failure))
        // poll reports the end once: the failure, then the close.
        var events: [WebSocketConnectionEvent] = []
        var failures: [WebSocketFailure] = []
        for _ in 0..<3 {
            _ = client.poll { e in
                if case .failed(let f) = e { failures.append(f) }
                if case .closed = e { events.append(e) }
            }
        }
        #expect(failures == [failure])
        #expect(events.count == 1)
        if case .closed(let code, let clean) = events.first {
            #expect(code == .abnormal && !clean)
        }
    }

    @Test("a send that meets the reset itself fails at once with the message it carried unsent", arguments: [false, true])
    func resetOnSend(tls: Bool) throws {
        var client = try clientAfterReset(tls: tls)
        let payload = [UInt8](repeating: 0x41, count: 10_000)
        let result = payload.withUnsafeBytes { client.send(.binary, $0) }
        guard case .failed(let failure) = result else {
            Issue.record("the send should fail, got \(result)")
            return
        }
        #expect(failure.unsent.messages == 1 && failure.unsent.firstMessage == 1)
        #expect(failure.unsent.bytes >= 10_000)
        var reported: [String] = []
        step(&client, echo: false, &reported)
        #expect(reported == ["failed:\(failure)", "closed:1006:false"])
    }

    @Test("a peer that resets while the client reads: the receive names the error and the connection closes with 1006", arguments: [false, true])
    func resetWhileReading(tls: Bool) throws {
        var client = try clientAfterReset(tls: tls)
        var events: [String] = []
        step(&client, echo: false, &events)
        #expect(events == ["failed:receive failed (errno \(ECONNRESET))", "closed:1006:false"])
        #expect(client.failure?.reason == .receive(errno: ECONNRESET))
    }
}
