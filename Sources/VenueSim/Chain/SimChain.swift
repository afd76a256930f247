import GantryCore

/// One ERC-20 `Transfer(address indexed from, address indexed to, uint256 value)` log of a simulated block.
public struct SimTransfer: Sendable, Equatable {
    /// 20 bytes each.
    public var from: [UInt8]
    public var to: [UInt8]
    /// The uint256 value: its low and high 128 bits (the high half is zero but for an injected oversize amount).
    public var amount: UInt128
    public var amountHigh: UInt128 = 0
    /// 32 bytes.
    public var transactionHash: [UInt8]
    public var transactionIndex: Int
    /// The log's index among all the block's logs.
    public var logIndex: Int

    public init(from: [UInt8], to: [UInt8], amount: UInt128, amountHigh: UInt128 = 0, transactionHash: [UInt8], transactionIndex: Int, logIndex: Int) {
        precondition(from.count == 20 && to.count == 20 && transactionHash.count == 32, "20-byte addresses, a 32-byte hash")
        self.from = from
        self.to = to
        self.amount = amount
        self.amountHigh = amountHigh
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.logIndex = logIndex
    }
}

/// A simulated block: its header's identity and the token's transfers in it.
public struct SimBlock: Sendable, Equatable {
    public var number: UInt64
    /// 32 bytes each.
    public var hash: [UInt8]
    public var parentHash: [UInt8]
    /// Seconds since the epoch (the header's `timestamp`).
    public var timestamp: UInt64
    public var transfers: [SimTransfer]
}

/// Inflow to and outflow from one exchange address in one block, in the token's smallest unit.
public struct SimExchangeFlow: Sendable, Equatable {
    public var inflow: UInt128 = 0
    public var outflow: UInt128 = 0
    public init(inflow: UInt128 = 0, outflow: UInt128 = 0) {
        self.inflow = inflow
        self.outflow = outflow
    }
}

/// What a simulated chain is: its token, the exchanges' deposit addresses, its block rate, how many transfers a
/// block holds and how much they move, and how strongly (and how early) net exchange flows lead the market.
public struct SimChainParameters: Sendable {
    public var name: String
    public var chainId: UInt64
    /// Block interval in simulated milliseconds (at least one simulator step).
    public var blockMilliseconds: Int
    /// The token contract (20 bytes) and its decimals.
    public var token: [UInt8]
    public var decimals: Int
    /// The exchanges' deposit addresses (20 bytes each): the node's tally is per address, in this order.
    public var exchanges: [[UInt8]]
    /// Mean number of transfers a block holds (each block draws 0…2× this many).
    public var transfersPerBlock: Int
    /// Mean total amount a block's transfers move, in the token's smallest unit.
    public var flowPerBlock: UInt128
    /// How long after a block its net exchange flow starts to move the market (simulated ms).
    public var leadMilliseconds: Int
    /// The market's move, in hundredths of a basis point, per `flowPerBlock` of net exchange inflow (a fall for an
    /// inflow, a rise for an outflow), spread over one block interval. 0: the chain does not touch the market.
    public var impactCentiBasisPoints: Int64
    /// A block is replaced (a reorg of depth one: its logs resent with `removed: true`) with probability
    /// 1/`reorgEvery` instead of a new block being added; 0: never.
    public var reorgEvery: Int
    /// The first block's number.
    public var firstBlock: UInt64

    public init(
        name: String = "ethereum", chainId: UInt64 = 1, blockMilliseconds: Int = 12_000, token: [UInt8], decimals: Int = 8,
        exchanges: [[UInt8]], transfersPerBlock: Int = 6, flowPerBlock: UInt128 = 5 * 100_000_000, leadMilliseconds: Int = 0,
        impactCentiBasisPoints: Int64 = 0, reorgEvery: Int = 0, firstBlock: UInt64 = 19_000_000
    ) {
        precondition(token.count == 20 && exchanges.allSatisfy { $0.count == 20 } && !exchanges.isEmpty, "20-byte addresses, one exchange at least")
        precondition(blockMilliseconds > 0 && transfersPerBlock > 0 && flowPerBlock > 0 && leadMilliseconds >= 0 && reorgEvery >= 0, "chain parameters are positive")
        self.name = name
        self.chainId = chainId
        self.blockMilliseconds = blockMilliseconds
        self.token = token
        self.decimals = decimals
        self.exchanges = exchanges
        self.transfersPerBlock = transfersPerBlock
        self.flowPerBlock = flowPerBlock
        self.leadMilliseconds = leadMilliseconds
        self.impactCentiBasisPoints = impactCentiBasisPoints
        self.reorgEvery = reorgEvery
        self.firstBlock = firstBlock
    }
}

