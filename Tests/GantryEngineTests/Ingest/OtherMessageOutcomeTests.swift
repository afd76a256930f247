import GantryCore
@testable import GantryEngine
import Testing

/// Each feed sorts what is not book data into control, the venue's error and unknown, touches no book, and the
/// stage counts the three apart.
@Suite("Feeds: control messages, venue errors and unknown messages are told apart")
struct OtherMessageOutcomeTests {
    static let x = FeedInstrument(symbol: "BTC-USD", instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)

    func outcomes<H: FeedHandler & ~Copyable>(_ feed: inout H, _ messages: [String]) -> [FeedOutcome] {
        var batch = EventBatch()
        return messages.map { text in
            batch.removeAll()
            let outcome = Array(text.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: 1), into: &batch) }
            if batch.count != 0 { Issue.record("\(text) published \(batch.count) events") }
            return outcome
        }
    }

    @Test("every venue: a reply is control, a refusal is the venue's error with its words, another channel is unknown")
    func everyVenue() {
        var bybit = BybitFeed(venue: VenueId(raw: 1), instruments: [Self.x], depth: 50)
        #expect(outcomes(&bybit, [
            #"{"success":true,"ret_msg":"","conn_id":"c1","req_id":"","op":"subscribe"}"#,
            #"{"success":false,"ret_msg":"error:handler not found","conn_id":"c1","req_id":"","op":"subscribe"}"#,
            #"{"topic":"tickers.BTC-USD","type":"snapshot","ts":1,"data":{}}"#,
        ]) == [.control, .venueError("error:handler not found"), .unknown])

        var okx = OKXFeed(venue: VenueId(raw: 2), instruments: [Self.x])
        #expect(outcomes(&okx, [
            #"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USD"},"connId":"a1"}"#,
            #"{"event":"error","code":"60018","msg":"Wrong URL or channel:books,instId:NOPE doesn't exist.","connId":"a1"}"#,
            #"{"arg":{"channel":"tickers","instId":"BTC-USD"},"data":[]}"#,
        ]) == [.control, .venueError("60018: Wrong URL or channel:books,instId:NOPE doesn't exist."), .unknown])

        var kraken = KrakenV2Feed(venue: VenueId(raw: 3), instruments: [Self.x], depth: 10)
        #expect(outcomes(&kraken, [
            #"{"channel":"heartbeat"}"#,
            #"{"error":"Currency pair not supported NOPE/USD","method":"subscribe","success":false,"symbol":"NOPE/USD"}"#,
            #"{"channel":"ohlc","type":"update","data":[]}"#,
        ]) == [.control, .venueError("Currency pair not supported NOPE/USD"), .unknown])

        var binance = BinanceFeed(venue: VenueId(raw: 4), instruments: [Self.x])
        #expect(outcomes(&binance, [
            #"{"result":null,"id":1}"#,
            #"{"code":2,"msg":"Invalid request: request ID must be an unsigned integer","id":null}"#,
            #"{"stream":"btcusd@trade","data":{"e":"trade","E":1,"s":"BTCUSD","t":1,"p":"1.00","q":"1.0","T":1,"m":true,"M":true}}"#,
        ]) == [.control, .venueError("2: Invalid request: request ID must be an unsigned integer"), .unknown])

        var coinbase = CoinbaseFeed(venue: VenueId(raw: 5), instruments: [Self.x])
        #expect(outcomes(&coinbase, [
            #"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:29:49.753424311Z","sequence_num":0,"events":[]}"#,
            #"{"type":"error","message":"failure to subscribe"}"#,
            #"{"channel":"ticker","client_id":"","timestamp":"2023-02-09T20:29:49.853424311Z","sequence_num":1,"events":[]}"#,
        ]) == [.control, .venueError("failure to subscribe"), .unknown])
    }

    @Test("the stage counts each apart and keeps the venue's last words")
    func counted() {
        var stats = IngestStats()
        for outcome: FeedOutcome in [.control, .unknown, .unknown, .venueError("first"), .venueError("second"), .applied] { stats.count(outcome) }
        #expect(stats.messages == 6 && stats.control == 1 && stats.unknown == 2 && stats.venueErrors == 2 && stats.applied == 1)
        #expect(stats.lastVenueError == "second" && stats.malformed == 0)
    }
}
