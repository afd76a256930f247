import Foundation
import GantryCore
import GantryNet
import Testing

/// One poll of a connection: records its events ("open", "text:…", "binary:N", "pong:…", "closed:C:clean",
/// "failed:…") and, if `echo`, sends every message back after the poll.
func step(_ connection: inout WebSocketConnection, echo: Bool, _ events: inout [String]) {
    var replies: [(WebSocketOpcode, [UInt8])] = []
    _ = connection.poll { e in
        switch e {
        case .open: events.append("open")
        case .message(let op, let p, _):
            events.append(op == .text ? "text:" + String(decoding: p, as: UTF8.self) : "binary:\(p.count)")
            if echo { replies.append((op, Array(p))) }
        case .pong(let p): events.append("pong:" + String(decoding: p, as: UTF8.self))
        case .closed(let c, let clean): events.append("closed:\(c):\(clean)")
        case .failed(let why): events.append("failed:\(why)")
        }
    }
    for (op, bytes) in replies { _ = bytes.withUnsafeBytes { connection.send(op, $0) } }
}

func acceptConnection(_ listener: borrowing TCPListener, tls: TLSContext?, compression: Bool = false) throws -> WebSocketConnection {
    try WebSocketConnection(accepted: try acceptEventually(listener), tls: tls, compression: compression)
}

@Suite("WebSocket server connections", .serialized)
struct WebSocketServerTests {
    @Test("our client and our server talk, plain and over TLS, and close cleanly", arguments: [false, true])
    func clientAndServer(tls: Bool) throws {
        let pki = try TestPKI.shared.get()
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        var client = try WebSocketConnection(
            address: "127.0.0.1", port: listener.port, host: "venue.test", path: "/ws",
            tls: tls ? TLSContext(clientTrusting: pki.caFile) : nil)
        var server = try acceptConnection(listener, tls: tls ? TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile) : nil)
        var c: [String] = []
        var s: [String] = []
        func pump(_ until: ([String], [String]) -> Bool) {
            let deadline = MonotonicClock.now() + .seconds(3)
            while MonotonicClock.now() < deadline && !until(c, s) {
                step(&client, echo: false, &c)
                step(&server, echo: true, &s)
                usleep(100)
            }
        }
        pump { c, s in c.contains("open") && s.contains("open") }
        #expect(c == ["open"] && s == ["open"])
        _ = Array("hi".utf8).withUnsafeBytes { client.send(.text, $0) }
        pump { c, _ in c.count == 2 }
        #expect(c.last == "text:hi")
        _ = [UInt8](repeating: 9, count: 100_000).withUnsafeBytes { client.send(.binary, $0) }
        pump { c, _ in c.count == 3 }
        #expect(c.last == "binary:100000")
        _ = Array("x".utf8).withUnsafeBytes { client.ping($0) }
        pump { c, _ in c.count == 4 }
        #expect(c.last == "pong:x")
        client.close(code: .normal)
        pump { c, s in c.last?.hasPrefix("closed") == true && s.last?.hasPrefix("closed") == true }
        #expect(c.last == "closed:1000:true")
        #expect(s.last == "closed:1000:true")
    }

    @Test("the Python websockets client conforms with our server, plain and over TLS, with and without permessage-deflate", arguments: [false, true], [false, true])
    func pythonClient(tls: Bool, compressed: Bool) throws {
        let pki = try TestPKI.shared.get()
        let python = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "make test creates .venv")
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["Tests/peers/ws_peer.py", "client", "\(tls ? "wss" : "ws")://127.0.0.1:\(listener.port)/"]
            + (tls ? ["--ca", pki.caFile] : []) + (compressed ? ["--compress"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var server = try acceptConnection(
            listener, tls: tls ? TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile) : nil, compression: compressed)
        var events: [String] = []
        let deadline = MonotonicClock.now() + .seconds(10)
        while process.isRunning && MonotonicClock.now() < deadline {
            step(&server, echo: true, &events)
            usleep(100)
        }
        for _ in 0..<50 { step(&server, echo: true, &events) }
        process.waitUntilExit()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "python said: \(said)")
        #expect(said.contains("ok"))
        #expect(events.first == "open")
        #expect(events.contains("text:hello κόσμε") && events.contains("text:fragmented") && events.contains("binary:100000"))
        #expect(events.last == "closed:1000:true")
    }

    @Test("an unmasked client frame is refused with 1002, and the close frame tells the client")
    func unmaskedClientFrame() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let raw = try TCPSocket.connect(host: "127.0.0.1", port: listener.port)
        var server = try acceptConnection(listener, tls: nil)
        _ = WebSocketHandshake.clientRequest(host: "h", path: "/", key: "dGhlIHNhbXBsZSBub25jZQ==").withUnsafeBytes { raw.send($0) }
        var events: [String] = []
        for _ in 0..<200 where !events.contains("open") {
            step(&server, echo: true, &events)
            usleep(100)
        }
        let response = receiveAll(raw, count: 129).0
        #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
        _ = ([0x81, 0x02] + Array("hi".utf8)).withUnsafeBytes { raw.send($0) }
        for _ in 0..<200 where !events.contains(where: { $0.hasPrefix("closed") }) {
            step(&server, echo: true, &events)
            usleep(100)
        }
        #expect(events == ["open", "failed:protocol violation: client frame is not masked", "closed:1002:false"])
        #expect(receiveAll(raw, count: 4).0 == [0x88, 0x02, 0x03, 0xEA])  // close 1002, unmasked from a server
    }

    @Test("a request that is not an upgrade gets 400 and the connection fails with the reason")
    func notAnUpgrade() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let raw = try TCPSocket.connect(host: "127.0.0.1", port: listener.port)
        var server = try acceptConnection(listener, tls: nil)
        _ = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8).withUnsafeBytes { raw.send($0) }
        var events: [String] = []
        for _ in 0..<200 where !events.contains(where: { $0.hasPrefix("closed") }) {
            step(&server, echo: true, &events)
            usleep(100)
        }
        #expect(events.first == "failed:bad handshake request: no Upgrade: websocket")
        #expect(String(decoding: receiveAll(raw, count: 12).0, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
    }
}
