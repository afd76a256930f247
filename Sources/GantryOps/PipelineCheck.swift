/// One result of a sanity check: what was checked, about what, whether it passed, and the figures that show it.
public struct CheckFinding: Sendable, Equatable {
    /// `pipeline`, `connectivity` or `balances`.
    public var check: String
    /// A venue, a ring, a book, an asset ("" for the gateway as a whole).
    public var subject: String
    public var ok: Bool
    public var text: String

    public init(_ check: String, _ subject: String, ok: Bool, _ text: String) {
        self.check = check
        self.subject = subject
        self.ok = ok
        self.text = text
    }

    /// `✓ pipeline journal: …` or `✗ …`.
    public var line: String { "\(ok ? "✓" : "✗") \(check)\(subject.isEmpty ? "" : " \(subject)"): \(text)" }
}

extension [CheckFinding] {
    /// The failures, one line each joined by "; " (empty when all passed).
    public var failureSummary: String { filter { !$0.ok }.map { "\($0.check)\($0.subject.isEmpty ? "" : " \($0.subject)"): \($0.text)" }.joined(separator: "; ") }
}

/// The pipeline's figures a sanity check reads: the journal's counts, the market messages received (records
/// must keep arriving while they do), each ring's lag and each book's state. `gantry run` fills them from what its
/// watching thread holds; `gantry check` from the control plane's `/status`.
public struct PipelineFigures: Sendable, Equatable {
    public struct Journal: Sendable, Equatable {
        public var records: Int
        public var dropped: Int
        public init(records: Int, dropped: Int) {
            self.records = records
            self.dropped = dropped
        }
    }
    public var journal: Journal?
    public var marketMessages: Int
    public var rings: [Ring]
    public var books: [Book]

    public struct Ring: Sendable, Equatable {
        public var name: String
        public var lag: Int
        public init(name: String, lag: Int) {
            self.name = name
            self.lag = lag
        }
    }

    public struct Book: Sendable, Equatable {
        public var name: String
        public var live: Bool
        public init(name: String, live: Bool) {
            self.name = name
            self.live = live
        }
    }

    public init(journal: Journal?, marketMessages: Int, rings: [Ring], books: [Book]) {
        self.journal = journal
        self.marketMessages = marketMessages
        self.rings = rings
        self.books = books
    }
}

/// Pipeline integrity: journal continuity (no record dropped; records keep arriving while market data does), every
/// ring read (lag within `maxRingLag`), every book live.
public enum PipelineCheck {
    /// - Parameters:
    ///   - figures: The figures now; `before`: the same a little earlier (continuity is judged between them; nil
    ///     judges only drops).
    /// - Returns: One finding per journal, ring and book.
    public static func evaluate(_ figures: PipelineFigures, before: PipelineFigures?, maxRingLag: Int) -> [CheckFinding] {
        var out: [CheckFinding] = []
        if let j = figures.journal {
            let droppedBefore = before?.journal?.dropped ?? 0
            if j.dropped > droppedBefore {
                out.append(CheckFinding("pipeline", "journal", ok: false, "\(j.dropped - droppedBefore) records dropped (\(j.dropped) in all, \(j.records) written)"))
            } else if let b = before, let bj = b.journal, figures.marketMessages > b.marketMessages, j.records <= bj.records {
                out.append(CheckFinding("pipeline", "journal", ok: false, "no record written while \(figures.marketMessages - b.marketMessages) market messages arrived (\(j.records) records)"))
            } else {
                out.append(CheckFinding("pipeline", "journal", ok: true, "\(j.records) records, \(j.dropped) dropped"))
            }
        }
        for r in figures.rings {
            out.append(CheckFinding("pipeline", "ring \(r.name)", ok: r.lag <= maxRingLag, "lag \(r.lag) (limit \(maxRingLag))"))
        }
        if figures.books.isEmpty { out.append(CheckFinding("pipeline", "books", ok: false, "no book")) }
        for b in figures.books { out.append(CheckFinding("pipeline", "book \(b.name)", ok: b.live, b.live ? "live" : "stale")) }
        return out
    }
}
