import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

@Suite("Order session against VenueSim's Coinbase: orders, cancels and queries by REST, fills from the user channel's cumulative updates", .serialized)
struct CoinbaseOrderSessionTests {
    @Test("the user channel's snapshot makes it ready; an IOC by REST: its fill from the cumulative update, once, then its final")
    func iocFills() throws { SessionScenarios.iocFills(try CoinbaseSessionHarness()) }

    @Test("a reject (success false, an error_response) is final and reported once")
    func reject() throws { SessionScenarios.reject(try CoinbaseSessionHarness()) }

    @Test("no answer to the create order and late updates: unknown; the query by the order_id the user channel names reconciles it; fills booked once, then the final")
    func timeoutReconciled() throws { SessionScenarios.timeoutReconciled(try CoinbaseSessionHarness()) }

    @Test("HTTP 429: not executed, the budget backs off, the order is sent again")
    func rateLimited() throws { SessionScenarios.rateLimited(try CoinbaseSessionHarness()) }

    @Test("the WebSocket (and REST) connections drop with an order resting: unknown until the query by its order_id")
    func dropInFlight() throws { SessionScenarios.dropInFlight(try CoinbaseSessionHarness()) }

    @Test("successive cumulative updates become fills: each one's quantity, fee and price are what it adds; a repeat or an older update adds nothing")
    func cumulativeFills() throws {
        let h = try CoinbaseSessionHarness()
        let g = h.approved(.buy, price: SessionScenarios.below(h), quantity: "0.05", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        let orderId = try #require(h.session.state.pointee.links.venueIds[g.clientOrderId]?.description)
        let client = ClientOrderIdText.string(g.clientOrderId)
        // The user channel's updates as Coinbase writes them: cumulative quantity, average price, total fees.
        func update(_ cumulative: String, _ average: String, _ fees: String, fills: Int, _ status: String) {
            let message = #"{"channel":"user","client_id":"","timestamp":"2024-05-01T10:00:00.000000Z","sequence_num":40,"events":[{"type":"update","orders":[{"avg_price":"\#(average)","client_order_id":"\#(client)","cumulative_quantity":"\#(cumulative)","leaves_quantity":"0","limit_price":"96900","number_of_fills":"\#(fills)","order_id":"\#(orderId)","order_side":"BUY","order_type":"Limit","product_id":"BTC-USD","status":"\#(status)","total_fees":"\#(fees)"}]}]}"#
            Array(message.utf8).withUnsafeBytes { OrderSession<CoinbaseOrderScript>.handle($0, h.session.state, h.session.codec, now: MonotonicClock.now()) }
            _ = h.pump(seconds: 0.01) { _ in false }
        }
        update("0.01", "96990.00", "0.97", fills: 1, "OPEN")
        update("0.01", "96990.00", "0.97", fills: 1, "OPEN")  // a repeat
        update("0.03", "96991.00", "2.91", fills: 2, "OPEN")
        update("0.02", "96990.50", "1.94", fills: 1, "OPEN")  // an older one, late
        update("0.05", "96992.00", "4.85", fills: 3, "FILLED")
        let rs = h.reports(of: g.clientOrderId)
        let fills = rs.filter { $0.lastQuantity.raw > 0 }
        #expect(fills.map(\.lastQuantity.raw) == [1_000_000, 2_000_000, 2_000_000])
        // 0.97 then 1.94 and 1.94 at the notional scale (10).
        #expect(fills.map(\.fee) == [9_700_000_000, 19_400_000_000, 19_400_000_000])
        // 96990.00; (96991.00 × 0.03 − 969.90) / 0.02 = 96991.50; (96992.00 × 0.05 − 2909.73) / 0.02 = 96993.50.
        #expect(fills.map(\.price.raw) == [9_699_000, 9_699_150, 9_699_350])
        let notional = fills.reduce(Int128(0)) { $0 + Int128($1.price.raw) * Int128($1.lastQuantity.raw) }
        #expect(notional == Int128(9_699_200) * Int128(5_000_000), "the fills' notionals add up to the venue's average times its quantity")
        #expect(rs.last?.status == .filled && rs.count == 4 && h.order(g.clientOrderId)?.state == .filled)
    }
}
