import GantryCore
import GantryNet
import Foundation

/// A WebSocket client of a simulated venue (a class: a venue holds several; the connection is non-copyable).
/// Its per-message properties are `@exclusivity(unchecked)`, for the reason given on `SimulatedBook`.
final class SimClient {
    @exclusivity(unchecked)
    var ws: WebSocketConnection
    let id: Int
    @exclusivity(unchecked)
    var open = false
    @exclusivity(unchecked)
    var gone = false
    @exclusivity(unchecked)
    var topics: [TopicKey] = []
    /// Binance: the combined stream (`/stream`, wrapped in `{"stream":…,"data":…}`) or a raw one (`/ws`).
    @exclusivity(unchecked)
    var combined = true
    /// Binance: the stream names subscribed, as the client wrote them, and the name of each book channel.
    var streams: [String] = []
    @exclusivity(unchecked)
    var streamNames: [TopicKey: String] = [:]
    /// Binance: a WebSocket API connection (`/ws-api/v3`) rather than a market stream.
    var wsAPI = false
    /// Coinbase: the connection's `sequence_num`, one per message sent.
    var sequence: Int64 = 0
    /// Coinbase `heartbeats`, Kraken's heartbeat: sent once a second.
    var heartbeats = false
    var lastHeartbeat = Nanos.zero
    var heartbeatCounter: Int64 = 0
    /// Messages kept back by a reorder fault, each sent after the next message of the same channel.
    @exclusivity(unchecked)
    var held: [TopicKey: [UInt8]] = [:]
    /// Messages delayed by a latency fault, with when they are due and whether they are market data.
    @exclusivity(unchecked)
    var delayed: [(due: Nanos, bytes: [UInt8], book: Bool)] = []
    /// User-stream messages a late-fill fault holds back, each sent when due (not in line with the others).
    var late: [(due: Nanos, bytes: [UInt8])] = []
    /// WebSocket order requests in the current rate window (fixed windows from the epoch of the venue's clock),
    /// and orders placed on the connection in all.
    var orderWindow: Int64 = -1
    var ordersInWindow = 0
    var ordersPlaced = 0

    init(ws: consuming WebSocketConnection, id: Int) {
        self.ws = ws
        self.id = id
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { ws.send(.text, $0, flush: false) }
    }
}

/// A listening socket a class can hold as an optional (the socket itself is non-copyable).
final class SimListener {
    let listener: TCPListener
    init(_ listener: consuming TCPListener) { self.listener = listener }
}

/// One WebSocket message a venue sent or received, for a recording.
public struct SimRecord: Sendable {
    public var venue: String
    public var client: Int
    /// Received from the client (a request), or sent to it.
    public var received: Bool
    /// Monotonic time of the poll that handled it.
    public var time: Nanos
    public var bytes: [UInt8]

    /// One line of a recording: `time<TAB>venue<TAB>client<TAB>in|out<TAB>message` (line breaks in the
    /// message escaped as \n).
    public var line: String {
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n")
        return "\(time.raw)\t\(venue)\t\(client)\t\(received ? "in" : "out")\t\(text)"
    }
}
