import Foundation
import GantryCore
import GantryTestSupport
import Testing
import VenueSim

/// The JSON object of a message (the test's independent reading: Foundation's parser).
func object(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// The keys of the first JSON object after `marker` in `text`, in the order they are written (flat objects).
func keysInOrder(_ text: String, after marker: String) -> [String] {
    guard let start = text.range(of: marker)?.upperBound else { return [] }
    var keys: [String] = []
    var depth = 0
    var rest = text[start...]
    while let quote = rest.firstIndex(where: { $0 == "\"" || $0 == "{" || $0 == "}" || $0 == "[" || $0 == "]" }) {
        let c = rest[quote]
        if c == "{" || c == "[" { depth += 1 }
        if c == "}" || c == "]" {
            depth -= 1
            if depth < 0 { break }
        }
        if c == "\"" {
            let after = rest.index(after: quote)
            guard let close = rest[after...].firstIndex(of: "\"") else { break }
            let next = rest.index(after: close)
            if depth == 0 && next < rest.endIndex && rest[next] == ":" { keys.append(String(rest[after..<close])) }
            rest = rest[next...]
            continue
        }
        rest = rest[rest.index(after: quote)...]
    }
    return keys
}

/// A hex quantity: "0x" and lower-case digits without leading zeros.
func isQuantity(_ s: Any?) -> Bool { (s as? String)?.wholeMatch(of: /0x([1-9a-f][0-9a-f]*|0)/) != nil }
/// 32 bytes of lower-case hex.
func isHash(_ s: Any?) -> Bool { (s as? String)?.wholeMatch(of: /0x[0-9a-f]{64}/) != nil }
/// 20 bytes of lower-case hex.
func isAddress(_ s: Any?) -> Bool { (s as? String)?.wholeMatch(of: /0x[0-9a-f]{40}/) != nil }

@Suite("Simulated Ethereum node: the JSON-RPC subscription API as geth documents it", .serialized)
struct SimChainNodeTests {
    @Test("Keccak-256 matches the published vectors, and the Transfer topic is keccak256 of its signature")
    func keccak() {
        #expect(Hex.encode(Keccak256.hash([UInt8]())) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Hex.encode(Keccak256.hash(Array("abc".utf8))) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        // Longer than one 136-byte block.
        #expect(Hex.encode(Keccak256.hash([UInt8](repeating: 0x61, count: 200))).count == 64)
        #expect(Hex.encode(SimChain.transferTopic) == "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
    }

    @Test("newHeads: the subscription id, then one eth_subscription notification per block with the header's fields, keys sorted")
    func newHeads() throws {
        let (sim, node) = try ChainFixture.make()
        let client = try SimTestClient(port: node.port, path: "/")
        let reply = client.request(sim, #"{"id":1,"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"]}"#)
        let answer = object(reply.first ?? "")
        let id = try #require(answer["result"] as? String)
        #expect(id.wholeMatch(of: /0x[1-9a-f][0-9a-f]{0,31}/) != nil, "a subscription id is 0x and up to 32 hex digits")
        #expect(reply.first == #"{"jsonrpc":"2.0","id":1,"result":"\#(id)"}"#)
        let before = client.received.count
        client.pump(sim) { $0.received.count >= before + 3 }
        let notes = client.received[before...].map { $0 }
        #expect(notes.count >= 3)
        var last: UInt64 = 0
        for text in notes {
            let o = object(text)
            #expect(Set(o.keys) == ["jsonrpc", "method", "params"] && o["jsonrpc"] as? String == "2.0" && o["method"] as? String == "eth_subscription")
            let params = try #require(o["params"] as? [String: Any])
            #expect(Set(params.keys) == ["subscription", "result"] && params["subscription"] as? String == id)
            let header = try #require(params["result"] as? [String: Any])
            let keys = keysInOrder(text, after: #""result":"#)
            #expect(keys == keys.sorted(), "geth writes a header's keys sorted")
            for key in ["parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom", "difficulty", "number",
                "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce", "baseFeePerGas", "withdrawalsRoot", "hash"] {
                #expect(header[key] is String, "the header has \(key)")
            }
            for key in ["number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "difficulty"] {
                #expect(isQuantity(header[key]), "\(key) is a hex quantity")
            }
            for key in ["hash", "parentHash", "stateRoot", "mixHash"] { #expect(isHash(header[key])) }
            #expect(isAddress(header["miner"]))
            #expect((header["logsBloom"] as? String)?.count == 2 + 512)
            #expect((header["nonce"] as? String)?.count == 2 + 16)
            let number = UInt64((header["number"] as! String).dropFirst(2), radix: 16)!
            #expect(last == 0 || number == last + 1, "one header per block, in order")
            last = number
            let block = try #require(node.chain.block(number))
            #expect(header["hash"] as? String == ChainFixture.hex(block.hash) && header["parentHash"] as? String == ChainFixture.hex(block.parentHash))
            #expect(header["timestamp"] as? String == "0x" + String(block.timestamp, radix: 16))
        }
    }

    @Test("logs: filtered by address and topics (null a wildcard), each log with the documented fields, data the uint256 amount")
    func logs() throws {
        let (sim, node) = try ChainFixture.make()
        let client = try SimTestClient(port: node.port, path: "/")
        let topic0 = "0x" + Hex.encode(SimChain.transferTopic)
        let toExchange0 = "0x" + String(repeating: "0", count: 24) + Hex.encode(ChainFixture.exchanges[0])
        let subscribe = #"{"id":"a","jsonrpc":"2.0","method":"eth_subscribe","params":["logs",{"address":"\#(ChainFixture.hex(ChainFixture.token))","topics":["\#(topic0)",null,"\#(toExchange0)"]}]}"#
        let id = try #require(object(client.request(sim, subscribe).first ?? "")["result"] as? String)
        // Another token's address: nothing.
        let other = #"{"id":2,"jsonrpc":"2.0","method":"eth_subscribe","params":["logs",{"address":["0x\#(String(repeating: "ab", count: 20))"]}]}"#
        let otherId = try #require(object(client.request(sim, other).first ?? "")["result"] as? String)
        let startBlock = node.chain.head.number
        let before = client.received.count
        client.pump(sim, seconds: 5) { _ in node.chain.head.number >= startBlock + 40 }
        let notes = client.received[before...].map(object)
        #expect(!notes.isEmpty)
        var seen = 0
        for o in notes {
            let params = try #require(o["params"] as? [String: Any])
            #expect(params["subscription"] as? String == id, "nothing for the other address's subscription \(otherId)")
            let log = try #require(params["result"] as? [String: Any])
            #expect(Set(log.keys) == ["address", "topics", "data", "blockNumber", "transactionHash", "transactionIndex", "blockHash", "blockTimestamp", "logIndex", "removed"])
            let topics = try #require(log["topics"] as? [String])
            #expect(topics.count == 3 && topics[0] == topic0 && topics[2] == toExchange0)
            #expect(log["removed"] as? Bool == false && log["address"] as? String == ChainFixture.hex(ChainFixture.token))
            for key in ["blockNumber", "logIndex", "transactionIndex", "blockTimestamp"] {
                #expect(isQuantity(log[key]), "\(key) is a hex quantity")
            }
            let data = try #require(log["data"] as? String)
            #expect(isHash(data), "data is one 32-byte word")
            let number = UInt64((log["blockNumber"] as! String).dropFirst(2), radix: 16)!
            let index = Int((log["logIndex"] as! String).dropFirst(2), radix: 16)!
            let block = try #require(node.chain.block(number))
            let t = try #require(block.transfers.first { $0.logIndex == index })
            #expect(t.to == ChainFixture.exchanges[0] && log["blockHash"] as? String == ChainFixture.hex(block.hash))
            #expect(UInt128(data.dropFirst(2), radix: 16) == t.amount, "data is the amount")
            seen += 1
        }
        // Every transfer to exchange 0 in the blocks produced was notified.
        let expected = (startBlock + 1...node.chain.head.number).reduce(0) { n, b in
            n + (node.chain.block(b)?.transfers.filter { $0.to == ChainFixture.exchanges[0] }.count ?? 0)
        }
        #expect(seen == expected)
    }

    @Test("eth_unsubscribe ends a subscription; unknown ids, methods, names and unreadable bytes get geth's errors")
    func errors() throws {
        let (sim, node) = try ChainFixture.make()
        let client = try SimTestClient(port: node.port, path: "/")
        let id = try #require(object(client.request(sim, #"{"id":1,"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"]}"#).first ?? "")["result"] as? String)
        #expect(client.request(sim, #"{"id":2,"jsonrpc":"2.0","method":"eth_unsubscribe","params":["\#(id)"]}"#).first == #"{"jsonrpc":"2.0","id":2,"result":true}"#)
        #expect(node.subscriptionCount == 0)
        #expect(client.request(sim, #"{"id":3,"jsonrpc":"2.0","method":"eth_unsubscribe","params":["\#(id)"]}"#).first
            == #"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"subscription not found"}}"#)
        #expect(client.request(sim, #"{"id":4,"jsonrpc":"2.0","method":"eth_foo","params":[]}"#).first
            == #"{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"the method eth_foo does not exist/is not available"}}"#)
        #expect(client.request(sim, #"{"id":5,"jsonrpc":"2.0","method":"eth_subscribe","params":["blocks"]}"#).first
            == #"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"no \"blocks\" subscription in eth namespace"}}"#)
        #expect(client.request(sim, "{not json").first == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#)
        let bad = object(client.request(sim, #"{"id":6,"jsonrpc":"2.0","method":"eth_subscribe","params":["logs",{"address":"0x12"}]}"#).first ?? "")
        #expect((bad["error"] as? [String: Any])?["code"] as? Int == -32602)
        // No more heads after the unsubscribe.
        let count = client.received.count
        client.pump(sim, seconds: 0.3) { _ in false }
        #expect(client.received.count == count)
        // A batch is answered with an array.
        let batch = client.request(sim, #"[{"id":7,"jsonrpc":"2.0","method":"eth_chainId"},{"id":8,"jsonrpc":"2.0","method":"eth_blockNumber"}]"#)
        #expect(batch.first?.hasPrefix(#"[{"jsonrpc":"2.0","id":7,"result":"0x1"},{"jsonrpc":"2.0","id":8,"result":"0x"#) == true)
    }

    @Test("eth_blockNumber is the head; eth_getLogs returns exactly the kept blocks' matching logs; a reversed range is refused")
    func getLogs() throws {
        let (sim, node) = try ChainFixture.make()
        let client = try SimTestClient(port: node.port, path: "/")
        client.pump(sim) { _ in node.chain.head.number >= node.chain.parameters.firstBlock + 20 }
        sim.paused = true
        let head = node.chain.head.number
        #expect(object(client.request(sim, #"{"id":1,"jsonrpc":"2.0","method":"eth_blockNumber","params":[]}"#).first ?? "")["result"] as? String
            == "0x" + String(head, radix: 16))
        let from = head - 10
        let request = #"{"id":2,"jsonrpc":"2.0","method":"eth_getLogs","params":[{"fromBlock":"0x\#(String(from, radix: 16))","toBlock":"latest","address":["\#(ChainFixture.hex(ChainFixture.token))"],"topics":[["0x\#(Hex.encode(SimChain.transferTopic))"]]}]}"#
        let logs = try #require(object(client.request(sim, request).first ?? "")["result"] as? [[String: Any]])
        let expected = (from...head).flatMap { node.chain.block($0)!.transfers.map { ($0.logIndex, $0.amount) } }
        #expect(logs.count == expected.count)
        #expect(logs.map { Int(($0["logIndex"] as! String).dropFirst(2), radix: 16)! } == expected.map(\.0))
        #expect(logs.allSatisfy { $0["removed"] as? Bool == false })
        let reversed = #"{"id":3,"jsonrpc":"2.0","method":"eth_getLogs","params":[{"fromBlock":"0x\#(String(head, radix: 16))","toBlock":"0x\#(String(from, radix: 16))"}]}"#
        #expect(client.request(sim, reversed).first == #"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"invalid block range params"}}"#)
        #expect(node.stats.getLogs == 1)
    }

    @Test("A reorg resends the head block's logs with removed: true before its replacement's, and the tally follows the new block")
    func reorg() throws {
        let (sim, node) = try ChainFixture.make()
        let client = try SimTestClient(port: node.port, path: "/")
        _ = client.request(sim, #"{"id":1,"jsonrpc":"2.0","method":"eth_subscribe","params":["logs",{}]}"#)
        client.pump(sim) { _ in !(node.chain.head.transfers.isEmpty) }
        sim.paused = true
        let old = node.chain.head
        let before = client.received.count
        node.reorgNextBlock()
        while node.stats.reorgs == 0 { sim.step() }
        _ = sim.poll()
        client.pump(sim, seconds: 1) { $0.received.count >= before + old.transfers.count }
        let notes = client.received[before...].map { (object($0)["params"] as? [String: Any])?["result"] as? [String: Any] ?? [:] }
        let removed = notes.prefix { $0["removed"] as? Bool == true }
        #expect(removed.count == old.transfers.count, "every log of the old head is resent removed, first")
        #expect(removed.allSatisfy { $0["blockHash"] as? String == ChainFixture.hex(old.hash) })
        #expect(node.chain.head.number == old.number && node.chain.head.hash != old.hash && node.stats.reorgs == 1)
        #expect(node.flows(block: old.number) == node.chain.flows(of: node.chain.head))
    }
}
