import GantryCore
import GantryLoop
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// One problem `gantry config check` names: what kind, where in the file, and why. Never holds a secret's value.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case syntax = "syntax"
        case unknownKey = "unknown key"
        case badValue = "bad value"
        case badLimit = "bad limit"
        case missingSecret = "missing secret"
        case unknownVenue = "unknown venue"
        case unknownInstrument = "unknown instrument"
        case topology = "topology"
    }

    public var kind: Kind
    /// Where: `venues[binance].latency_budget_ms`, `strategies[arb].pair`, `topology.runner[hot].cpu`.
    public var location: String
    public var message: String

    public var description: String { "\(kind.rawValue): \(location): \(message)" }
}

/// `gantry config check`: every problem of a configuration file at once, where the parsers `gantry run` uses stop
/// at the first. It walks the TOML table: keys no parser reads (the known keys are the parsers' own, found by
/// `KeyProbe`), values the parsers' own helpers refuse, limits out of range, secrets that are not there (an
/// environment variable unset, a file absent, empty or not 0600; the value is never shown), venue kinds Gantry
/// does not speak, pairs no instrument trades, and a topology this machine cannot run. Then it runs the parsers
/// themselves and adds what they refuse that the walk did not name, so a file that passes here also loads.
///
/// A new section read by a new `Decodable` table must be added to `knownKeys` so its keys are not reported unknown.
public enum ConfigurationCheck {
    /// The keys the parsers read: `[[venues]]`, `[[strategies]]`, `[risk]`, `[router]`, `[train]`, `[[topology.runner]]`.
    static let knownKeys: KeyProbe = {
        struct TopologyFile: Decodable {
            struct Section: Decodable { var runner: [RunnerConfig] }
            var topology: Section
        }
        var probe = KeyProbe()
        probe.add(MarketConfiguration.File.self)
        probe.add(TradingConfiguration.File.self)
        probe.add(FlowTrainingConfiguration.File.self)
        probe.add(TopologyFile.self)
        probe.add(ChainConfiguration.File.self)
        return probe
    }()

    /// A section read by a module above this one (`[control]`, `[alerts]`, `[bus]`, …): its table's `Decodable`
    /// type, for `run`'s `sections`, so that its keys are known.
    public struct Section: Sendable {
        let add: @Sendable (inout KeyProbe) -> Void
        public static func decodable<T: Decodable>(_ type: T.Type) -> Section { Section { $0.add(type) } }
        /// A table read key by key: `table`'s `keys`, and those of them that are tables of free-form keys.
        public static func keys(table: String, _ keys: Set<String>, maps: Set<String> = []) -> Section {
            Section { probe in
                probe.keys.insert(table)
                for k in keys where !maps.contains(k) { probe.keys.insert(table + "." + k) }
                for m in maps { probe.maps.insert(table + "." + m) }
            }
        }
    }

    /// Checks `toml` against this machine's CPUs and NUMA nodes and the secrets it can see.
    /// - Parameters:
    ///   - environment: Looks up an environment variable (the process's by default).
    ///   - sections: The tables read by modules above this one (their keys are known too).
    /// - Returns: Every problem found, in file order within each kind of check; empty when the file is good.
    public static func run(
        toml: String, machine: Machine, environment: @escaping (String) -> String? = Self.processEnvironment, sections: [Section] = []
    ) -> [ConfigurationProblem] {
        let root: TOMLTable
        do { root = try TOMLTable(string: toml) } catch {
            return [.init(kind: .syntax, location: "(file)", message: "\(error)")]
        }
        var known = knownKeys
        for s in sections { s.add(&known) }
        var check = Walk(environment: environment, known: known)
        check.unknownKeys(root, template: "", display: "")
        let pairs = check.venues(root)
        check.strategies(root, pairs: pairs)
        check.risk(root, pairs: pairs)
        check.topology(root, toml: toml, machine: machine)
        check.parsers(root, toml: toml)
        return check.problems
    }

