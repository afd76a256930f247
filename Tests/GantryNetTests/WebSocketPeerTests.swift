import Foundation
import GantryCore
import GantryNet
import Testing

/// A Python peer server from Tests/peers/ (the `websockets` server, or http.server) in the virtualenv
/// `make test` prepares: it prints its port, and serves until its stdin closes.
final class PythonPeer {
    let process = Process()
    let stdin = Pipe()
    let port: Int

    /// The `websockets` server.
    /// - Parameter compress: Accept permessage-deflate (and so compress what it sends).
    convenience init(tls: TestPKI?, compress: Bool = false) throws {
        try self.init(
            script: "Tests/peers/ws_peer.py",
            arguments: ["server"] + (tls.map { ["--tls", $0.certificateFile, $0.keyFile] } ?? []) + (compress ? ["--compress"] : []))
    }

    init(script: String, arguments: [String]) throws {
        let python = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw NetError.system(operation: "find .venv/bin/python (make test creates it)", errno: ENOENT)
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NetError.system(operation: "start the Python peer \(script)", errno: EIO)
        }
        self.port = port
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Polls `client` until `until` holds or three seconds pass; returns the events in order.
func run(_ client: inout WebSocketConnection, until: ([String]) -> Bool) -> [String] {
    var events: [String] = []
    let deadline = MonotonicClock.now() + .seconds(3)
    while MonotonicClock.now() < deadline && !until(events) {
        _ = client.poll { e in
            switch e {
            case .open: events.append("open")
            case .message(let op, let p, _):
                events.append(op == .text ? "text:\(String(decoding: p, as: UTF8.self))" : "binary:\(p.count):\(Array(p) == (0..<p.count).map { UInt8($0 % 251) })")
            case .pong(let p): events.append("pong:\(String(decoding: p, as: UTF8.self))")
            case .closed(let code, let clean): events.append("closed:\(code):\(clean)")
            case .failed(let why): events.append("failed:\(why)")
            }
        }
        usleep(200)
    }
    return events
}

func sendText(_ client: inout WebSocketConnection, _ text: String) {
    let ok = Array(text.utf8).withUnsafeBytes { client.send(.text, $0) }
    #expect(ok.isAccepted)
}

@Suite("WebSocket client against Python websockets", .serialized)
struct WebSocketPeerTests {
    @Test("echo, fragmented messages, server pings, 64-bit lengths and the peer's close; plain and TLS, with and without permessage-deflate", arguments: [false, true], [false, true])
    func conformance(tls: Bool, compressed: Bool) throws {
        let pki = try TestPKI.shared.get()
        let peer = try PythonPeer(tls: tls ? pki : nil, compress: compressed)
        var client = try WebSocketConnection(
            address: "127.0.0.1", port: peer.port, host: tls ? "venue.test" : "127.0.0.1:\(peer.port)", path: "/",
            tls: tls ? TLSContext(clientTrusting: pki.caFile) : nil, maxMessage: 1 << 20, compression: compressed)
        #expect(run(&client) { $0.contains("open") } == ["open"])
        let agreed = client.deflate
        #expect((agreed != nil) == compressed, "permessage-deflate agreed: \(String(describing: agreed))")

        sendText(&client, "hello κόσμε")
        #expect(run(&client) { !$0.isEmpty } == ["text:hello κόσμε"])

        sendText(&client, "fragmented")
        #expect(run(&client) { !$0.isEmpty } == ["text:fragmented"])

        sendText(&client, "ping")  // the server pings us; our automatic pong releases its "pong-ok"
        #expect(run(&client) { !$0.isEmpty } == ["text:pong-ok"])

        for size in [125, 126, 65_535, 65_536, 300_000] {
            sendText(&client, "big \(size)")
            #expect(run(&client) { !$0.isEmpty } == ["binary:\(size):true"], "size \(size)")
        }

        let payload = [UInt8](repeating: 0x5A, count: 70_000)
        let sent = payload.withUnsafeBytes { client.send(.binary, $0) }
        #expect(sent.isAccepted)
        let echoed = run(&client) { !$0.isEmpty }
        #expect(echoed.first?.hasPrefix("binary:70000") == true)

        let pinged = Array("gantry".utf8).withUnsafeBytes { client.ping($0) }
        #expect(pinged)
        #expect(run(&client) { !$0.isEmpty } == ["pong:gantry"])

        sendText(&client, "close")
        #expect(run(&client) { $0.contains { $0.hasPrefix("closed") } } == ["closed:4001:true"])
    }

    @Test("our close handshake completes with the Python server")
    func ourClose() throws {
        let peer = try PythonPeer(tls: nil)
        var client = try WebSocketConnection(address: "127.0.0.1", port: peer.port, host: "127.0.0.1", path: "/", tls: nil)
        #expect(run(&client) { $0.contains("open") } == ["open"])
        client.close(code: .normal)
        #expect(run(&client) { $0.contains { $0.hasPrefix("closed") } } == ["closed:1000:true"])
    }
}
