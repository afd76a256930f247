import Foundation
import GantryCore
import GantryNet
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A scripted WebSocket server for client tests: it accepts one connection (optionally over TLS), answers the
/// upgrade with our server handshake, and then writes whatever frames a test asks for, valid or not.
final class ScriptedServer {
    let listener: TCPListener
    var socket: TCPSocket?
    var hasSocket = false
    var tls: TLSSession?
    var plaintext: [UInt8] = []
    var upgraded = false
    let tlsContext: TLSContext?

    init(tls: TLSContext? = nil) throws {
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        tlsContext = tls
    }

    var port: Int { listener.port }

    /// Does the server's share of I/O: accept, TLS, read, answer the upgrade.
    func step() throws {
        if !hasSocket {
            guard let s = try listener.accept() else { return }
            socket = consume s
            hasSocket = true
            if let tlsContext { tls = try TLSSession(server: tlsContext) }
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let r = buffer.withUnsafeMutableBytes { socket!.receive(into: $0) }
            guard case .bytes(let n, _) = r else { break }
            if tlsContext != nil {
                buffer[0..<n].withUnsafeBytes { tls!.feedCiphertext($0) }
                _ = try? tls!.handshake()
                var out = [UInt8](repeating: 0, count: 65_536)
                while let (m, _) = try? out.withUnsafeMutableBytes({ try tls!.readPlaintext(into: $0) }), m > 0 { plaintext += out[0..<m] }
            } else {
                plaintext += buffer[0..<n]
            }
        }
        flushTLS()
        if !upgraded, let head = try plaintext.withUnsafeBytes({ try parseHTTPHead($0) }) as HTTPHeadResult?, case .head(let h) = head {
            plaintext.removeFirst(h.length)
            write(try WebSocketHandshake.serverResponse(to: h))
            upgraded = true
        }
    }

    func flushTLS() {
        guard tlsContext != nil, hasSocket else { return }
        var out = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = out.withUnsafeMutableBytes { tls!.takeCiphertext(into: $0) }
            if n == 0 { break }
            _ = out[0..<n].withUnsafeBytes { socket!.send($0) }
        }
    }

    /// Sends raw bytes (through TLS if any).
    func write(_ bytes: [UInt8]) {
        if tlsContext != nil {
            _ = bytes.withUnsafeBytes { try? tls!.writeAllPlaintext($0) }
            flushTLS()
        } else {
            _ = bytes.withUnsafeBytes { socket!.send($0) }
        }
    }

    /// The client frames received so far (unmasked), as (opcode, payload).
    func frames() -> [(WebSocketOpcode, [UInt8])] {
        var result: [(WebSocketOpcode, [UInt8])] = []
        let parser = WebSocketFrameParser(role: .server)
        while true {
            let r = plaintext.withUnsafeMutableBytes { parser.parse($0) }
            guard case .frame(let h) = r else { break }
            result.append((h.opcode, Array(plaintext[h.payloadOffset..<h.frameLength])))
            plaintext.removeFirst(h.frameLength)
        }
        return result
    }
}

/// Polls a client and a server in turn until `until` is true or two seconds pass; returns the client's events.
func drive(_ client: inout WebSocketConnection, _ server: ScriptedServer, until: ([String]) -> Bool) throws -> [String] {
    var events: [String] = []
    let deadline = MonotonicClock.now() + .seconds(3)
    while MonotonicClock.now() < deadline && !until(events) {
        try server.step()
        _ = client.poll { e in
            switch e {
            case .open: events.append("open")
            case .message(let op, let p, let at):
                events.append("\(op == .text ? "text" : "binary"):\(String(decoding: p, as: UTF8.self))")
                #expect(at > .zero)
            case .pong(let p): events.append("pong:\(String(decoding: p, as: UTF8.self))")
            case .closed(let code, let clean): events.append("closed:\(code):\(clean)")
            case .failed(let why): events.append("failed:\(why)")
            }
        }
        usleep(100)
    }
    return events
}

func makeServer(tls: Bool = false) throws -> ScriptedServer {
    let pki = try TestPKI.shared.get()
    return try ScriptedServer(tls: tls ? TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile) : nil)
}

func makeClient(_ server: ScriptedServer, host: String = "venue.test") throws -> WebSocketConnection {
    let pki = try TestPKI.shared.get()
    return try WebSocketConnection(
        address: "127.0.0.1", port: server.port, host: host, path: "/ws",
        tls: server.tlsContext != nil ? TLSContext(clientTrusting: pki.caFile) : nil)
}

