import Foundation
import GantryCore
import GantryEngine
import GantryJournal
import Testing

/// The replay's own checks, on journals written here: what it reads, what stops it, what it calls a difference.
/// (A live gateway's journal reproduced bit for bit is GantryRunTests' and OnChainGatewayTests'.)
@Suite("Journal replay on journals written by the test")
struct JournalReplayTests {
    static let toml = LeadingImbalanceMarket.venue + """
        [[strategies]]
        name = "ma"
        kind = "ma_crossover"
        stage = "live"
        capital = "1000000"
        pair = "BTC/USDT"
        max_position = { "BTC/USDT" = "1" }
        fast = 2
        slow = 4
        sample_ms = 100
        quantity = "0.01"
        slippage_bp = "20"

        """

    /// A journal of one venue's book (a snapshot message, then `messages` top-of-book messages every 50 ms, each
    /// taken by the signal stage in a tick of its own); `cut` drops the last market events; `extraIntent` adds an
    /// intent no stage made.
    static func journal(_ dir: String, messages: Int, cut: Int = 0, extraIntent: Bool = false) throws {
        var w = try JournalWriter(JournalConfiguration(directory: dir, sync: .never))
        try w.append(text: toml, kind: .configuration)
        try w.append(text: ReplayStart(firstOrderSequence: 7, balances: []).text, kind: .note)
        let configuration = try TradingConfiguration(toml: toml)
        let venue = configuration.market.registry.venue(named: "binance")!
        let instrument = configuration.market.registry.instruments[0].id
        var events: [[MarketEvent]] = []
        for m in 0...messages {
            let t = Nanos.seconds(100) + .milliseconds(Int64(m) * 50)
            let mid = Int64(9_700_000 + (m % 7) * 30)
            var message = m == 0 ? [MarketEvent(kind: .bookReset, venue: venue, instrument: instrument, flags: .snapshot, receiveTime: t)] : []
            message.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: Price(raw: mid - 1), quantity: Quantity(raw: 100_000_000), receiveTime: t))
            message.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: Price(raw: mid + 1), quantity: Quantity(raw: 100_000_000), receiveTime: t))
            message.append(MarketEvent(kind: .messageTimes, venue: venue, instrument: instrument, flags: .endOfMessage, receiveTime: t))
            events.append(message)
        }
        let all = events.flatMap { $0 }
        for e in all.dropLast(cut) { try w.append(e) }
        for (m, message) in events.enumerated() {
            var tick = StageTick(stage: .signal, time: message[0].receiveTime + .microseconds(20), sequence: UInt64(m + 1))
            tick.marketRings = 1
            tick.setMarket(0, venue: venue, count: message.count)
            try w.append(tick)
        }
        if extraIntent {
            try w.append(OrderIntent(
                intentId: 99, signalId: 99, strategy: StrategyId(raw: 1), venue: venue, instrument: instrument, side: .buy, price: Price(raw: 1),
                quantity: Quantity(raw: 1), triggerTime: .zero, createdTime: .zero))
        }
        try w.close()
    }

    static func scratch() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-replay-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        return dir
    }

    @Test("every tick replayed with its inputs; the replay-start note read back; nothing journaled, nothing made: reproduced")
    func complete() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.journal(dir, messages: 20)
        let inputs = try JournalReplay.read(directory: dir)
        #expect(inputs.start.firstOrderSequence == 7 && inputs.marketEvents == 21 * 3 + 1)
        let r = try JournalReplay.run(inputs)
        #expect(r.signal.ticks == 21 && r.signal.journaledTicks == 21 && r.signal.stoppedEarly == nil)
        #expect(r.reproduced, "\(r)")
    }

    @Test("a journal cut short (its last market events never written) stops the replay at the tick that needs them, and says so")
    func cutShort() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.journal(dir, messages: 20, cut: 2)
        let r = try JournalReplay.run(directory: dir)
        #expect(r.signal.ticks == 20 && !r.reproduced)
        #expect(r.signal.stoppedEarly?.contains("tick 21") == true && r.signal.stoppedEarly?.contains("market events end") == true, "\(r.signal)")
    }

    @Test("an intent in the journal that the stage does not make again is a difference")
    func extraIntent() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.journal(dir, messages: 20, extraIntent: true)
        let r = try JournalReplay.run(directory: dir)
        #expect(r.signal.journaled == 1 && r.signal.replayed == 0 && !r.reproduced)
    }

    @Test("a journal with two gateway runs, or with no configuration, is refused with the reason")
    func refused() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.journal(dir, messages: 2)
        try Self.journal(dir, messages: 2)
        #expect { try JournalReplay.read(directory: dir) } throws: { "\($0)".contains("2 gateway runs") }
        let empty = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        var w = try JournalWriter(JournalConfiguration(directory: empty, sync: .never))
        try w.append(text: "hello", kind: .note)
        try w.close()
        #expect { try JournalReplay.read(directory: empty) } throws: { "\($0)".contains("no configuration") }
    }
}
