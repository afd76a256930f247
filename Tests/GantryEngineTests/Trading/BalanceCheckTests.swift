import GantryCore
import GantryEngine
import GantryNet
import GantryTestSupport
import Testing
import VenueSim

/// Positions against the venues' balances: the comparison the closing check, the scheduled sanity checks and
/// `gantry check` share.
@Suite("BalanceCheck: balances moved by exactly what the fills say")
struct BalanceCheckTests {
    let before: VenueBalances.Totals = ["BTC": "5", "USDT": "1000000.5", "ETH": "2"]

    @Test("balances moved by the fills (at other scales than the balances' text) are equal; an asset the fills did not touch must not move")
    func equalMoves() throws {
        let after: VenueBalances.Totals = ["BTC": "5.02", "USDT": "997999.9616", "ETH": "2"]
        let lines = try BalanceCheck.compare(
            venue: "okx", before: before, after: after, expected: ["BTC": (2_000_000, 8), "USDT": (-20_005_384, 4)], also: ["ETH"])
        #expect(lines.map(\.asset) == ["BTC", "ETH", "USDT"] && lines.allSatisfy { $0.ok }, "\(lines.map(\.text))")
        #expect(lines[0].text == "okx BTC: balance moved 0.02, fills say 0.02 ✓")
    }

    @Test("a balance changed behind our back is a mismatch, named with both figures")
    func mismatch() throws {
        let after: VenueBalances.Totals = ["BTC": "5.52", "USDT": "1000000.5", "ETH": "2.1"]
        let lines = try BalanceCheck.compare(venue: "okx", before: before, after: after, expected: ["BTC": (2_000_000, 8)], also: ["ETH", "USDT"])
        #expect(lines.filter { !$0.ok }.map(\.text) == ["okx BTC: balance moved 0.52, fills say 0.02 ✗ MISMATCH", "okx ETH: balance moved 0.1, fills say 0 ✗ MISMATCH"])
    }

    @Test("against several states of the fills, balances read between two fills match one of them; a difference that none explains stays")
    func anyOfStates() throws {
        let states: [BalanceCheck.Moves] = [["BTC": (0, 8)], ["BTC": (1_000_000, 8)], ["BTC": (3_000_000, 8)]]
        let between = try BalanceCheck.compare(venue: "bybit", before: before, after: ["BTC": "5.01"], anyOf: states)
        #expect(between.allSatisfy { $0.ok })
        let none = try BalanceCheck.compare(venue: "bybit", before: before, after: ["BTC": "5.02"], anyOf: states)
        #expect(none.map(\.text) == ["bybit BTC: balance moved 0.02, fills say 0.03 ✗ MISMATCH"], "the last state is named")
    }

    @Test("moves since a baseline subtract asset by asset at the finer scale; flatness sums each base asset over venues")
    func sinceAndSums() throws {
        let moved = BalanceCheck.since(["BTC": (5, 2), "USDT": (-100, 0)], ["BTC": (1_000_000, 8), "ETH": (3, 1)])
        #expect(moved["BTC"]! == (4_000_000, 8) && moved["USDT"]! == (-100, 0) && moved["ETH"]! == (-3, 1))
        var sums: [String: (Int64, Int)] = [:]
        try BalanceCheck.addMoves(before: ["BTC": "1"], after: ["BTC": "1.5"], assets: ["BTC"], into: &sums)
        try BalanceCheck.addMoves(before: ["BTC": "2", "USDT": "1"], after: ["BTC": "1.45", "USDT": "9"], assets: ["BTC"], into: &sums)
        #expect(sums["BTC"]! == (-5, 2) && sums["USDT"] == nil)
    }
}

/// Connectivity to the simulated venues over real sockets: the market-data WebSocket and the public server time.
@Suite("VenueConnectivity against VenueSim", .serialized)
struct VenueConnectivityTests {
    @Test("each venue's WebSocket opens; Binance's and Bybit's server time answers; a closed port and an unknown path are named failures")
    func connectivity() throws {
        EndToEndTests.setSecrets()
        let simulator = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(simulator)
        defer { thread.stop() }
        let (binance, okx, bybit) = (simulator.venues[0], simulator.venues[1], simulator.venues[2])
        for (name, url) in [("binance", "ws://127.0.0.1:\(binance.port)/stream"), ("okx", "ws://127.0.0.1:\(okx.port)/ws/v5/public"), ("bybit", "ws://127.0.0.1:\(bybit.port)/v5/public/spot")] {
            let took = try VenueConnectivity.webSocket(try #require(WebSocketURL(url)), venue: name, tls: nil)
            #expect(took < .seconds(5), "\(name) opened")
        }
        for (kind, venue) in [(VenueKind.binance, binance), (.bybit, bybit)] {
            _ = try VenueConnectivity.serverTime(kind: kind, rest: try #require(RESTURL("http://127.0.0.1:\(venue.restPort!)")), tls: nil, venue: kind.rawValue)
        }
        // A port nothing listens on (the simulator's, once it stopped serving is racy: one taken and freed here).
        let listener = try TCPListener(host: "127.0.0.1", port: 0, backlog: 1)
        let closed = listener.port
        _ = consume listener
        #expect { _ = try VenueConnectivity.webSocket(try #require(WebSocketURL("ws://127.0.0.1:\(closed)/ws")), venue: "gone", tls: nil, timeout: .seconds(2)) } throws: { "\($0)".contains("gone") }
        #expect { _ = try VenueConnectivity.serverTime(kind: .binance, rest: try #require(RESTURL("http://127.0.0.1:\(okx.restPort!)")), tls: nil, venue: "okx") } throws: {
            "\($0)".contains("okx: server time answered HTTP")
        }
    }
}
