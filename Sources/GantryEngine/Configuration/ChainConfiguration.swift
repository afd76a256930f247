import GantryCore
import GantryOnChain
import TOMLKit

/// A chain whose exchange flows the strategies take (`[[chains]]`): the node to subscribe to and what to count.
///
/// ```toml
/// [[chains]]
/// name = "ethereum"
/// node = "wss://node.example/ws"          # the node's JSON-RPC WebSocket
/// sim_node = "ws://127.0.0.1:9690"        # with gantry run --sim
/// flow_decimals = 8                       # flows reach the strategies at this many decimals
/// seal_ms = 200                           # a block is sealed this long after its header
///
/// [[chains.tokens]]
/// symbol = "WBTC"
/// address = "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"
/// decimals = 8
///
/// [[chains.exchanges]]                    # exchange index 0, 1, … in order (the strategies' flow_exchanges)
/// name = "binance"
/// addresses = ["0x28c6c06298d514db089934071355e5743bf21d60"]
/// ```
public struct ChainConfiguration: Sendable {
    public var name: String
    public var node: WebSocketURL?
    public var simNode: WebSocketURL?
    public var settings: OnChainSettings
    public var flowDecimals: Int

    /// How the chain's flows are scaled for the strategies.
    public var scaling: FlowScaling { FlowScaling(tokenDecimals: settings.tokens.map(\.decimals), decimals: flowDecimals) }

    /// Reads every `[[chains]]` of a configuration (none: an empty list). Only one chain is run for now.
    static func parse(toml: String) throws(ConfigurationError) -> [ChainConfiguration] {
        let file: File
        do { file = try TOMLDecoder().decode(File.self, from: toml) } catch { throw .syntax(String(describing: error)) }
        var out: [ChainConfiguration] = []
        for c in file.chains ?? [] {
            let who = "chain \(c.name)"
            guard !c.name.isEmpty, !out.contains(where: { $0.name == c.name }) else { throw .invalid(venue: who, key: "name", why: "is empty or used twice") }
            func ws(_ key: String, _ text: String?) throws(ConfigurationError) -> WebSocketURL? {
                guard let text else { return nil }
                guard let u = WebSocketURL(text) else { throw .invalid(venue: who, key: key, why: "is not a ws:// or wss:// URL: \(text)") }
                return u
            }
            let node = try ws("node", c.node), simNode = try ws("sim_node", c.sim_node)
            guard node != nil || simNode != nil else { throw .invalid(venue: who, key: "node", why: "is missing (node or sim_node)") }
            func address(_ text: String, _ key: String) throws(ConfigurationError) -> EthereumAddress {
                guard let a = EthereumAddress(text) else { throw .invalid(venue: who, key: key, why: "is not an address (0x and 40 hex digits): \(text)") }
                return a
            }
            var tokens: [OnChainToken] = []
            for t in c.tokens ?? [] {
                guard (0...36).contains(t.decimals) else { throw .invalid(venue: who, key: "tokens.decimals", why: "must be 0…36, got \(t.decimals)") }
                tokens.append(OnChainToken(symbol: t.symbol, address: try address(t.address, "tokens.address"), decimals: t.decimals))
            }
            guard !tokens.isEmpty else { throw .invalid(venue: who, key: "tokens", why: "is empty: configure at least one [[chains.tokens]]") }
            var exchanges: [OnChainExchange] = []
            for e in c.exchanges ?? [] {
                var addresses: [EthereumAddress] = []
                for a in e.addresses { addresses.append(try address(a, "exchanges.addresses")) }
                guard !addresses.isEmpty else { throw .invalid(venue: who, key: "exchanges.addresses", why: "is empty for \(e.name)") }
                exchanges.append(OnChainExchange(name: e.name, addresses: addresses))
            }
            guard !exchanges.isEmpty else { throw .invalid(venue: who, key: "exchanges", why: "is empty: configure at least one [[chains.exchanges]]") }
            let decimals = c.flow_decimals ?? 8
            guard (0...18).contains(decimals) else { throw .invalid(venue: who, key: "flow_decimals", why: "must be 0…18, got \(decimals)") }
            let seal = c.seal_ms ?? 200
            guard (1...60_000).contains(seal) else { throw .invalid(venue: who, key: "seal_ms", why: "must be 1…60000, got \(seal)") }
            out.append(ChainConfiguration(
                name: c.name, node: node, simNode: simNode,
                settings: OnChainSettings(tokens: tokens, exchanges: exchanges, sealDelay: .milliseconds(Int64(seal))), flowDecimals: decimals))
        }
        guard out.count <= 1 else { throw .invalid(venue: "(chains)", key: "chains", why: "configures \(out.count) chains; one is run for now") }
        return out
    }

    struct File: Decodable {
        var chains: [Chain]?
    }

    struct Chain: Decodable {
        var name: String
        var node: String?
        var sim_node: String?
        var flow_decimals: Int?
        var seal_ms: Int?
        var tokens: [Token]?
        var exchanges: [Exchange]?
    }

    struct Token: Decodable {
        var symbol: String
        var address: String
        var decimals: Int
    }

    struct Exchange: Decodable {
        var name: String
        var addresses: [String]
    }
}
