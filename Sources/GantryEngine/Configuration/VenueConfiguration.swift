import GantryCore
import TOMLKit

/// The venue protocols Gantry speaks.
public enum VenueKind: String, Sendable, CaseIterable, Codable {
    case binance, coinbase, kraken, okx, bybit
}

/// One venue's market-data connection and its instruments, from the `[[venues]]` tables of the configuration.
public struct VenueConfiguration: Sendable, Equatable {
    public var name: String
    public var kind: VenueKind
    /// The public market-data WebSocket, e.g. `wss://stream.bybit.com/v5/public/spot`.
    public var endpoint: WebSocketURL
    /// The simulator's endpoint for the same venue (`gantry feed --sim`).
    public var simEndpoint: WebSocketURL?
    /// Order-book depth to subscribe (where the venue takes one).
    public var depth: Int
    /// The venue's REST API (`https://api.binance.com`), for venues whose book snapshots come over REST.
    public var restEndpoint: RESTURL?
    /// The simulator's REST endpoint (`gantry feed --sim`).
    public var simRestEndpoint: RESTURL?
    /// Taker fee in hundredths of a basis point (10 bp = 1,000), for the consolidated book.
    public var takerFeeCentiBasisPoints: Int
    public var instruments: [InstrumentSpec]
    /// A book that hears nothing this long while its connection is open is taken for a stuck stream: marked
    /// stale and resynced (nil: never). `book_silence_ms`, default 30 s, 0 turns it off.
    public var bookSilence: Nanos? = .seconds(30)
    /// OKX's `instIdCode` of an instrument, by symbol, where the configuration gives it (`inst_id_code`); the
    /// others are read from OKX's instrument list at start (`OKXInstrumentCodes`).
    public var instIdCodes: [String: UInt64] = [:]
    /// The venue's dead-man's switch timeout in seconds, armed by its order session and refreshed every third of it
    /// (0: off). `dead_man_s`, default 60 where the venue has one (Kraken: under 86,400; OKX: 10 to 120), else 0.
    public var deadManSeconds = 0
}

/// A `ws://` or `wss://` URL taken apart: what a WebSocket connection needs.
public struct WebSocketURL: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    public var path: String

    /// - Returns: nil unless `text` is `ws://host[:port][/path]` or `wss://…` with a valid port.
    public init?(_ text: String) {
        let tls: Bool
        var rest: Substring
        if text.hasPrefix("wss://") {
            tls = true
            rest = text.dropFirst(6)
        } else if text.hasPrefix("ws://") {
            tls = false
            rest = text.dropFirst(5)
        } else {
            return nil
        }
        var path = "/"
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = tls ? 443 : 80
        if rest.hasPrefix("[") {
            // An IPv6 literal: [::1]:8443
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65_535).contains(p) else { return nil }
                port = p
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(p) else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" }) else { return nil }
        self.tls = tls
        self.host = host
        self.port = port
        self.path = path
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "wss" : "ws")://\(h):\(port)\(path)"
    }
}

/// An `http://` or `https://` base URL taken apart (host and port; no path).
public struct RESTURL: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int

    /// - Returns: nil unless `text` is `http://host[:port]` or `https://…` with a valid port and no path.
    public init?(_ text: String) {
        let ws: String
        if text.hasPrefix("https://") { ws = "wss://" + text.dropFirst(8) } else if text.hasPrefix("http://") { ws = "ws://" + text.dropFirst(7) } else { return nil }
        guard let u = WebSocketURL(ws), u.path == "/" || u.path.isEmpty else { return nil }
        tls = u.tls
        host = u.host
        port = u.port
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "https" : "http")://\(h):\(port)"
    }
}

/// Why the venues' configuration was refused: each names the venue and key.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case syntax(String)
    case noVenues
    case invalid(venue: String, key: String, why: String)
    case instruments(InstrumentError)

    public var description: String {
        switch self {
        case .syntax(let s): "configuration is not valid TOML: \(s)"
        case .noVenues: "no [[venues]] configured"
        case .invalid(let v, let k, let why): "venue \(v): \(k) \(why)"
        case .instruments(let e): "instruments: \(e)"
        }
    }
}

