import GantryCore

/// A simulated chain in the simulator's configuration (`[[chains]]`): its node's port and its `SimChain`.
public struct SimChainConfiguration: Sendable {
    public var parameters: SimChainParameters
    public var wsPort: Int
    /// The index of the `[[markets]]` entry whose price the chain's flows lead.
    public var market: Int

    /// One `[[chains]]` table as the TOML decoder reads it.
    struct Table: Decodable {
        var name: String
        var ws_port: Int
        var block_ms: Int?
        var chain_id: Int?
        var token_address: String
        var decimals: Int?
        var exchange_addresses: [String]
        var market: String
        var transfers_per_block: Int?
        var flow_per_block: String?
        var lead_ms: Int?
        var impact_bp: String?
        var reorg_every: Int?
        var first_block: Int?
    }

    /// Checks one `[[chains]]` table.
    /// - Parameters:
    ///   - markets: The configured markets' names, in order.
    ///   - ports: Ports already taken (the chain's is added).
    /// - Throws: `SimConfigurationError` naming the chain and the key.
    static func parse(_ t: Table, markets: [String], ports: inout Set<Int>) throws(SimConfigurationError) -> SimChainConfiguration {
        let what = "chain \(t.name)"
        guard !t.name.isEmpty else { throw SimConfigurationError("a [[chains]] entry has an empty name") }
        guard (1...65_535).contains(t.ws_port), ports.insert(t.ws_port).inserted else {
            throw SimConfigurationError("\(what): ws_port \(t.ws_port) is out of range or used twice")
        }
        guard let market = markets.firstIndex(of: t.market) else {
            throw SimConfigurationError("\(what): market \"\(t.market)\" is not a configured [[markets]] name")
        }
        func address(_ text: String, _ key: String) throws(SimConfigurationError) -> [UInt8] {
            guard let a = SimChainNode.hex(text, bytes: 20) else {
                throw SimConfigurationError("\(what): \(key) \(text) is not an address (0x and 40 hex digits)")
            }
            return a
        }
        let token = try address(t.token_address, "token_address")
        guard !t.exchange_addresses.isEmpty else { throw SimConfigurationError("\(what): exchange_addresses is empty") }
        var exchanges: [[UInt8]] = []
        for text in t.exchange_addresses {
            let a = try address(text, "exchange_addresses")
            guard !exchanges.contains(a), a != token else {
                throw SimConfigurationError("\(what): exchange address \(text) is listed twice or is the token")
            }
            exchanges.append(a)
        }
        let decimals = t.decimals ?? 8
        guard (0...18).contains(decimals) else { throw SimConfigurationError("\(what): decimals is \(decimals); must be 0…18") }
        let blockMs = t.block_ms ?? 12_000
        guard (1...3_600_000).contains(blockMs) else { throw SimConfigurationError("\(what): block_ms must be 1…3600000") }
        let transfers = t.transfers_per_block ?? 6
        guard (1...10_000).contains(transfers) else { throw SimConfigurationError("\(what): transfers_per_block must be 1…10000") }
        let flow: Int64
        do throws(DecimalError) {
            flow = try FixedPoint.parse(t.flow_per_block ?? "5", scale: min(decimals, FixedPoint.maxScale))
        } catch {
            throw SimConfigurationError("\(what): flow_per_block is not a decimal with at most \(decimals) places (\(error))")
        }
        guard flow > 0 else { throw SimConfigurationError("\(what): flow_per_block must be positive") }
        var flowRaw = UInt128(flow)
        for _ in min(decimals, FixedPoint.maxScale)..<decimals { flowRaw *= 10 }
        let lead = t.lead_ms ?? 0
        guard (0...3_600_000).contains(lead) else { throw SimConfigurationError("\(what): lead_ms must be 0…3600000") }
        let impact: Int64
        do throws(DecimalError) {
            impact = try FixedPoint.parse(t.impact_bp ?? "0", scale: 2)
        } catch {
            throw SimConfigurationError("\(what): impact_bp is not a decimal with at most 2 places (\(error))")
        }
        guard (0...100_000).contains(impact) else { throw SimConfigurationError("\(what): impact_bp must be 0…1000") }
        let reorgs = t.reorg_every ?? 0
        guard reorgs >= 0 else { throw SimConfigurationError("\(what): reorg_every must be ≥ 0 (0: never)") }
        let first = t.first_block ?? 19_000_000
        guard first >= 0 else { throw SimConfigurationError("\(what): first_block must be ≥ 0") }
        let chainId = t.chain_id ?? 1
        guard chainId > 0 else { throw SimConfigurationError("\(what): chain_id must be positive") }
        return SimChainConfiguration(
            parameters: SimChainParameters(
                name: t.name, chainId: UInt64(chainId), blockMilliseconds: blockMs, token: token, decimals: decimals, exchanges: exchanges,
                transfersPerBlock: transfers, flowPerBlock: flowRaw, leadMilliseconds: lead, impactCentiBasisPoints: impact,
                reorgEvery: reorgs, firstBlock: UInt64(first)),
            wsPort: t.ws_port, market: market)
    }
}
