import Glibc
import GantryCore
import GantryNet

/// Our positions against the venues' balances: each asset of a venue moved, between two readings of its balances,
/// exactly by what the fills reported (fees paid). Used by `gantry run`'s closing check, its scheduled sanity
/// checks and `gantry check`.
public enum BalanceCheck {
    /// One asset of one venue: how its balance moved, what the fills say, and whether the two are equal.
    public struct Line: Sendable, Equatable {
        public var venue: String
        public var asset: String
        /// Decimal text, exact.
        public var moved: String
        public var expected: String
        public var ok: Bool

        /// `okx BTC: balance moved 0.02, fills say 0.02 ✓`.
        public var text: String { "\(venue) \(asset): balance moved \(moved), fills say \(expected) \(ok ? "✓" : "✗ MISMATCH")" }
    }

    /// What the fills moved each asset of a venue by: raw at a scale, by asset name.
    public typealias Moves = [String: (raw: Int64, scale: Int)]

    /// Compares one venue's balances `before` and `after` with the fills' `expected` moves, for every asset of
    /// `expected` and of `also` (an asset absent from `expected` should not have moved).
    /// - Throws: `DecimalError` if a balance is not a decimal (the venues' answers were checked when read).
    public static func compare(venue: String, before: VenueBalances.Totals, after: VenueBalances.Totals, expected: Moves, also: Set<String> = []) throws -> [Line] {
        var lines: [Line] = []
        for asset in Set(expected.keys).union(also).sorted() {
            let moved = expected[asset] ?? (0, 0)
            let b = before[asset] ?? "0", a = after[asset] ?? "0"
            let scale = max(decimals(a), decimals(b), moved.scale)
            // Scales are the largest of the three: both balances parse exactly.
            let delta = (try FixedPoint.parse(a, scale: scale)) - (try FixedPoint.parse(b, scale: scale))
            let want = moved.raw * Universe.power(scale - moved.scale)
            lines.append(Line(
                venue: venue, asset: asset, moved: FixedPoint.string(delta, scale: scale, trimTrailingZeros: true),
                expected: FixedPoint.string(want, scale: scale, trimTrailingZeros: true), ok: delta == want))
        }
        return lines
    }

    /// `compare` against each of several states of the fills (taken as fills arrived while the balances were read):
    /// the balances were read at some moment among them. - Returns: the lines of the first state they equal in
    /// every asset, else those of the last. - Throws: `DecimalError` if a balance is not a decimal.
    public static func compare(venue: String, before: VenueBalances.Totals, after: VenueBalances.Totals, anyOf states: [Moves], also: Set<String> = []) throws -> [Line] {
        var lines: [Line] = []
        for m in states {
            lines = try compare(venue: venue, before: before, after: after, expected: m, also: also)
            if lines.allSatisfy(\.ok) { break }
        }
        return lines
    }

    /// `moves − base`, asset by asset, at the larger scale of the two: what the fills moved since a baseline.
    public static func since(_ moves: Moves, _ base: Moves) -> Moves {
        var out = moves
        for (asset, was) in base {
            let now = out[asset] ?? (0, was.scale)
            let scale = max(now.scale, was.scale)
            out[asset] = (now.raw * Universe.power(scale - now.scale) - was.raw * Universe.power(scale - was.scale), scale)
        }
        return out
    }

    /// Adds how each of `assets` moved at this venue to `sums` (raw, scale), for flatness over all venues.
    /// - Throws: `DecimalError` if a balance is not a decimal.
    public static func addMoves(before: VenueBalances.Totals, after: VenueBalances.Totals, assets: Set<String>, into sums: inout [String: (Int64, Int)]) throws {
        for asset in Set(before.keys).union(after.keys) where assets.contains(asset) {
            let b = before[asset] ?? "0", a = after[asset] ?? "0"
            let scale = max(decimals(a), decimals(b), sums[asset]?.1 ?? 0)
            let delta = (try FixedPoint.parse(a, scale: scale)) - (try FixedPoint.parse(b, scale: scale))
            let sum = sums[asset].map { $0.0 * Universe.power(scale - $0.1) } ?? 0
            sums[asset] = (sum + delta, scale)
        }
    }