/// The venues and their instruments, checked, with the instruments interned to ids.
public struct MarketConfiguration: Sendable {
    public var venues: [VenueConfiguration]
    public var registry: InstrumentRegistry

    /// Reads the `[[venues]]` tables (other tables of the file are for other parts of Gantry).
    /// The dead-man's switch timeout a venue gets unless configured: 60 s where it has one (Kraken, OKX), else 0.
    static func defaultDeadMan(_ kind: VenueKind) -> Int { kind == .kraken || kind == .okx ? 60 : 0 }

    /// Why `seconds` is not a dead-man's switch timeout `kind` takes (nil: it is). Kraken: under 86,400 s
    /// (docs.kraken.com, websocket-v2 cancel_after); OKX: 10 to 120 s (docs-v5, Cancel All After); Binance spot,
    /// Bybit (not armed) and Coinbase: none.
    static func deadManProblem(_ kind: VenueKind, _ seconds: Int) -> String? {
        if seconds == 0 { return nil }
        switch kind {
        case .kraken: return (1..<86_400).contains(seconds) ? nil : "must be 0 (off) or 1…86399 for Kraken, got \(seconds)"
        case .okx: return (10...120).contains(seconds) ? nil : "must be 0 (off) or 10…120 for OKX, got \(seconds)"
        default: return "must be 0: \(kind.rawValue) has no dead-man's switch for spot, got \(seconds)"
        }
    }

    /// The `[[venues]]` tables as read (also what `ConfigurationCheck` takes the known keys from).
    struct File: Decodable { var venues: [Venue]? }
    struct Venue: Decodable {
        var name: String
        var kind: String
        var endpoint: String
        var sim_endpoint: String?
        var rest_endpoint: String?
        var sim_rest_endpoint: String?
        var depth: Int?
        var taker_fee_bp: String?
        var book_silence_ms: Int?
        var dead_man_s: Int?
        var instruments: [Item]?
    }
    struct Item: Decodable {
        var symbol: String
        var tick_size: String
        var lot_size: String
        var price_scale: Int
        var quantity_scale: Int
        var inst_id_code: Int?
    }

