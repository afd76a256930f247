import Foundation
import GantryCore

// The node's JSON-RPC 2.0 methods, as go-ethereum answers them (docs/interacting-with-geth/rpc/pubsub.md,
// rpc/errors.go, the execution-apis `eth_getLogs` filter):
// - `eth_subscribe` ["newHeads"] or ["logs", {address?, topics?}] → a subscription id ("0x" and up to 32 hex
//   digits, leading zeros trimmed); an unknown name -32601 `no "x" subscription in eth namespace`;
// - `eth_unsubscribe` [id] → true, or -32000 "subscription not found";
// - `eth_blockNumber`, `eth_chainId` → a quantity;
// - `eth_getLogs` [{fromBlock?, toBlock?, address?, topics?, blockHash?}] → the matching logs of the kept
//   canonical blocks, `removed: false`; from > to is -32000 "invalid block range params";
// - an unknown method -32601 "the method x does not exist/is not available"; bytes that are not JSON -32700
//   with id null; a request that is not an object with a method -32600; bad parameters -32602
//   "invalid argument n: …". A batch (an array of calls) is answered with an array.
// Simplifications, stated: the tags "latest", "pending", "safe" and "finalized" all name the head block and
// "earliest" the oldest kept block.
extension SimChainNode {
    struct RPCError: Error {
        var code: Int
        var message: String
        static func argument(_ n: Int, _ why: String) -> RPCError { RPCError(code: -32602, message: "invalid argument \(n): \(why)") }
    }