/// A simulated chain: a block every `blockMilliseconds` of simulator steps, holding random transfers of one token
/// between random wallets and the exchanges' deposit addresses; now and then a reorg of the head block. With an
/// impact set, each block's net exchange inflow schedules a move of its market's price (down for inflow, up for
/// outflow) starting `leadMilliseconds` later, so that flows lead prices a little. Deterministic for a seed, and
/// drawing from a generator of its own, so that a chain changes nothing of the market's or the books' draws.
public struct SimChain: Sendable {
    public let parameters: SimChainParameters
    /// The canonical chain's latest blocks, oldest first (at most `history`).
    public private(set) var blocks: [SimBlock] = []
    /// Blocks kept for `eth_getLogs` and the tally.
    public let history = 4_096
    var random: SimRandom
    let wallets: [[UInt8]]
    let stepsPerBlock: Int
    let leadSteps: Int
    var stepsToNext: Int
    let genesisSeconds: UInt64
    let secondsPerBlock: UInt64
    /// Scheduled market moves: from which step, how many steps remain, how much per step (model units).
    var impulses: [(start: Int, remaining: Int, perStep: Int64)] = []
    public private(set) var steps = 0
    /// Transfers added to the next block (tests: an amount beyond 128 bits).
    var injected: [SimTransfer] = []
    /// The next block replaces the head (tests).
    var reorgNext = false

    /// keccak256("Transfer(address,address,uint256)"): topic 0 of every ERC-20 transfer log.
    public static let transferTopic: [UInt8] = Keccak256.hash(Array("Transfer(address,address,uint256)".utf8))

    /// What a step did to the chain.
    public enum Change: Sendable, Equatable {
        /// A block was added (or replaced the head after a `removed`).
        case block(SimBlock)
        /// The head block was taken off the chain (its logs are resent removed).
        case removed(SimBlock)
    }

    /// - Parameters:
    ///   - stepsPerSecond: The simulator's step rate (blocks and the lead count in steps).
    ///   - wallSeconds: The first block's timestamp.
    public init(parameters: SimChainParameters, stepsPerSecond: Int, seed: UInt64, wallSeconds: UInt64) {
        self.parameters = parameters
        random = SimRandom(seed: seed ^ 0xC4A1_2B10_C0FF_EE00)
        stepsPerBlock = max(1, parameters.blockMilliseconds * stepsPerSecond / 1_000)
        leadSteps = parameters.leadMilliseconds * stepsPerSecond / 1_000
        stepsToNext = stepsPerBlock
        genesisSeconds = wallSeconds
        secondsPerBlock = UInt64(max(1, (parameters.blockMilliseconds + 999) / 1_000))
        var wallets: [[UInt8]] = []
        for _ in 0..<64 { wallets.append(Self.bytes(20, &random)) }
        self.wallets = wallets
        let genesis = SimBlock(
            number: parameters.firstBlock, hash: Self.bytes(32, &random), parentHash: Self.bytes(32, &random), timestamp: wallSeconds, transfers: [])
        blocks = [genesis]
    }

    /// The head block.
    public var head: SimBlock { blocks[blocks.count - 1] }

    static func bytes(_ count: Int, _ random: inout SimRandom) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = random.next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    /// One simulator step: a block when one is due, and the market move due now.
    /// - Parameter fair: The market's fair price now (model units), the base of a new block's impulse.
    /// - Returns: What changed on the chain, and how much to move the market's price this step.
    public mutating func step(fair: Int64) -> (changes: [Change], shift: Int64) {
        steps += 1
        var changes: [Change] = []
        stepsToNext -= 1
        if stepsToNext <= 0 {
            stepsToNext = stepsPerBlock
            changes = produceBlock(fair: fair)
        }
        var shift: Int64 = 0
        if !impulses.isEmpty {
            for k in impulses.indices where impulses[k].start <= steps {
                shift += impulses[k].perStep
                impulses[k].remaining -= 1
            }
            impulses.removeAll { $0.remaining <= 0 }
        }
        return (changes, shift)
    }

