import Foundation
import ArgumentParser
import GantryCore
import GantryEngine
import GantryLog
import GantryNet
import GantryOps

/// The venue side of a sanity check, shared by `gantry run`'s scheduled checks and `gantry check`: connectivity to
/// each venue (its market-data WebSocket opened, and a REST call: the signed balances of a trading account, else
/// the public server time) and our positions against
/// the balances read. Blocking (each venue up to a few seconds): run off the watching thread.
struct VenueCheckTarget: Sendable {
    var name: String
    var id: VenueId
    var kind: VenueKind
    var rest: RESTURL?
    var webSocket: WebSocketURL
    var credentials: VenueCredentials?
    /// The assets the venue's instruments hold (base and the venue's quote), which should move only by fills.
    var assets: Set<String>

    /// Every traded venue of `configuration`, at the simulator's endpoints when `sim`.
    static func all(_ configuration: TradingConfiguration, credentials: [String: VenueCredentials], sim: Bool) -> [VenueCheckTarget] {
        let registry = configuration.market.registry
        let universe = configuration.universe
        return configuration.market.venues.compactMap { v in
            guard let id = registry.venue(named: v.name) else { return nil }
            var assets: Set<String> = []
            for i in registry.instruments where i.venue == id {
                let l = universe.listing(i.id)
                guard l.pair != .none else { continue }
                assets.insert(universe.name(of: l.base))
                assets.insert(universe.name(of: l.quote))
            }
            guard !assets.isEmpty else { return nil }
            return VenueCheckTarget(
                name: v.name, id: id, kind: v.kind, rest: sim ? v.simRestEndpoint : v.restEndpoint, webSocket: sim ? (v.simEndpoint ?? v.endpoint) : v.endpoint,
                credentials: credentials[v.name], assets: assets)
        }
    }
}

enum VenueChecks {
    /// What the venues said: connectivity findings and each venue's balances (those read).
    struct Reading: Sendable {
        var findings: [CheckFinding] = []
        var balances: [String: VenueBalances.Totals] = [:]
    }

    /// Opens each venue's WebSocket and reads its balances (REST, signed; once, no retry: a venue that does not
    /// answer now fails the check).
    static func read(_ targets: [VenueCheckTarget], tls: TLSContext?) -> Reading {
        var r = Reading()
        for t in targets {
            do {
                let took = try VenueConnectivity.webSocket(t.webSocket, venue: t.name, tls: tls)
                r.findings.append(CheckFinding("connectivity", "\(t.name) websocket", ok: true, "\(t.webSocket) opened in \(took.raw / 1_000_000) ms"))
            } catch {
                r.findings.append(CheckFinding("connectivity", "\(t.name) websocket", ok: false, "\(error)"))
            }
            guard let c = t.credentials, let rest = t.rest else {
                // No trading account: the public server time.
                guard let rest = t.rest else {
                    r.findings.append(CheckFinding("connectivity", "\(t.name) rest", ok: true, "no REST endpoint configured: REST not checked"))
                    continue
                }
                do {
                    let took = try VenueConnectivity.serverTime(kind: t.kind, rest: rest, tls: tls, venue: t.name)
                    r.findings.append(CheckFinding("connectivity", "\(t.name) rest", ok: true, "server time answered in \(took.raw / 1_000_000) ms"))
                } catch {
                    r.findings.append(CheckFinding("connectivity", "\(t.name) rest", ok: false, "\(error)"))
                }
                continue
            }
            let started = MonotonicClock.now()
            do {
                r.balances[t.name] = try VenueBalances.fetch(kind: t.kind, venue: t.id, credentials: c, rest: rest, tls: tls)
                r.findings.append(CheckFinding("connectivity", "\(t.name) rest", ok: true, "balances read in \((MonotonicClock.now() - started).raw / 1_000_000) ms"))
            } catch {
                r.findings.append(CheckFinding("connectivity", "\(t.name) rest", ok: false, "\(error)"))
            }
        }
        return r
    }

    /// Our positions against the balances read: for each venue, the balances moved from `baseline` by what the
    /// fills say. `moves` are the fills' moves since the baseline, taken before and after the reading (a fill
    /// between the two may or may not be in the balances): either may match.
    static func compare(
        _ targets: [VenueCheckTarget], read: [String: VenueBalances.Totals], baseline: [String: VenueBalances.Totals],
        moves: [[String: BalanceCheck.Moves]]
    ) -> [CheckFinding] {
        var out: [CheckFinding] = []
        for t in targets where t.credentials != nil {
            guard let after = read[t.name] else {
                out.append(CheckFinding("balances", t.name, ok: false, "not read"))
                continue
            }
            guard let before = baseline[t.name] else {
                out.append(CheckFinding("balances", t.name, ok: true, "not compared: no starting balances (risk does not spend there)"))
                continue
            }
            let best: [BalanceCheck.Line]
            do {
                best = try BalanceCheck.compare(venue: t.name, before: before, after: after, anyOf: moves.map { $0[t.name] ?? [:] }, also: t.assets)
            } catch {
                out.append(CheckFinding("balances", t.name, ok: false, "a balance is not a decimal: \(error)"))
                continue
            }
            for l in best { out.append(CheckFinding("balances", "\(t.name) \(l.asset)", ok: l.ok, "balance moved \(l.moved), fills say \(l.expected)")) }
        }
        return out
    }
}

extension GatewayView {
    /// What the fills moved each asset of each venue by, by venue name.
    func allMoves() -> [String: BalanceCheck.Moves] {
        var out: [String: BalanceCheck.Moves] = [:]
        for v in venues { out[v.name] = Dictionary(uniqueKeysWithValues: expectedMoves(venue: v.id)) }
        return out
    }
}

/// Each trading account's credentials, by venue, their secrets registered with the log's redaction.
/// - Throws: `ValidationError` naming a secret that cannot be loaded.
func tradingCredentials(_ configuration: TradingConfiguration) throws -> [String: VenueCredentials] {
    var credentials: [String: VenueCredentials] = [:]
    for a in configuration.accounts where a.apiKey != nil || a.apiKeyEnv != nil {
        do {
            let c = try VenueCredentials.load(a)
            SecretRedaction.register(c.secret.text)
            if let p = c.passphrase { SecretRedaction.register(p.text) }
            credentials[a.venue] = c
        } catch {
            throw ValidationError("\(error)")
        }
    }
    return credentials
}
