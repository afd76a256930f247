import Foundation
import GantryCore
import GantryNet
import Testing

/// Python's http.server (Tests/peers/http_peer.py), plain or TLS.
func httpPeer(tls: Bool) throws -> PythonPeer {
    var arguments: [String] = []
    if tls {
        let pki = try TestPKI.shared.get()
        arguments = ["--tls", pki.certificateFile, pki.keyFile]
    }
    return try PythonPeer(script: "Tests/peers/http_peer.py", arguments: arguments)
}

/// Sends the requests and polls until each has a result (or `within` passes).
func exchange(
    _ client: HTTPClient, _ requests: [(String, String)], body: [UInt8] = [], within: Nanos = .seconds(5)
) -> [Result<HTTPResponse, HTTPClientError>?] {
    var ids: [HTTPRequestId] = []
    for (method, target) in requests {
        guard case .success(let id) = client.send(method: method, target: target, body: body) else { return [] }
        ids.append(id)
    }
    var results = [HTTPRequestId: Result<HTTPResponse, HTTPClientError>]()
    let deadline = MonotonicClock.now() + within
    while results.count < ids.count && MonotonicClock.now() < deadline {
        client.poll { id, result in results[id] = result }
        usleep(100)
    }
    return ids.map { results[$0] }
}

func text(_ result: Result<HTTPResponse, HTTPClientError>?) -> String {
    switch result {
    case .success(let r)?: "\(r.status) \(String(decoding: r.body, as: UTF8.self))"
    case .failure(let e)?: "error: \(e)"
    case nil: "no result"
    }
}

@Suite("HTTP/1.1 client pool against Python http.server", .serialized)
struct HTTPClientTests {
    @Test("keep-alive: one connection carries sequential requests; chunked and content-length bodies", arguments: [false, true])
    func keepAlive(tls: Bool) throws {
        let peer = try httpPeer(tls: tls)
        let context = tls ? try TLSContext(clientTrusting: TestPKI.shared.get().caFile) : nil
        let client = HTTPClient(address: "127.0.0.1", port: peer.port, host: tls ? "venue.test" : "127.0.0.1", tls: context)
        for k in 1...3 {
            #expect(text(exchange(client, [("GET", "/count")])[0]) == "200 n=\(k)")
        }
        #expect(text(exchange(client, [("GET", "/chunked")])[0]) == "200 alphabetagamma")
        let echoed = exchange(client, [("POST", "/echo")], body: Array("{\"symbol\":\"BTCUSDT\"}".utf8))
        #expect(text(echoed[0]) == "200 {\"symbol\":\"BTCUSDT\"}")
        #expect(client.connectionsOpened == 1)
        #expect(client.openConnections == 1)
    }

    @Test("parallel requests use up to maxConnections connections, then queue")
    func pool() throws {
        let peer = try httpPeer(tls: false)
        let client = HTTPClient(address: "127.0.0.1", port: peer.port, host: "127.0.0.1", tls: nil, maxConnections: 3)
        let start = MonotonicClock.now()
        let results = exchange(client, Array(repeating: ("GET", "/slow?ms=300"), count: 6))
        let elapsed = MonotonicClock.now() - start
        #expect(results.map(text) == Array(repeating: "200 slow", count: 6))
        #expect(client.connectionsOpened == 3)
        // Two waves of three: about 600 ms, not 1800 (serial) nor 300 (unbounded).
        #expect(elapsed >= .milliseconds(550))
        #expect(elapsed < .milliseconds(1_500))
    }

    @Test("Connection: close and an idle close by the server: the next request opens a new connection")
    func serverCloses() throws {
        let peer = try httpPeer(tls: false)
        let client = HTTPClient(address: "127.0.0.1", port: peer.port, host: "127.0.0.1", tls: nil)
        #expect(text(exchange(client, [("GET", "/close")])[0]) == "200 bye")
        #expect(text(exchange(client, [("GET", "/count")])[0]) == "200 n=1")
        #expect(client.connectionsOpened == 2)
        // The server drops the connection after answering without saying so; the GET after it (sent at
        // once on the same poll, as the connection looked idle) is retried once on a fresh connection.
        let results = exchange(client, [("GET", "/drop-after"), ("GET", "/count")])
        #expect(text(results[0]) == "200 last")
        #expect(text(results[1]) == "200 n=1")
    }

    @Test("a request timeout fails the request and closes its connection; the pool goes on")
    func timeout() throws {
        let peer = try httpPeer(tls: false)
        let client = HTTPClient(address: "127.0.0.1", port: peer.port, host: "127.0.0.1", tls: nil, requestTimeout: .milliseconds(200))
        let slow = exchange(client, [("GET", "/slow?ms=1000")])
        #expect(text(slow[0]) == "error: HTTP timeout: no complete response in time")
        #expect(client.openConnections == 0)
        #expect(text(exchange(client, [("GET", "/count")])[0]) == "200 n=1")
    }

    @Test("bad responses, hang-ups, refused connections and untrusted servers fail with their reason")
    func failures() throws {
        let peer = try httpPeer(tls: false)
        let client = HTTPClient(address: "127.0.0.1", port: peer.port, host: "127.0.0.1", tls: nil)
        #expect(text(exchange(client, [("GET", "/bad")])[0]).hasPrefix("error: malformed HTTP response"))
        #expect(text(exchange(client, [("GET", "/hangup")])[0]) == "error: HTTP connection closed before the response was complete")
        #expect(text(exchange(client, [("GET", "/missing")])[0]).hasPrefix("404 "))

        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let closedPort = listener.port
        _ = consume listener
        let refused = HTTPClient(address: "127.0.0.1", port: closedPort, host: "127.0.0.1", tls: nil)
        #expect(text(exchange(refused, [("GET", "/")])[0]) == "error: HTTP connect failed: TCP connect failed (errno 111)")

        let tlsPeer = try httpPeer(tls: true)
        let wrongName = HTTPClient(
            address: "127.0.0.1", port: tlsPeer.port, host: "other.test", tls: try TLSContext(clientTrusting: TestPKI.shared.get().caFile)
        )
        #expect(text(exchange(wrongName, [("GET", "/count")])[0]).contains("hostname mismatch"))
    }

    @Test("a full queue refuses at once")
    func queueFull() {
        let client = HTTPClient(address: "127.0.0.1", port: 9, host: "127.0.0.1", tls: nil, maxQueued: 2)
        _ = client.send(method: "GET", target: "/")
        _ = client.send(method: "GET", target: "/")
        guard case .failure(let e) = client.send(method: "GET", target: "/") else {
            Issue.record("a third request was queued")
            return
        }
        #expect(e == .queueFull)
    }
}