    mutating func produceBlock(fair: Int64) -> [Change] {
        var changes: [Change] = []
        let replace = blocks.count > 1 && (reorgNext || (parameters.reorgEvery > 0 && random.chance(1, in: parameters.reorgEvery)))
        reorgNext = false
        let number: UInt64
        let parent: [UInt8]
        if replace {
            let old = blocks.removeLast()
            changes.append(.removed(old))
            number = old.number
            parent = old.parentHash
        } else {
            number = head.number + 1
            parent = head.hash
        }
        var block = SimBlock(
            number: number, hash: Self.bytes(32, &random), parentHash: parent,
            timestamp: genesisSeconds + (number - parameters.firstBlock) * secondsPerBlock, transfers: [])
        let count = random.below(2 * parameters.transfersPerBlock + 1)
        let bound = max(1, 2 * parameters.flowPerBlock / UInt128(parameters.transfersPerBlock))
        var logIndex = random.below(3)
        let wallets = self.wallets
        let exchanges = parameters.exchanges
        let wallet = { (r: inout SimRandom) in wallets[r.below(wallets.count)] }
        let exchange = { (r: inout SimRandom) in exchanges[r.below(exchanges.count)] }
        for t in 0..<count {
            let kind = random.below(100)
            let (from, to): ([UInt8], [UInt8]) =
                switch kind {
                case ..<40: (wallet(&random), wallet(&random))
                case ..<70: (wallet(&random), exchange(&random))
                case ..<95: (exchange(&random), wallet(&random))
                default: (exchange(&random), exchange(&random))
                }
            let draw = UInt128(random.next()) << 64 | UInt128(random.next())
            block.transfers.append(
                SimTransfer(from: from, to: to, amount: 1 + draw % bound, transactionHash: Self.bytes(32, &random), transactionIndex: t, logIndex: logIndex))
            // Other contracts' logs sit between the token's.
            logIndex += 1 + random.below(3)
        }
        for var extra in injected {
            extra.logIndex = logIndex
            extra.transactionIndex = block.transfers.count
            block.transfers.append(extra)
            logIndex += 1
        }
        injected.removeAll()
        blocks.append(block)
        if blocks.count > history { blocks.removeFirst(blocks.count - history) }
        changes.append(.block(block))
        if parameters.impactCentiBasisPoints != 0 { schedule(block, fair: fair) }
        return changes
    }

    /// Schedules the market move a block's net exchange flow leads to: −net/flowPerBlock × impact of the price,
    /// spread over one block interval, starting `leadSteps` from now.
    mutating func schedule(_ block: SimBlock, fair: Int64) {
        var net: Int128 = 0
        for f in flows(of: block) { net += Int128(f.inflow) - Int128(f.outflow) }
        let move = -net * Int128(parameters.impactCentiBasisPoints) * Int128(fair) / (Int128(parameters.flowPerBlock) * 1_000_000)
        let total = Int64(clamping: move)
        guard total != 0 else { return }
        let perStep = total / Int64(stepsPerBlock)
        let start = steps + leadSteps
        if perStep != 0 { impulses.append((start, stepsPerBlock, perStep)) }
        // The remainder in one step, so that the whole move is made.
        let rest = total - perStep * Int64(stepsPerBlock)
        if rest != 0 { impulses.append((start, 1, rest)) }
    }

    /// The block's inflow and outflow per exchange address (in `parameters.exchanges` order): a transfer to an
    /// exchange address is its inflow, from one its outflow. Amounts beyond 128 bits are not counted.
    public func flows(of block: SimBlock) -> [SimExchangeFlow] {
        var out = Array(repeating: SimExchangeFlow(), count: parameters.exchanges.count)
        for t in block.transfers where t.amountHigh == 0 {
            if let e = parameters.exchanges.firstIndex(of: t.to) { out[e].inflow += t.amount }
            if let e = parameters.exchanges.firstIndex(of: t.from) { out[e].outflow += t.amount }
        }
        return out
    }

    /// The canonical block numbered `number`, if it is still kept.
    public func block(_ number: UInt64) -> SimBlock? {
        guard let first = blocks.first, number >= first.number, number <= head.number else { return nil }
        return blocks[Int(number - first.number)]
    }
}