    /// The process's environment.
    public static func processEnvironment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// The array of tables `key` (`[[venues]]`), each with the name it is shown by.
    static func tables(_ table: TOMLTable?, _ key: String, name: String = "name") -> [(name: String, table: TOMLTable)] {
        guard let array = table?[key]?.array else { return [] }
        return array.enumerated().compactMap { i, v in v.table.map { (name: $0[name]?.string ?? "#\(i + 1)", table: $0) } }
    }

    /// The closest of `candidates` to `key` (at most two edits away), for "did you mean".
    static func nearest(_ key: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let next = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = row[j]
                    row[j] = next
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let k = Array(key)
        return candidates.map { ($0, distance(k, Array($0))) }.filter { $0.1 <= 2 || $0.0.hasPrefix(key) || key.hasPrefix($0.0) }
            .min { $0.1 < $1.1 }?.0
    }
}

/// One run of the check: the problems found so far.
private struct Walk {
    var environment: (String) -> String?
    /// The keys the parsers read.
    let known: KeyProbe
    var problems: [ConfigurationProblem] = []

    mutating func add(_ kind: ConfigurationProblem.Kind, _ location: String, _ message: String) {
        problems.append(.init(kind: kind, location: location, message: message))
    }

    // MARK: keys

    mutating func unknownKeys(_ table: TOMLTable, template: String, display: String) {
        for key in table.keys {
            let t = template.isEmpty ? key : template + "." + key
            let d = display.isEmpty ? key : display + "." + key
            if known.maps.contains(t) { continue }
            guard known.keys.contains(t) else {
                let siblings = known.keys.filter { $0.hasPrefix(template.isEmpty ? "" : template + ".") }
                    .map { String($0.dropFirst(template.isEmpty ? 0 : template.count + 1)) }.filter { !$0.contains(".") }
                let hint = ConfigurationCheck.nearest(key, in: siblings.map { $0.hasSuffix("[]") ? String($0.dropLast(2)) : $0 }).map { " (did you mean \($0)?)" } ?? ""
                add(.unknownKey, d, "is not read by Gantry\(hint)")
                continue
            }
            if let sub = table[key]?.table { unknownKeys(sub, template: t, display: d) }
            if let array = table[key]?.array {
                for (i, element) in array.enumerated() {
                    guard let sub = element.table else { continue }
                    let label = sub["name"]?.string ?? sub["symbol"]?.string ?? "#\(i + 1)"
                    unknownKeys(sub, template: t + "[]", display: "\(d)[\(label)]")
                }
            }
        }
    }

    // MARK: venues