    /// Decimal places of a decimal text.
    public static func decimals(_ s: String) -> Int { s.firstIndex(of: ".").map { s.distance(from: $0, to: s.endIndex) - 1 } ?? 0 }

    /// Reads a venue's balances, asking `attempts` times a second apart. - Throws: the last failure.
    public static func fetch(
        kind: VenueKind, venue: VenueId, credentials: VenueCredentials, rest: RESTURL, tls: TLSContext?, attempts: Int = 3,
        failed: (Int, Error) -> Void = { _, _ in }
    ) throws -> VenueBalances.Totals {
        var last: Error = GatewayError("\(kind.rawValue): balances not read")
        for attempt in 1...max(1, attempts) {
            do { return try VenueBalances.fetch(kind: kind, venue: venue, credentials: credentials, rest: rest, tls: tls) } catch {
                last = error
                failed(attempt, error)
                if attempt < attempts { usleep(1_000_000) }
            }
        }
        throw last
    }
}

/// Connectivity to a venue: its market-data WebSocket opened (TCP, TLS for wss://, the HTTP upgrade) and closed
/// again; its REST API asked the server time.
public enum VenueConnectivity {
    /// Each venue's public server-time request (no signature): Binance `GET /api/v3/time`, OKX
    /// `GET /api/v5/public/time`, Bybit `GET /v5/market/time`, Kraken `GET /0/public/Time`, Coinbase
    /// `GET /api/v3/brokerage/time`.
    public static func serverTimePath(_ kind: VenueKind) -> String {
        switch kind {
        case .binance: "/api/v3/time"
        case .okx: "/api/v5/public/time"
        case .bybit: "/v5/market/time"
        case .kraken: "/0/public/Time"
        case .coinbase: "/api/v3/brokerage/time"
        }
    }

    /// Asks the venue's REST API its server time. - Returns: how long the answer took. - Throws: `GatewayError`
    /// for no answer within 5 s or an HTTP status other than 200.
    public static func serverTime(kind: VenueKind, rest: RESTURL, tls: TLSContext?, venue: String) throws -> Nanos {
        let started = MonotonicClock.now()
        var request = HTTPRequestWriter(capacity: 256)
        request.write(method: "GET", target: serverTimePath(kind), host: rest.host)
        _ = try request.bytes.withUnsafeBytes { try VenueBalances.send($0, to: rest, tls: tls, venue: venue, what: "server time") }
        return MonotonicClock.now() - started
    }

    /// Opens `url` and waits for the upgrade. - Returns: how long it took. - Throws: `GatewayError` naming what
    /// failed (the connection, the handshake, no answer within `timeout`).
    public static func webSocket(_ url: WebSocketURL, venue: String, tls: TLSContext?, timeout: Nanos = .seconds(5)) throws -> Nanos {
        let started = MonotonicClock.now()
        var ws: WebSocketConnection
        do {
            ws = try WebSocketConnection(address: try resolve(url.host), port: url.port, host: url.host, path: url.path, tls: url.tls ? tls : nil)
        } catch {
            throw GatewayError("\(venue): the WebSocket \(url) cannot be opened: \(error)")
        }
        var outcome: Result<Void, GatewayError>? = nil
        while outcome == nil && MonotonicClock.now() - started < timeout {
            let work = ws.poll { event in
                switch event {
                case .open: outcome = .success(())
                case .failed(let f): outcome = .failure(GatewayError("\(venue): the WebSocket \(url) failed: \(f)"))
                case .closed(let code, _): outcome = .failure(GatewayError("\(venue): the WebSocket \(url) closed (\(code)) before it opened"))
                default: break
                }
            }
            if work == 0 && outcome == nil { usleep(1_000) }
        }
        switch outcome {
        case .success?:
            ws.close()
            _ = ws.flush()
            return MonotonicClock.now() - started
        case .failure(let e)?: throw e
        case nil: throw GatewayError("\(venue): the WebSocket \(url) did not open within \(timeout.raw / 1_000_000_000) s")
        }
    }
}
