import GantryCore
import GantryOnChain
import GantryVenues
import Testing

/// Runs `body` on `text`'s bytes.
func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(text.utf8).withUnsafeBytes(body)
}

/// A Transfer log as geth writes it, of `amount` (64 hex digits) from 0x11… to 0xe1….
func transferLog(amount: String = String(repeating: "0", count: 56) + "05f5e100", removed: Bool = false, extra: String = "") -> String {
    let pad = String(repeating: "0", count: 24)
    return #"{"address":"0x2222222222222222222222222222222222222222","topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0x\#(pad)\#(String(repeating: "11", count: 20))","0x\#(pad)\#(String(repeating: "e1", count: 20))"],"data":"0x\#(amount)","blockNumber":"0x121eac0","transactionHash":"0x\#(String(repeating: "ab", count: 32))","transactionIndex":"0x3","blockHash":"0x\#(String(repeating: "cd", count: 32))","blockTimestamp":"0x6650a1b3","logIndex":"0x1f","removed":\#(removed)\#(extra)}"#
}

@Suite("Ethereum hex and the node's messages, read in place")
struct NodeMessagesTests {
    @Test("Quantities are read exactly; a missing prefix, no digits, a non-hex digit or more than 64 bits is refused", arguments: [
        ("0x0", UInt64(0)), ("0x1", 1), ("0x121eac0", 19_000_000), ("0xffffffffffffffff", .max), ("0x00ff", 255), ("0xFF", 255),
        ("0x0000000000000000000001", 1),
    ])
    func quantities(_ text: String, _ value: UInt64) throws {
        #expect(try withBytes(text) { try EthereumHex.quantity($0, "q") } == value)
    }

    @Test("Bad quantities are refused, naming the field", arguments: ["", "0x", "12", "0x1g", "0x10000000000000000", "x0"])
    func badQuantities(_ text: String) {
        #expect(throws: DecodeError.self) { try withBytes(text) { try EthereumHex.quantity($0, "q") } }
    }

    @Test("A uint256 splits into its high and low 128 bits; topic addresses need a zero padding; addresses take either case")
    func words() throws {
        let w = try withBytes("0x" + String(repeating: "0", count: 31) + "1" + String(repeating: "f", count: 32)) { try EthereumHex.uint256($0, "data") }
        #expect(w.high == 1 && w.low == .max)
        #expect(throws: DecodeError.self) { try withBytes("0x" + String(repeating: "0", count: 63)) { try EthereumHex.uint256($0, "data") } }
        let padded = "0x" + String(repeating: "0", count: 24) + "28c6c06298d514db089934071355e5743bf21d60"
        #expect(try withBytes(padded) { try EthereumHex.topicAddress($0, "t") } == EthereumAddress("0x28C6c06298d514Db089934071355E5743bf21d60"))
        #expect(throws: DecodeError.self) { try withBytes("0x1" + String(repeating: "0", count: 23) + "28c6c06298d514db089934071355e5743bf21d60") { try EthereumHex.topicAddress($0, "t") } }
        #expect(EthereumAddress("0x28c6c06298d514db089934071355e5743bf21d60")?.description == "0x28c6c06298d514db089934071355e5743bf21d60")
        #expect(EthereumAddress("28c6c06298d514db089934071355e5743bf21d60") == nil && EthereumAddress("0x28c6") == nil)
    }

