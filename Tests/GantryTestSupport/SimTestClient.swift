import Foundation
import GantryCore
import GantryNet
import VenueSim

/// A WebSocket client of a simulated venue for tests: sends text, keeps every text message received, and polls
/// the simulator while it waits (a real socket on loopback).
public final class SimTestClient {
    public var ws: WebSocketConnection
    public var received: [String] = []
    public var open = false
    public var closed = false

    public init(port: Int, path: String) throws {
        ws = try WebSocketConnection(address: "127.0.0.1", port: port, host: "sim.test", path: path, tls: nil)
    }

    public func poll() {
        var texts: [String] = []
        var opened = false
        var ended = false
        _ = ws.poll { event in
            switch event {
            case .open: opened = true
            case .message(_, let p, _): texts.append(String(decoding: p, as: UTF8.self))
            case .closed: ended = true
            default: break
            }
        }
        if opened { open = true }
        if ended { closed = true }
        received += texts
    }

    public func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { ws.send(.text, $0) } }

    /// Polls the simulator and this client until `done` or the time is up. - Returns: whether `done` held.
    @discardableResult
    public func pump(_ sim: VenueSimulator, seconds: Double = 3, until done: (SimTestClient) -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
        while MonotonicClock.now() < deadline {
            _ = sim.poll()
            poll()
            if done(self) { return true }
            usleep(200)
        }
        return false
    }

    /// Opens the connection, then sends `text` and waits for `count` more messages.
    @discardableResult
    public func request(_ sim: VenueSimulator, _ text: String, expecting count: Int = 1) -> [String] {
        pump(sim) { $0.open }
        let before = received.count
        send(text)
        pump(sim) { $0.received.count >= before + count }
        return Array(received[before...])
    }
}
