@testable import GantryEngine
import Testing

@Suite("Balance text: decimal amounts added exactly at the finer scale, written without trailing zeros")
struct BalanceTextTests {
    @Test(
        "sums as the venues' amounts need them: free + locked, available + hold, wallet − borrowed",
        arguments: [
            ("1.5", "0.25", "1.75"), ("0.00000000", "0.00000000", "0"), ("171288.6158", "0", "171288.6158"), ("2.10", "0.90", "3"),
            ("1", "-0.000000001", "0.999999999"), ("-1.5", "0.5", "-1"), ("0.1", "-0.1", "0"), ("1011.1908877900", "0.00000000001", "1011.19088779001"),
        ])
    func sums(a: String, b: String, sum: String) throws {
        #expect(try BalanceText.sum(a, b, "test") == sum)
        #expect(try BalanceText.sum(b, a, "test") == sum)
    }

    @Test("amounts Int64 fixed point cannot hold at their scale add exactly (10^12 with 12 decimals)")
    func large() throws {
        #expect(try BalanceText.sum("1000000000000.000000000001", "0.000000000001", "x") == "1000000000000.000000000002")
        #expect(try BalanceText.negated("12.50", "x") == "-12.5")
        #expect(try BalanceText.negated("0", "x") == "0")
    }

    @Test("what is not a decimal amount is an error naming what it was for", arguments: ["", "-", ".", "1e5", "1.2.3", "--1", " 1", "NaN", "1,5", "1-"])
    func malformed(text: String) {
        let error = #expect(throws: GatewayError.self) { try BalanceText.sum(text, "0", "bybit BTC") }
        #expect(error?.description.hasPrefix("bybit BTC: ") == true)
    }

    @Test("an amount past 38 digits, or a sum past Int128, is an error, not a wrapped number")
    func overflow() throws {
        let nines = String(repeating: "9", count: 38)
        #expect(try BalanceText.sum(nines, "1", "x") == "1" + String(repeating: "0", count: 38))
        #expect(throws: GatewayError.self) { try BalanceText.sum(nines, nines, "x") }
        #expect(throws: GatewayError.self) { try BalanceText.sum(nines, "0.1", "x") }
        #expect(throws: GatewayError.self) { try BalanceText.sum(nines + "9", "0", "x") }
    }
}