@Suite("WebSocket client against a scripted server", .serialized)
struct WebSocketClientTests {
    @Test("plain and TLS: open, messages (whole and fragmented with a ping inside), automatic pong, our sends arrive masked",
          arguments: [false, true])
    func conversation(tls: Bool) throws {
        let server = try makeServer(tls: tls)
        var client = try makeClient(server)
        var events = try drive(&client, server) { $0.contains("open") }
        #expect(events == ["open"])
        server.write(frame(.text, hello))
        server.write(frame(.text, Array("par".utf8), fin: false) + frame(.ping, Array("are you there".utf8))
            + frame(.continuation, Array("tial".utf8)))
        server.write(frame(.binary, [0x41, 0x42]))
        events = try drive(&client, server) { $0.count >= 3 }
        #expect(events == ["text:Hello", "text:partial", "binary:AB"])
        let sent = Array("{\"method\":\"SUBSCRIBE\"}".utf8).withUnsafeBytes { client.send(.text, $0) }
        #expect(sent.isAccepted)
        _ = try drive(&client, server) { _ in server.plaintext.count >= 40 }
        let frames = server.frames()
        #expect(frames.map(\.0) == [.pong, .text])
        #expect(frames.first?.1 == Array("are you there".utf8))
        #expect(frames.last?.1 == Array("{\"method\":\"SUBSCRIBE\"}".utf8))
    }

    @Test("the peer's close is answered and reported as clean")
    func peerCloses() throws {
        let server = try makeServer()
        var client = try makeClient(server)
        _ = try drive(&client, server) { $0.contains("open") }
        server.write(closeFrame(1001, Array("restart".utf8)))
        let events = try drive(&client, server) { $0.contains { $0.hasPrefix("closed") } }
        #expect(events == ["closed:1001:true"])
        _ = try drive(&client, server) { _ in !server.plaintext.isEmpty }
        #expect(server.frames().map(\.0) == [.close])
        let state = client.state
        #expect(state == .closed)
    }

    static let violations: [(String, [UInt8], UInt16)] = [
        ("reserved bit", [0xA1, 0x00], 1002),
        ("unknown opcode", [0x83, 0x00], 1002),
        ("fragmented ping", [0x09, 0x00], 1002),
        ("masked server frame", [0x81, 0x80, 1, 2, 3, 4], 1002),
        ("invalid UTF-8", frame(.text, [0xC0, 0x80]), 1007),
        ("oversize frame", [0x82, 0x7F, 0, 0, 0, 0, 0x40, 0, 0, 0], 1009),
        ("continuation without start", frame(.continuation, hello), 1002),
    ]

    @Test("bad input from the server: the client closes with the right code, reports why, and does not crash",
          arguments: 0..<7)
    func violation(index: Int) throws {
        let (name, bytes, code) = Self.violations[index]
        let server = try makeServer()
        var client = try makeClient(server)
        _ = try drive(&client, server) { $0.contains("open") }
        server.write(bytes)
        let events = try drive(&client, server) { $0.contains { $0.hasPrefix("closed") } }
        #expect(events.count == 2, "\(name): \(events)")
        #expect(events.first?.hasPrefix("failed:protocol violation") == true, "\(name)")
        #expect(events.last == "closed:\(code):false", "\(name)")
        _ = try drive(&client, server) { _ in !server.plaintext.isEmpty }
        let frames = server.frames()
        #expect(frames.map(\.0) == [.close], "\(name)")
        #expect(frames.first.map { UInt16($0.1[0]) << 8 | UInt16($0.1[1]) } == code, "\(name)")
    }

    @Test("a TLS server with the wrong name is refused before any HTTP is sent")
    func tlsWrongHost() throws {
        let server = try makeServer(tls: true)
        var client = try makeClient(server, host: "api.binance.com")
        let events = try drive(&client, server) { $0.contains { $0.hasPrefix("closed") } }
        #expect(events.first == "failed:TLS peer verification failed: hostname mismatch")
        #expect(!server.upgraded)
    }

    @Test("a refused connection is reported")
    func refused() throws {
        var port = 0
        do { port = try TCPListener(host: "127.0.0.1", port: 0).port }
        var client = try WebSocketConnection(address: "127.0.0.1", port: port, host: "x", path: "/", tls: nil)
        var events: [String] = []
        let deadline = MonotonicClock.now() + .seconds(2)
        while events.isEmpty && MonotonicClock.now() < deadline {
            _ = client.poll { if case .failed(let why) = $0 { events.append("\(why)") } }
            usleep(100)
        }
        #expect(events.first?.hasPrefix("connect failed") == true)
    }
}

@Suite("WebSocket bursts", .serialized)
struct WebSocketBurstTests {
    /// Forbidden outcome: a message lost (or a false "closed") when more arrives at once than the buffer holds.
    @Test("a burst many times the receive buffer arrives whole, plain and over TLS", arguments: [false, true])
    func burst(tls: Bool) throws {
        let pki = try TestPKI.shared.get()
        let server = try makeServer(tls: tls)
        var client = try WebSocketConnection(
            address: "127.0.0.1", port: server.port, host: "venue.test", path: "/",
            tls: tls ? TLSContext(clientTrusting: pki.caFile) : nil, maxMessage: 1_024)
        _ = try drive(&client, server) { $0.contains("open") }
        var burst: [UInt8] = []
        for i in 0..<400 { burst += frame(.text, Array(String(format: "%04d", i).utf8) + [UInt8](repeating: 0x2E, count: 496)) }
        server.write(burst)  // 200 kB at once; the client's buffer is 2 × 1 kB + 16 kB
        let events = try drive(&client, server) { $0.count >= 400 || $0.contains { $0.hasPrefix("closed") } }
        #expect(events.count == 400)
        #expect(events.first?.hasPrefix("text:0000") == true && events.last?.hasPrefix("text:0399") == true)
    }
}
