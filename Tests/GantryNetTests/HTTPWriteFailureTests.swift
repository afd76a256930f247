import Foundation
import GantryCore
@testable import GantryNet
import Testing

/// Forbidden outcome: a request whose connection broke reported as anything but the failure that broke it.
@Suite("HTTP connection failures", .serialized)
struct HTTPWriteFailureTests {
    @Test("a server that resets the connection after reading the request: the request fails with the receive error")
    func resetAfterRequest() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let client = HTTPClient(address: "127.0.0.1", port: listener.port, host: "127.0.0.1", tls: nil)
        guard case .success(let id) = client.send(method: "POST", target: "/api/v3/order", body: Array("symbol=BTCUSDT".utf8)) else {
            Issue.record("the request was not taken")
            return
        }
        var results: [HTTPRequestId: Result<HTTPResponse, HTTPClientError>] = [:]
        var reset = false
        let deadline = MonotonicClock.now() + .seconds(5)
        while results[id] == nil && MonotonicClock.now() < deadline {
            client.poll { id, result in results[id] = result }
            if !reset, let server = try listener.accept() {
                // Read the whole request (polling the client meanwhile), then reset.
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4_096)
                while !String(decoding: request, as: UTF8.self).contains("symbol=BTCUSDT") && MonotonicClock.now() < deadline {
                    client.poll { id, result in results[id] = result }
                    if case .bytes(let n, _) = buffer.withUnsafeMutableBytes({ server.receive(into: $0) }) { request += buffer[0..<n] }
                    usleep(200)
                }
                arrangeReset(server.fd)
                reset = true
            }
            usleep(200)
        }
        #expect(reset)
        guard case .failure(let error)? = results[id] else {
            Issue.record("expected a failure, got \(String(describing: results[id]))")
            return
        }
        #expect(error == .receive(errno: ECONNRESET), "\(error)")
    }

    @Test("a send into a reset connection names the errno and the bytes the socket never took")
    func sendIntoReset() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let connection = try HTTPConnection(address: "127.0.0.1", port: listener.port, host: "127.0.0.1", tls: nil, deadline: MonotonicClock.now() + .seconds(5))
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline {
            if case .ready = connection.poll(now: MonotonicClock.now()) { break }
            usleep(200)
        }
        var reset = false
        while !reset && MonotonicClock.now() < deadline {
            if let server = try listener.accept() {
                arrangeReset(server.fd)
                reset = true
            }
        }
        #expect(reset)
        usleep(20_000)
        let request = Array("POST /api/v3/order HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8)
        request.withUnsafeBytes { connection.start($0, deadline: MonotonicClock.now() + .seconds(5)) }
        guard case .failed(let error, _) = connection.poll(now: MonotonicClock.now()) else {
            Issue.record("the request should fail")
            return
        }
        #expect(error == .send(errno: ECONNRESET, unsentBytes: request.count) || error == .send(errno: EPIPE, unsentBytes: request.count), "\(error)")
        #expect(connection.isClosed)
    }
}
