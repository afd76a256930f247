import Foundation
import GantryTestSupport
import GantryCore
import GantryNet
import Testing
import VenueSim

/// The shared WebSocket test client (GantryTestSupport), by the name these tests use.
typealias TestClient = SimTestClient

/// A one-venue simulator with BTC and ETH books, paused (no steps) unless told otherwise.
func testSimulator(
    _ kind: SimProtocol, symbols: [String], priceScale: Int = 2, quantityScale: Int = 8, paused: Bool = true, seed: UInt64 = 3,
    restPort: Int? = nil
) throws -> (VenueSimulator, SimVenue) {
    let books = symbols.map {
        SimulatedBook(
            instrument: SimInstrument(symbol: $0, priceScale: priceScale, quantityScale: quantityScale, tick: 1, lot: 1_000),
            fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 30, maxLots: 10_000)
    }
    let venue = try SimVenue(name: kind.rawValue, kind: kind, books: books, restPort: kind == .binance ? 0 : restPort)
    let sim = VenueSimulator(
        venues: [venue], markets: [MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 20_000_000)],
        assignments: [symbols.map { _ in 0 }], stepsPerSecond: 200, seed: seed)
    sim.paused = paused
    return (sim, venue)
}

/// A JSON object from text (the tests' view of a venue message).
func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
}

/// A JSON text's keys in order, each with the kind of its value (`s` string, `n` number, `o` object, `a` array,
/// `b` boolean, `z` null): two messages with the same shape have the same fields, in the same order and types.
func shape(_ text: String) -> [String] {
    let b = Array(text.utf8)
    var out: [String] = []
    var i = 0
    while i < b.count {
        guard b[i] == 0x22 else { i += 1; continue }
        var j = i + 1
        while j < b.count && b[j] != 0x22 { j += b[j] == 0x5C ? 2 : 1 }
        let string = String(decoding: b[(i + 1)..<min(j, b.count)], as: UTF8.self)
        var k = j + 1
        while k < b.count && b[k] == 0x20 { k += 1 }
        if k < b.count && b[k] == 0x3A {
            k += 1
            while k < b.count && b[k] == 0x20 { k += 1 }
            let kind: String
            switch k < b.count ? b[k] : 0 {
            case 0x22: kind = "s"
            case 0x7B: kind = "o"
            case 0x5B: kind = "a"
            case 0x74, 0x66: kind = "b"
            case 0x6E: kind = "z"
            default: kind = "n"
            }
            out.append(string + ":" + kind)
        }
        i = j + 1
    }
    return out
}

/// The first line of a recording (`RecordedVenueData`).
func recordedLine(_ path: String) throws -> String { try RecordedVenueData.lines(path).first ?? "" }

/// The order refusals every venue's WebSocket order API shares, in one rate window: a reject fault, a rate-limit
/// fault, then the connection's own rate (`wsOrderLimit` 2: the third order); none of them executed.
/// - Parameters:
///   - place: Places an IOC buy with the given client id; returns the venue's error (code or text).
///   - reject, rateLimited: The venue's answers for a rejected and a rate-limited order.
///   - base: What account 1 holds of the base asset (unchanged throughout).
func expectOrderRefusals(_ venue: SimVenue, place: (String) -> String?, reject: String, rateLimited: String, base: String) {
    let held = venue.ledger.balance(1, base)
    venue.wsOrderWindow = .seconds(3_600)  // one window for the whole sequence (windows are aligned to the clock)
    venue.faults.inject(.reject)
    #expect(place("g0000000000000002") == reject)
    venue.faults.inject(.rateLimit)
    #expect(place("g0000000000000003") == rateLimited)
    venue.wsOrderLimit = 2
    #expect(place("g0000000000000004") == rateLimited, "the third order in the window")
    #expect(venue.ledger.balance(1, base) == held, "nothing was executed")
    venue.wsOrderLimit = 0
}