    /// - Throws: `ConfigurationError` naming the first problem.
    public init(toml: String) throws(ConfigurationError) {
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw .syntax(String(describing: error))
        }
        guard let venues = file.venues, !venues.isEmpty else { throw .noVenues }
        var out: [VenueConfiguration] = []
        var specs: [InstrumentSpec] = []
        var names: Set<String> = []
        for v in venues {
            guard !v.name.isEmpty, names.insert(v.name).inserted else {
                throw .invalid(venue: v.name, key: "name", why: "is empty or used twice")
            }
            guard let kind = VenueKind(rawValue: v.kind) else {
                throw .invalid(venue: v.name, key: "kind", why: "is \"\(v.kind)\"; expected one of \(VenueKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let endpoint = WebSocketURL(v.endpoint) else {
                throw .invalid(venue: v.name, key: "endpoint", why: "is not a ws:// or wss:// URL: \(v.endpoint)")
            }
            var sim: WebSocketURL? = nil
            if let s = v.sim_endpoint {
                guard let u = WebSocketURL(s) else { throw .invalid(venue: v.name, key: "sim_endpoint", why: "is not a ws:// or wss:// URL: \(s)") }
                sim = u
            }
            var rest: RESTURL? = nil
            var simRest: RESTURL? = nil
            for (key, value) in [("rest_endpoint", v.rest_endpoint ?? (kind == .binance ? "https://api.binance.com" : nil)), ("sim_rest_endpoint", v.sim_rest_endpoint)] {
                guard let value else { continue }
                guard let u = RESTURL(value) else { throw .invalid(venue: v.name, key: key, why: "is not an http:// or https:// URL without a path: \(value)") }
                if key == "rest_endpoint" { rest = u } else { simRest = u }
            }
            if kind == .binance && sim != nil && simRest == nil {
                throw .invalid(venue: v.name, key: "sim_rest_endpoint", why: "is required with sim_endpoint (Binance's snapshots come over REST)")
            }
            let depth = v.depth ?? Self.defaultDepth(kind)
            guard Self.depths(kind).contains(depth) else {
                throw .invalid(venue: v.name, key: "depth", why: "is \(depth); \(kind.rawValue) offers \(Self.depths(kind).map(String.init).joined(separator: ", "))")
            }
            // The fee in basis points as decimal text ("10", "7.5"), held exactly in hundredths of one.
            let feeText = v.taker_fee_bp ?? "10"
            let centi: Int64
            do throws(DecimalError) {
                centi = try FixedPoint.parse(feeText, scale: 2)
            } catch {
                throw .invalid(venue: v.name, key: "taker_fee_bp", why: "is not a decimal with at most two places: \(feeText) (\(error))")
            }
            guard centi >= 0, centi <= 100_000 else {
                throw .invalid(venue: v.name, key: "taker_fee_bp", why: "must be 0…1000, got \(feeText)")
            }
            let silence = v.book_silence_ms ?? 30_000
            guard silence == 0 || (100...3_600_000).contains(silence) else {
                throw .invalid(venue: v.name, key: "book_silence_ms", why: "must be 0 (off) or 100…3600000, got \(silence)")
            }
            let deadMan = v.dead_man_s ?? Self.defaultDeadMan(kind)
            if let why = Self.deadManProblem(kind, deadMan) { throw .invalid(venue: v.name, key: "dead_man_s", why: why) }
            guard let items = v.instruments, !items.isEmpty else {
                throw .invalid(venue: v.name, key: "instruments", why: "is empty: configure at least one [[venues.instruments]]")
            }
            let instruments = items.map {
                InstrumentSpec(
                    venue: v.name, symbol: $0.symbol, tickSize: $0.tick_size, lotSize: $0.lot_size, priceScale: $0.price_scale,
                    quantityScale: $0.quantity_scale)
            }
            for i in instruments {
                for (key, scale) in [("price_scale", i.priceScale), ("quantity_scale", i.quantityScale)]
                where scale < 0 || scale > FixedPoint.maxScale {
                    throw .invalid(venue: v.name, key: "\(i.symbol).\(key)", why: "is \(scale); must be 0…\(FixedPoint.maxScale)")
                }
            }
            var codes: [String: UInt64] = [:]
            for item in items {
                guard let code = item.inst_id_code else { continue }
                let key = "\(item.symbol).inst_id_code"
                guard kind == .okx else { throw .invalid(venue: v.name, key: key, why: "is OKX's instrument ID code; \(kind.rawValue) has none") }
                guard code > 0 else { throw .invalid(venue: v.name, key: key, why: "must be a positive integer (OKX's instIdCode), got \(code)") }
                codes[item.symbol] = UInt64(code)
            }
            specs += instruments
            out.append(
                VenueConfiguration(
                    name: v.name, kind: kind, endpoint: endpoint, simEndpoint: sim, depth: depth, restEndpoint: rest, simRestEndpoint: simRest,
                    takerFeeCentiBasisPoints: Int(centi), instruments: instruments,
                    bookSilence: silence == 0 ? nil : .milliseconds(Int64(silence)), instIdCodes: codes, deadManSeconds: deadMan))
        }
        do throws(InstrumentError) {
            registry = try InstrumentRegistry(specs)
        } catch {
            throw .instruments(error)
        }
        self.venues = out
    }

    /// The depths each venue's book channel offers (Binance's diff stream is full depth: its snapshot size).
    static func depths(_ kind: VenueKind) -> [Int] {
        switch kind {
        case .binance: [100, 500, 1_000, 5_000]
        case .coinbase: [5_000]
        case .kraken: [10, 25, 100, 500, 1_000]
        case .okx: [400]
        case .bybit: [1, 50, 200, 1_000]
        }
    }

    static func defaultDepth(_ kind: VenueKind) -> Int {
        switch kind {
        case .binance: 1_000
        case .coinbase: 5_000
        case .kraken: 100
        case .okx: 400
        case .bybit: 200
        }
    }
}