    @Test("Responses, errors and notifications are told apart whatever the order of their members")
    func envelopes() throws {
        #expect(try withBytes(#"{"jsonrpc":"2.0","id":1,"result":"0x9ce59a13059e417087c02d3236a0b1cc"}"#) { try NodeDecoder.envelope($0).kind } == .result(id: 1, value: 33))
        #expect(try withBytes(#"{"result":true , "id":7,"jsonrpc":"2.0"}"#) { try NodeDecoder.envelope($0).kind } == .result(id: 7, value: 10))
        let error = try withBytes(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"subscription not found"}}"#) { try NodeDecoder.envelope($0).kind }
        #expect(error == .error(id: 3, code: -32000, message: 58..<80))
        let null = try withBytes(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#) { try NodeDecoder.envelope($0).kind }
        if case .error(let id, let code, _) = null { #expect(id == nil && code == -32700) } else { Issue.record("not an error: \(null)") }
        // geth's documented newHeads example puts the result before the subscription.
        let note = #"{"jsonrpc":"2.0","method":"eth_subscription","params":{"result":{"number":"0x1348c9"},"subscription":"0x9ce59a13059e417087c02d3236a0b1cc"}}"#
        let kind = try withBytes(note) { try NodeDecoder.envelope($0).kind }
        #expect(kind == .notification(subscription: 102..<136, value: 64))
        for bad in ["", "[]", "{", #"{"jsonrpc":"2.0","id":1}"#, #"{"jsonrpc":"2.0","method":"eth_other","params":{}}"#,
            #"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1"}}"#, #"{"id":1,"result":true} x"#] {
            #expect(throws: DecodeError.self, "\(bad)") { try withBytes(bad) { try NodeDecoder.envelope($0) } }
        }
    }

    @Test("A Transfer log yields its token, parties, amount, block, hash, index, removed flag and timestamp")
    func transfer() throws {
        let log = try withBytes(transferLog()) { b in
            var c = JSONCursor(b)
            return try NodeDecoder.log(&c)
        }
        #expect(log.isTransfer && log.address == EthereumAddress("0x" + String(repeating: "22", count: 20)))
        #expect(log.from == EthereumAddress("0x" + String(repeating: "11", count: 20)) && log.to == EthereumAddress("0x" + String(repeating: "e1", count: 20)))
        #expect(log.amount == 100_000_000 && log.amountHigh == 0 && log.block == 19_000_000 && log.logIndex == 31 && !log.removed)
        #expect(log.blockHash == 0xcdcd_cdcd_cdcd_cdcd && log.blockTimestamp == 0x6650a1b3)
        let removed = try withBytes(transferLog(removed: true)) { b in
            var c = JSONCursor(b)
            return try NodeDecoder.log(&c)
        }
        #expect(removed.removed)
        let huge = try withBytes(transferLog(amount: "1" + String(repeating: "0", count: 63))) { b in
            var c = JSONCursor(b)
            return try NodeDecoder.log(&c)
        }
        #expect(huge.amountHigh == UInt128(1) << 124 && huge.amount == 0)
    }

    @Test("Another event's log is not a transfer; a log without its block, or with a bad topic or data, does not decode")
    func otherLogs() throws {
        // geth's documented logs example: another event, two words of data.
        let other = #"{"address":"0x8320fe7702b96808f7bbc0d4a888ed1468216cfd","blockHash":"0x61cdb2a09ab99abf791d474f20c2ea89bf8de2923a2d42bb49944c8c993cbf04","blockNumber":"0x29e87","data":"0x00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000003","logIndex":"0x0","topics":["0xd78a0cb8bb633d06981248b816e7bd33c2a35a6089241d099fa519e361cab902"],"transactionHash":"0xe044554a0a55067caafd07f8020ab9f2af60bdfe337e395ecd84b4877a3d1ab4","transactionIndex":"0x0"}"#
        let log = try withBytes(other) { b in
            var c = JSONCursor(b)
            return try NodeDecoder.log(&c)
        }
        #expect(!log.isTransfer && log.block == 0x29e87)
        let bad = [
            transferLog().replacingOccurrences(of: #""blockNumber":"0x121eac0","#, with: ""),
            transferLog().replacingOccurrences(of: "0x000000000000000000000000111111", with: "0x100000000000000000000000111111"),
            transferLog(amount: "05f5e100"),
            transferLog().replacingOccurrences(of: #""removed":false"#, with: #""removed":"no""#),
        ]
        for text in bad {
            #expect(throws: DecodeError.self, "\(text)") {
                try withBytes(text) { b in
                    var c = JSONCursor(b)
                    _ = try NodeDecoder.log(&c)
                }
            }
        }
    }
}
