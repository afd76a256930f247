import GantryCore

// The simulated node's JSON, as go-ethereum writes it (docs/interacting-with-geth/rpc/pubsub.md, the
// execution-apis schemas Log and Block, base types `uint`, `bytes32`, `address`):
// - quantities are "0x" and lower-case hex without leading zeros ("0x0" for zero); data and hashes are "0x" and
//   two lower-case digits a byte;
// - a header's keys are sorted (geth marshals it from a map): baseFeePerGas … withdrawalsRoot, with `hash`;
// - a log is {address, topics, data, blockNumber, transactionHash, transactionIndex, blockHash, blockTimestamp,
//   logIndex, removed} in geth's field order;
// - a notification is {"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":ID,"result":…}}.
// Simplifications, stated: the header's roots, miner and mix hash are derived from the block hash (keccak of
// the hash and a tag), gas figures are fixed, and the logs bloom holds the token's logs only.
extension SimWriter {
    /// Appends `"0x…"`: a quantity, lower-case hex without leading zeros.
    mutating func quantity(_ value: UInt64) {
        raw("\"0x")
        var started = false
        for k in stride(from: 15, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(4 * k)) & 15
            if nibble != 0 || started || k == 0 {
                started = true
                bytes.append(Hex.digit(nibble))
            }
        }
        raw("\"")
    }

    /// Appends `"0x…"`: bytes as two lower-case hex digits each.
    mutating func data(_ value: [UInt8]) {
        raw("\"0x")
        for b in value {
            bytes.append(Hex.digit(b >> 4))
            bytes.append(Hex.digit(b))
        }
        raw("\"")
    }

    /// Appends a 20-byte address left-padded to a 32-byte topic.
    mutating func topic(address: [UInt8]) { data([UInt8](repeating: 0, count: 12) + address) }

    /// Appends a uint256 from its high and low 128 bits as 32 bytes of data.
    mutating func uint256(high: UInt128, low: UInt128) {
        var word: [UInt8] = []
        word.reserveCapacity(32)
        for half in [high, low] {
            for k in stride(from: 15, through: 0, by: -1) { word.append(UInt8(truncatingIfNeeded: half >> UInt128(8 * k))) }
        }
        data(word)
    }
}

extension SimChainNode {
    /// A header's JSON object, keys sorted as geth's.
    func renderHeader(_ block: SimBlock, into w: inout SimWriter) {
        func derived(_ tag: UInt8) -> [UInt8] { Keccak256.hash(block.hash + [tag]) }
        let count = UInt64(block.transfers.count)
        w.raw(#"{"baseFeePerGas":"#)
        w.quantity(7_000_000_000 + block.number % 1_000)
        w.raw(#","blobGasUsed":"0x0","difficulty":"0x0","excessBlobGas":"0x0","extraData":"0x","gasLimit":"#)
        w.quantity(30_000_000)
        w.raw(#","gasUsed":"#)
        w.quantity(21_000 + 52_000 * count)
        w.raw(#","hash":"#)
        w.data(block.hash)
        w.raw(#","logsBloom":"#)
        w.data(bloom(block))
        w.raw(#","miner":"#)
        w.data(Array(derived(1).prefix(20)))
        w.raw(#","mixHash":"#)
        w.data(derived(2))
        w.raw(#","nonce":"0x0000000000000000","number":"#)
        w.quantity(block.number)
        w.raw(#","parentBeaconBlockRoot":"#)
        w.data(derived(3))
        w.raw(#","parentHash":"#)
        w.data(block.parentHash)
        w.raw(#","receiptsRoot":"#)
        w.data(derived(4))
        // The hash of an empty ommers list, as on every block since the merge.
        w.raw(#","sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347","stateRoot":"#)
        w.data(derived(5))
        w.raw(#","timestamp":"#)
        w.quantity(block.timestamp)
        w.raw(#","transactionsRoot":"#)
        w.data(derived(6))
        w.raw(#","withdrawalsRoot":"#)
        w.data(derived(7))
        w.raw("}")
    }

    /// One transfer's log object.
    func renderLog(_ t: SimTransfer, in block: SimBlock, removed: Bool, into w: inout SimWriter) {
        w.raw(#"{"address":"#)
        w.data(chain.parameters.token)
        w.raw(#","topics":["#)
        w.data(SimChain.transferTopic)
        w.raw(",")
        w.topic(address: t.from)
        w.raw(",")
        w.topic(address: t.to)
        w.raw(#"],"data":"#)
        w.uint256(high: t.amountHigh, low: t.amount)
        w.raw(#","blockNumber":"#)
        w.quantity(block.number)
        w.raw(#","transactionHash":"#)
        w.data(t.transactionHash)
        w.raw(#","transactionIndex":"#)
        w.quantity(UInt64(t.transactionIndex))
        w.raw(#","blockHash":"#)
        w.data(block.hash)
        w.raw(#","blockTimestamp":"#)
        w.quantity(block.timestamp)
        w.raw(#","logIndex":"#)
        w.quantity(UInt64(t.logIndex))
        w.raw(removed ? #","removed":true}"# : #","removed":false}"#)
    }

    /// A subscription notification around what `body` appends.
    func notification(_ subscription: String, _ body: (inout SimWriter) -> Void) -> [UInt8] {
        writer.reset()
        writer.raw(#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":""#)
        writer.text(subscription)
        writer.raw(#"","result":"#)
        body(&writer)
        writer.raw("}}")
        return writer.bytes
    }

    /// The block's 2048-bit logs bloom (its token logs' address and topics), as the yellow paper's M3:2048.
    func bloom(_ block: SimBlock) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: 256)
        func add(_ item: [UInt8]) {
            let h = Keccak256.hash(item)
            for i in stride(from: 0, to: 6, by: 2) {
                let bit = (Int(h[i]) << 8 | Int(h[i + 1])) & 2047
                bits[255 - bit / 8] |= 1 << UInt8(bit % 8)
            }
        }
        if !block.transfers.isEmpty {
            add(chain.parameters.token)
            add(SimChain.transferTopic)
        }
        for t in block.transfers {
            add([UInt8](repeating: 0, count: 12) + t.from)
            add([UInt8](repeating: 0, count: 12) + t.to)
        }
        return bits
    }
}
