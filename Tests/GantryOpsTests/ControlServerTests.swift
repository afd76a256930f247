import Foundation
import GantryCore
import GantryNet
import GantryOps
import Synchronization
import Testing

/// A control server on a loopback port with an owner thread that answers from the exchange, as `gantry run`'s
/// watching thread does.
final class ServedControl: @unchecked Sendable {
    // @unchecked Sendable: `server` and `exchange` are Sendable; `stop` is atomic; the owner thread is joined in `close`.
    let exchange = ControlExchange()
    let server: ControlServer
    let stopping = Atomic<Bool>(false)
    let done = Atomic<Bool>(false)
    static let token = "t0ken-for-the-control-plane-tests"

    init(answering: Bool = true, ownerTimeout: Nanos = .seconds(2)) throws {
        server = try ControlServer(host: "127.0.0.1", port: 0, token: Secret(Self.token), page: Dashboard.page, exchange: exchange)
        server.ownerTimeout = ownerTimeout
        server.start()
        let exchange = exchange
        Thread.detachNewThread { [self] in
            var commands = 0
            while !stopping.load(ordering: .acquiring) {
                if answering {
                    exchange.serve { c in
                        commands += 1
                        switch c {
                        case .status: return ControlReply(.json(.object([("commands", .int(commands))])))
                        case .metrics: return ControlReply(.text("# HELP gantry_x_total X.\n# TYPE gantry_x_total counter\ngantry_x_total 1\n"))
                        case .kill:
                            exchange.killLine("KILL SWITCH (test)")
                            let from = exchange.killLineCount
                            return ControlReply(.text("kill switch fired"), streamKillReportFrom: from)
                        case .pause, .resume: return ControlReply(.text(c.rawValue + "d"))
                        }
                    }
                }
                usleep(1_000)
            }
            done.store(true, ordering: .releasing)
        }
    }

    func client(token: String? = ServedControl.token) throws -> ControlClient {
        try ControlClient(url: "http://127.0.0.1:\(server.port)", token: token.map(Secret.init))
    }

    func close() {
        stopping.store(true, ordering: .releasing)
        while !done.load(ordering: .acquiring) { usleep(1_000) }
        server.stop()
    }
}

@Suite("The control plane's HTTP server on real sockets")
struct ControlServerTests {
    @Test("/metrics needs no token; /status, /kill, /pause, /resume answer 401 without it or with a wrong one, and their owner's answer with it")
    func authentication() throws {
        let s = try ServedControl()
        defer { s.close() }
        let anonymous = try s.client(token: nil)
        let metrics = try anonymous.request("GET", "/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("gantry_x_total 1"))
        for (method, path) in [("GET", "/status"), ("POST", "/kill"), ("POST", "/pause"), ("POST", "/resume")] {
            let r = try anonymous.request(method, path)
            #expect(r.status == 401 && r.head.header("WWW-Authenticate") == "Bearer realm=\"gantry\"", "\(method) \(path) without a token")
            #expect(try s.client(token: "wrong").request(method, path).status == 401, "\(method) \(path) with a wrong token")
            #expect(try s.client(token: ServedControl.token + "x").request(method, path).status == 401, "a longer token is not a match")
        }
        #expect(s.exchange.killLineCount == 0, "no refused request reached the owner")
        let client = try s.client()
        let status = try client.request("GET", "/status")
        #expect(status.status == 200 && status.head.header("Content-Type") == "application/json" && status.text.contains("\"commands\""))
        #expect(try client.request("POST", "/pause").text == "paused\n")
        #expect(try client.request("GET", "/pause").status == 405)
        #expect(try client.request("GET", "/nothing").status == 404)
        let page = try anonymous.request("GET", "/")
        #expect(page.status == 200 && page.text.hasPrefix("<!DOCTYPE html>") && page.head.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        #expect(!page.text.contains(ServedControl.token), "the page holds no token")
    }

    @Test("POST /kill?follow=1 answers, then streams each kill-report line as the owner says it, and ends when the report ends")
    func followKill() throws {
        let s = try ServedControl()
        defer { s.close() }
        let exchange = s.exchange
        let client = try s.client()
        Thread.detachNewThread {
            while exchange.killLineCount == 0 { usleep(1_000) }
            for step in ["  orders cancelled at every venue +1.0 ms", "  every position flat (risk's ledger) +2.0 ms", "result: ok: flat"] {
                usleep(30_000)
                exchange.killLine(step)
            }
            exchange.finishKillReport()
        }
        var lines: [String] = []
        let r = try client.request("POST", "/kill?follow=1", timeout: 10) { lines.append($0) }
        #expect(r.status == 200)
        #expect(lines == ["kill switch fired", "  orders cancelled at every venue +1.0 ms", "  every position flat (risk's ledger) +2.0 ms", "result: ok: flat"])
    }

    @Test("an owner that does not answer: /status gets the last answer it gave, or 503 when it never gave one")
    func busyOwner() throws {
        let s = try ServedControl(answering: false, ownerTimeout: .milliseconds(200))
        defer { s.close() }
        let r = try s.client().request("GET", "/status")
        #expect(r.status == 503)
        _ = s.exchange.serve { _ in ControlReply(.text("unused")) }
        #expect(!s.exchange.hasPending, "the abandoned request was dropped")
    }

    @Test("keep-alive: two requests on one connection are both answered, in order")
    func keepAlive() throws {
        let s = try ServedControl()
        defer { s.close() }
        let socket = try TCPSocket.connect(host: "127.0.0.1", port: s.server.port)
        while socket.connectState() == .inProgress { usleep(1_000) }
        let two = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nPOST /resume HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(ServedControl.token)\r\nContent-Length: 0\r\n\r\n"
        _ = Array(two.utf8).withUnsafeBytes { socket.send($0) }
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline && !String(decoding: got, as: UTF8.self).contains("resumed") {
            if case .bytes(let n, _) = buffer.withUnsafeMutableBytes({ socket.receive(into: $0) }) { got += buffer[0..<n] } else { usleep(1_000) }
        }
        let text = String(decoding: got, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3 && text.hasSuffix("resumed\n"), "\(text)")
        _ = consume socket
    }

    @Test("a request is read the same whole, byte by byte, and split at every offset")
    func readerSplits() throws {
        let request = Array("POST /kill?follow=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc\r\nContent-Length: 3\r\n\r\nxyzGET / HTTP/1.1\r\n\r\n".utf8)
        func read(_ pieces: [[UInt8]]) throws -> [ControlHTTPRequest] {
            var reader = ControlRequestReader()
            var out: [ControlHTTPRequest] = []
            for p in pieces {
                p.withUnsafeBytes { reader.feed($0) }
                while let r = try reader.next() { out.append(r) }
            }
            return out
        }
        let whole = try read([request])
        #expect(whole.count == 2 && whole[0].path == "/kill" && whole[0].flag("follow") && whole[0].bearer == "abc" && whole[0].body == Array("xyz".utf8) && whole[1].path == "/")
        #expect(try read(request.map { [$0] }) == whole)
        for k in 1..<request.count { #expect(try read([Array(request[..<k]), Array(request[k...])]) == whole, "split at \(k)") }
        var reader = ControlRequestReader()
        Array("POST /kill HTTP/1.1\r\nContent-Length: 99999\r\n\r\n".utf8).withUnsafeBytes { reader.feed($0) }
        #expect(throws: ControlHTTPError.tooLarge) { try reader.next() }
    }
}