    /// Checks each `[[venues]]` table. - Returns: The pairs the instruments trade, with their quantity scales.
    mutating func venues(_ root: TOMLTable) -> [String: Int] {
        var pairs: [String: Int] = [:]
        for (name, v) in ConfigurationCheck.tables(root, "venues") {
            let at = "venues[\(name)]"
            var kind: VenueKind? = nil
            if let text = v["kind"]?.string {
                kind = VenueKind(rawValue: text)
                if kind == nil {
                    add(.unknownVenue, at + ".kind", "\"\(text)\" is not a venue Gantry speaks (\(VenueKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            for key in ["endpoint", "sim_endpoint", "order_endpoint", "sim_order_endpoint", "user_stream_endpoint", "sim_user_stream_endpoint"] {
                if let text = v[key]?.string, WebSocketURL(text) == nil { add(.badValue, "\(at).\(key)", "is not a ws:// or wss:// URL: \(text)") }
            }
            for key in ["rest_endpoint", "sim_rest_endpoint"] {
                if let text = v[key]?.string, RESTURL(text) == nil { add(.badValue, "\(at).\(key)", "is not an http:// or https:// URL without a path: \(text)") }
            }
            limit(v["orders_per_second"]?.int, TradingConfiguration.venueOrderRateRange, "\(at).orders_per_second")
            limit(v["latency_budget_ms"]?.int, TradingConfiguration.latencyBudgetRange, "\(at).latency_budget_ms")
            if let kind, let depth = v["depth"]?.int, !MarketConfiguration.depths(kind).contains(depth) {
                add(.badValue, at + ".depth", "is \(depth); \(kind.rawValue) offers \(MarketConfiguration.depths(kind).map(String.init).joined(separator: ", "))")
            }
            if let kind, let seconds = v["dead_man_s"]?.int, let why = MarketConfiguration.deadManProblem(kind, seconds) { add(.badLimit, at + ".dead_man_s", why) }
            if let fee = v["taker_fee_bp"]?.string {
                do throws(DecimalError) {
                    let centi = try FixedPoint.parse(fee, scale: 2)
                    if centi < 0 || centi > 100_000 { add(.badLimit, at + ".taker_fee_bp", "must be 0…1000, got \(fee)") }
                } catch { add(.badValue, at + ".taker_fee_bp", "is not a decimal with at most two places: \(fee)") }
            }
            if v["secret"] != nil { add(.badValue, at + ".secret", "secrets are not read from the configuration: use secret_env or secret_file (mode 0600)") }
            for (symbol, item) in ConfigurationCheck.tables(v, "instruments", name: "symbol") {
                let spec = InstrumentSpec(
                    venue: name, symbol: symbol, tickSize: item["tick_size"]?.string ?? "", lotSize: item["lot_size"]?.string ?? "",
                    priceScale: item["price_scale"]?.int ?? 0, quantityScale: item["quantity_scale"]?.int ?? 0)
                do throws(InstrumentError) { _ = try InstrumentRegistry([spec]) } catch { add(.badValue, "\(at).instruments[\(symbol)]", "\(error)") }
                if let pair = item["pair"]?.string { pairs[pair] = max(pairs[pair] ?? 0, spec.quantityScale) }
            }
            credentials(v, at: at, kind: kind)
        }
        return pairs
    }

    /// Where the account's credentials are named, each must be there (the value is read, checked, and dropped).
    mutating func credentials(_ v: TOMLTable, at: String, kind: VenueKind?) {
        let named = ["api_key", "api_key_env", "secret_env", "secret_file", "passphrase_env"].contains { v[$0] != nil }
        guard named else { return }
        func env(_ key: String) {
            guard let variable = v[key]?.string else { return }
            if (environment(variable) ?? "").isEmpty { add(.missingSecret, "\(at).\(key)", "the environment variable \(variable) is not set") }
        }
        if v["api_key"] == nil && v["api_key_env"] == nil { add(.missingSecret, at + ".api_key_env", "is missing: the account names a secret but no API key") }
        env("api_key_env")
        if v["secret_env"] != nil {
            env("secret_env")
        } else if let file = v["secret_file"]?.string {
            do throws(Secret.LoadError) { _ = try Secret.load(env: nil, file: file, who: "secret") } catch {
                add(.missingSecret, at + ".secret_file", error.description)
            }
        } else {
            add(.missingSecret, at + ".secret_env", "is missing: set secret_env or secret_file (mode 0600)")
        }
        if kind == .okx && v["passphrase_env"] == nil { add(.missingSecret, at + ".passphrase_env", "is missing: OKX signs with a passphrase") }
        env("passphrase_env")
    }

    mutating func limit(_ value: Int?, _ range: ClosedRange<Int>, _ location: String) {
        if let value, !range.contains(value) { add(.badLimit, location, "must be \(range.lowerBound)…\(range.upperBound), got \(value)") }
    }

    mutating func positive(_ table: TOMLTable, _ keys: [String], _ at: String) {
        for key in keys { if let v = table[key]?.int, v <= 0 { add(.badLimit, "\(at).\(key)", "must be above 0, got \(v)") } }
    }

    /// Runs one of the parser's own value readers; its refusal becomes a problem of `kind` at `location`.
    mutating func parse(_ kind: ConfigurationProblem.Kind, _ location: String, _ read: () throws(ConfigurationError) -> Int64) {
        do throws(ConfigurationError) { _ = try read() } catch {
            if case .invalid(_, _, let why) = error { add(kind, location, why) } else { add(kind, location, "\(error)") }
        }
    }

    mutating func pairName(_ name: String, _ location: String, _ pairs: [String: Int]) {
        guard pairs[name] == nil else { return }
        let known = pairs.keys.sorted().joined(separator: ", ")
        add(.unknownInstrument, location, "\(name) is not the pair of any configured instrument (\(known.isEmpty ? "none has a pair" : known))")
    }

    // MARK: strategies and risk

    mutating func strategies(_ root: TOMLTable, pairs: [String: Int]) {
        for (name, s) in ConfigurationCheck.tables(root, "strategies") {
            let at = "strategies[\(name)]"
            if let kind = s["kind"]?.string, !TradingConfiguration.strategyKinds.contains(kind) {
                add(.badValue, at + ".kind", "is \"\(kind)\"; expected \(TradingConfiguration.strategyKinds.joined(separator: ", "))")
            }
            if let stage = s["stage"]?.string, !["backtest", "paper", "pilot", "live"].contains(stage) {
                add(.badValue, at + ".stage", "is \"\(stage)\"; expected backtest, paper, pilot or live")
            }
            if let pair = s["pair"]?.string { pairName(pair, at + ".pair", pairs) }
            for p in s["pairs"]?.array ?? [] { if let pair = p.string { pairName(pair, at + ".pairs", pairs) } }
            if let limits = s["max_position"]?.table {
                for pair in limits.keys {
                    let location = "\(at).max_position.\(pair)"
                    pairName(pair, location, pairs)
                    if let text = limits[pair]?.string {
                        do throws(DecimalError) {
                            if try FixedPoint.parse(text, scale: pairs[pair] ?? FixedPoint.maxScale) < 0 { add(.badLimit, location, "must not be negative: \(text)") }
                        } catch { add(.badLimit, location, "is not a quantity at \(pairs[pair] ?? FixedPoint.maxScale) decimals: \(text)") }
                    }
                }
            }
            for key in ["capital", "pilot_cap", "stop_loss"] {
                if let text = s[key]?.string { parse(.badLimit, "\(at).\(key)") { () throws(ConfigurationError) in try TradingConfiguration.cents(text, name, key) } }
            }
            for key in ["signal_capital_pct", "drawdown_limit_pct", "drawdown_halt_pct"] {
                if let text = s[key]?.string { parse(.badLimit, "\(at).\(key)") { () throws(ConfigurationError) in try TradingConfiguration.percent(text, name, key) } }
            }
            limit(s["drawdown_scale_pct"]?.int, 1...100, at + ".drawdown_scale_pct")
            positive(s, ["orders_per_second"], at)
        }
    }

    mutating func risk(_ root: TOMLTable, pairs: [String: Int]) {
        guard let r = root["risk"]?.table else { return }
        for key in ["max_order", "daily_loss_limit", "correlated_cap"] {
            if let text = r[key]?.string { parse(.badLimit, "risk.\(key)") { () throws(ConfigurationError) in try TradingConfiguration.cents(text, "risk", key) } }
        }
        for key in ["price_band_bp", "plausibility_bp"] {
            if let text = r[key]?.string { parse(.badLimit, "risk.\(key)") { () throws(ConfigurationError) in try TradingConfiguration.centiBasisPoints(text, "risk", key) } }
        }
        if let text = r["kill_drawdown_pct"]?.string {
            parse(.badLimit, "risk.kill_drawdown_pct") { () throws(ConfigurationError) in try TradingConfiguration.percent(text, "risk", "kill_drawdown_pct") }
        }
        positive(r, ["kill_window_s", "venue_orders_per_second", "max_book_age_ms", "returns_interval_ms", "returns_window"], "risk")
        let assets = Set(pairs.keys.flatMap { $0.split(separator: "/").map(String.init) })
        for asset in r["max_asset_position"]?.table?.keys ?? [] where !assets.contains(asset) {
            add(.unknownInstrument, "risk.max_asset_position.\(asset)", "\(asset) is not an asset of the configured pairs (\(assets.sorted().joined(separator: ", ")))")
        }
        for (name, g) in ConfigurationCheck.tables(r, "groups") {
            for p in g["pairs"]?.array ?? [] { if let pair = p.string { pairName(pair, "risk.groups[\(name)].pairs", pairs) } }
            if let text = g["cap"]?.string { parse(.badLimit, "risk.groups[\(name)].cap") { () throws(ConfigurationError) in try TradingConfiguration.cents(text, "risk", "cap") } }
        }
    }

    // MARK: topology

    mutating func topology(_ root: TOMLTable, toml: String, machine: Machine) {
        let runners = ConfigurationCheck.tables(root["topology"]?.table, "runner")
        guard !runners.isEmpty else { return }
        let before = problems.count
        let available = TuningCheck.cpuList(Set(machine.cpus))
        var pinned = Set<Int>()
        for (name, r) in runners {
            let at = "topology.runner[\(name)]"
            if let cpu = r["cpu"]?.int {
                pinned.insert(cpu)
                if !machine.cpus.contains(cpu) { add(.topology, at + ".cpu", "CPU \(cpu) is not available here (this process may use \(available))") }
            }
            if let node = r["numa_node"]?.int {
                if node < 0 || node >= machine.nodeCount {
                    add(.topology, at + ".numa_node", "NUMA node \(node) does not exist here (\(machine.nodeCount) node(s))")
                } else if let cpu = r["cpu"]?.int, let actual = machine.nodeOfCPU[cpu], actual != node {
                    add(.topology, at + ".numa_node", "CPU \(cpu) is on node \(actual), not \(node)")
                }
            }
        }
        if pinned.count > machine.cpus.count {
            add(.topology, "topology.runner", "pins \(pinned.count) CPUs (\(TuningCheck.cpuList(pinned))); this host has \(machine.cpus.count) (\(available))")
        }
        // The rest (busy-polling a shared core, a stage placed twice or not at all) as the gateway checks it.
        guard problems.count == before else { return }
        do throws(TopologyError) { _ = try TopologyPlan(toml: toml, machine: machine) } catch { add(.topology, "topology", error.description) }
    }

    // MARK: the parsers themselves

    /// What the parsers refuse that the walk did not name (a rule across keys, a model file that failed its gate).
    mutating func parsers(_ root: TOMLTable, toml: String) {
        var refusals: [ConfigurationError] = []
        do throws(ConfigurationError) {
            if root["strategies"] != nil { _ = try TradingConfiguration(toml: toml) } else { _ = try MarketConfiguration(toml: toml) }
        } catch { refusals.append(error) }
        do throws(ConfigurationError) { _ = try FlowTrainingConfiguration(toml: toml) } catch { refusals.append(error) }
        for error in refusals {
            switch error {
            case .invalid(let owner, let key, let why):
                let last = key.split(separator: ".").last.map(String.init) ?? key
                if problems.contains(where: { $0.location.hasSuffix("." + last) || $0.location.hasSuffix("[" + last + "]") }) { continue }
                add(.badValue, owner.hasPrefix("strategy ") ? "strategies[\(owner.dropFirst(9))].\(key)" : "\(owner).\(key)", why)
            case .instruments(let e):
                if !problems.contains(where: { $0.location.contains(".instruments[") }) { add(.badValue, "venues.instruments", "\(e)") }
            case .noVenues:
                add(.badValue, "venues", "no [[venues]] configured")
            case .syntax(let why):
                // A key of the wrong type or a required key missing: the decoder's words.
                add(.badValue, "(file)", why)
            }
        }
    }
}