    /// A text message from a client: one call or a batch.
    func handle(_ client: SimClient, _ text: [UInt8]) {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]) else {
            stats.requests += 1
            stats.errors += 1
            return send(client, reply(id: "null", RPCError(code: -32700, message: "parse error")))
        }
        if let batch = parsed as? [Any] {
            guard !batch.isEmpty else { return send(client, reply(id: "null", RPCError(code: -32600, message: "empty batch"))) }
            var out = Array("[".utf8)
            for (k, call) in batch.enumerated() {
                if k > 0 { out.append(0x2C) }
                out += answer(client, call)
            }
            out.append(0x5D)
            return send(client, out)
        }
        send(client, answer(client, parsed))
    }

    /// The answer to one call.
    func answer(_ client: SimClient, _ call: Any) -> [UInt8] {
        stats.requests += 1
        guard let object = call as? [String: Any], let method = object["method"] as? String else {
            stats.errors += 1
            return reply(id: "null", RPCError(code: -32600, message: "invalid request"))
        }
        let id = Self.idJSON(object["id"])
        let params = object["params"] as? [Any] ?? []
        do throws(RPCError) {
            var w = SimWriter(capacity: 256)
            switch method {
            case "eth_subscribe": w.quoted(try subscribe(client, params))
            case "eth_unsubscribe":
                guard let sub = params.first as? String else { throw .argument(0, "expected a subscription id") }
                guard let k = subscriptions[client.id]?.firstIndex(where: { $0.id == sub }) else {
                    throw RPCError(code: -32000, message: "subscription not found")
                }
                subscriptions[client.id]!.remove(at: k)
                w.raw("true")
            case "eth_blockNumber": w.quantity(chain.head.number)
            case "eth_chainId": w.quantity(chain.parameters.chainId)
            case "eth_getLogs": try logs(params, into: &w)
            default: throw RPCError(code: -32601, message: "the method \(method) does not exist/is not available")
            }
            return Array(#"{"jsonrpc":"2.0","id":\#(id),"result":"#.utf8) + w.bytes + [0x7D]
        } catch {
            stats.errors += 1
            return reply(id: id, error)
        }
    }

    func reply(id: String, _ error: RPCError) -> [UInt8] {
        var w = SimWriter(capacity: 128)
        w.text(#"{"jsonrpc":"2.0","id":\#(id),"error":{"code":\#(error.code),"message":"#)
        w.quoted(error.message)
        w.raw("}}")
        return w.bytes
    }

    /// The request's id as JSON, to echo: a number, a string or null.
    static func idJSON(_ id: Any?) -> String {
        if let s = id as? String {
            var w = SimWriter(capacity: 64)
            w.quoted(s)
            return String(decoding: w.bytes, as: UTF8.self)
        }
        if let n = id as? NSNumber { return n.stringValue }
        return "null"
    }

    func subscribe(_ client: SimClient, _ params: [Any]) throws(RPCError) -> String {
        guard let name = params.first as? String else { throw .argument(0, "expected a subscription name") }
        let kind: ChainSubscription.Kind
        switch name {
        case "newHeads": kind = .newHeads
        case "logs": kind = .logs(params.count > 1 ? try Self.filter(params[1], argument: 1) : LogFilter())
        default: throw RPCError(code: -32601, message: "no \"\(name)\" subscription in eth namespace")
        }
        // geth's ids: 16 random bytes in hex, leading zeros trimmed.
        var digits = Hex.encode(ids.next(), digits: 16) + Hex.encode(ids.next(), digits: 16)
        while digits.count > 1 && digits.hasPrefix("0") { digits.removeFirst() }
        let id = "0x" + digits
        subscriptions[client.id, default: []].append(ChainSubscription(id: id, kind: kind))
        return id
    }

    /// `eth_getLogs`: the kept canonical blocks' logs that match.
    func logs(_ params: [Any], into w: inout SimWriter) throws(RPCError) {
        guard let object = params.first as? [String: Any] else { throw .argument(0, "expected a filter object") }
        let filter = try Self.filter(object, argument: 0)
        var blocks: [SimBlock]
        if let hash = object["blockHash"] {
            guard object["fromBlock"] == nil && object["toBlock"] == nil else {
                throw .argument(0, "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
            }
            guard let text = hash as? String, let bytes = Self.hex(text, bytes: 32) else { throw .argument(0, "blockHash is not a 32-byte hash") }
            blocks = chain.blocks.filter { $0.hash == bytes }
        } else {
            let from = try block(object["fromBlock"])
            let to = try block(object["toBlock"])
            guard from <= to else { throw RPCError(code: -32000, message: "invalid block range params") }
            blocks = chain.blocks.filter { $0.number >= from && $0.number <= to }
        }
        stats.getLogs += 1
        w.raw("[")
        var first = true
        for b in blocks {
            for t in b.transfers where filter.matches(address: chain.parameters.token, topics: topics(t)) {
                if !first { w.raw(",") }
                first = false
                renderLog(t, in: b, removed: false, into: &w)
            }
        }
        w.raw("]")
    }

    /// A block number or tag (absent: "latest").
    func block(_ value: Any?) throws(RPCError) -> UInt64 {
        guard let value, !(value is NSNull) else { return chain.head.number }
        guard let text = value as? String else { throw .argument(0, "a block is a quantity or a tag") }
        switch text {
        case "latest", "pending", "safe", "finalized": return chain.head.number
        case "earliest": return chain.blocks[0].number
        default:
            guard let n = Self.quantity(text) else { throw .argument(0, "hex string \(text) is not a block number") }
            return n
        }
    }

    /// A logs filter's `address` and `topics`.
    static func filter(_ value: Any, argument: Int) throws(RPCError) -> LogFilter {
        guard let object = value as? [String: Any] else { throw .argument(argument, "expected a filter object") }
        var filter = LogFilter()
        switch object["address"] {
        case nil, is NSNull: break
        case let one as String:
            guard let a = hex(one, bytes: 20) else { throw .argument(argument, "address \(one) is not 20 bytes of hex") }
            filter.addresses = [a]
        case let many as [Any]:
            for item in many {
                guard let text = item as? String, let a = hex(text, bytes: 20) else { throw .argument(argument, "an address is not 20 bytes of hex") }
                filter.addresses.append(a)
            }
        default: throw .argument(argument, "address is neither an address nor a list of them")
        }
        switch object["topics"] {
        case nil, is NSNull: break
        case let positions as [Any]:
            guard positions.count <= 4 else { throw .argument(argument, "exceed max topics") }
            for position in positions {
                switch position {
                case is NSNull: filter.topics.append(nil)
                case let one as String:
                    guard let t = hex(one, bytes: 32) else { throw .argument(argument, "topic \(one) is not 32 bytes of hex") }
                    filter.topics.append([t])
                case let any as [Any]:
                    var options: [[UInt8]] = []
                    for item in any {
                        guard let text = item as? String, let t = hex(text, bytes: 32) else { throw .argument(argument, "a topic is not 32 bytes of hex") }
                        options.append(t)
                    }
                    // An empty list matches anything, as a null does.
                    filter.topics.append(options.isEmpty ? nil : options)
                default: throw .argument(argument, "a topic is null, a hash or a list of hashes")
                }
            }
        default: throw .argument(argument, "topics is not a list")
        }
        return filter
    }

    /// "0x" and exactly `bytes` bytes of hex (either case).
    static func hex(_ text: String, bytes: Int) -> [UInt8]? {
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
        let digits = text.utf8.dropFirst(2)
        guard digits.count == 2 * bytes else { return nil }
        return Hex.decode(digits)
    }

    /// A quantity: "0x" and 1 to 16 hex digits.
    static func quantity(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x"), text.count > 2, text.count <= 18 else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }
}
