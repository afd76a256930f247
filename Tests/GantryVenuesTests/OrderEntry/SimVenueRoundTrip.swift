import Foundation
import GantryCore
import GantryNet
import GantryVenues
import VenueSim

/// A one-venue simulator with one book (a REST endpoint on a free loopback port), paused: the book stays as
/// seeded while a test trades against it.
func orderSimulator(_ kind: SimProtocol, symbol: String, priceScale: Int, quantityScale: Int) throws -> (VenueSimulator, SimVenue) {
    let book = SimulatedBook(
        instrument: SimInstrument(symbol: symbol, priceScale: priceScale, quantityScale: quantityScale, tick: 1, lot: 1_000),
        fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 30, maxLots: 10_000)
    let venue = try SimVenue(name: kind.rawValue, kind: kind, books: [book], restPort: 0)
    let sim = VenueSimulator(
        venues: [venue], markets: [MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 20_000_000)], assignments: [[0]],
        stepsPerSecond: 200, seed: 3)
    sim.paused = true
    return (sim, venue)
}

/// What came back for a request sent as raw bytes.
struct RawResponse {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends `request` (a whole HTTP/1.1 request, exactly as an encoder wrote it) over a real TCP connection to the
/// simulator's REST port, polling the simulator, and reads the response.
func sendRaw(_ request: UnsafeRawBufferPointer, to sim: VenueSimulator, port: Int, seconds: Double = 3) throws -> RawResponse? {
    let socket = try TCPSocket.connect(host: "127.0.0.1", port: port)
    let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
    while socket.connectState() == .inProgress && MonotonicClock.now() < deadline {
        _ = sim.poll()
        usleep(200)
    }
    var sent = 0
    while sent < request.count && MonotonicClock.now() < deadline {
        switch socket.send(UnsafeRawBufferPointer(rebasing: request[sent...])) {
        case .sent(let n): sent += n
        case .wouldBlock: break
        case .failed: return nil
        }
        _ = sim.poll()
    }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while MonotonicClock.now() < deadline {
        _ = sim.poll()
        let result = chunk.withUnsafeMutableBytes { socket.receive(into: $0) }
        if case .bytes(let n, _) = result { received += chunk[0..<n] }
        if case .closed = result { break }
        let parsed = try received.withUnsafeBytes { bytes -> RawResponse? in
            guard case .head(let head) = try parseHTTPHead(bytes) else { return nil }
            var decoder = HTTPBodyDecoder(framing: try HTTPBodyFraming.of(head))
            _ = try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[head.length...]))
            return decoder.isComplete ? RawResponse(status: head.status, body: decoder.body) : nil
        }
        if let parsed { return parsed }
        usleep(200)
    }
    return nil
}

/// The value of header `name` in a request written by an encoder (tests).
func header(_ name: String, in request: String) -> String? {
    for line in request.components(separatedBy: "\r\n") where line.hasPrefix(name + ": ") { return String(line.dropFirst(name.count + 2)) }
    return nil
}

/// The body of a request written by an encoder (tests).
func requestBody(of request: String) -> String { request.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") }
