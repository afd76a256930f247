import GantryCore

/// What the risk engine started from, journaled as a note when the gateway starts: its first order sequence (order
/// ids count from it) and each venue's balances by ids. A replay of the journal starts risk from the same.
public struct ReplayStart: Sendable, Equatable {
    public var firstOrderSequence: UInt64
    /// (venue, asset, free at the asset's scale).
    public var balances: [(VenueId, AssetId, Int128)]

    static let header = "replay start"

    public init(firstOrderSequence: UInt64, balances: [(VenueId, AssetId, Int128)]) {
        self.firstOrderSequence = firstOrderSequence
        self.balances = balances
    }

    /// The note's text: a header line, `first_order_sequence N`, then `balance VENUE ASSET FREE` lines (ids).
    public var text: String {
        var lines = [Self.header, "first_order_sequence \(firstOrderSequence)"]
        for (v, a, free) in balances { lines.append("balance \(v.raw) \(a.raw) \(free)") }
        return lines.joined(separator: "\n")
    }

    /// Reads a note's text; nil if it is not a replay-start note. - Throws: a note that is one but malformed.
    public init?(note: String) throws(ReplayError) {
        let lines = note.split(separator: "\n")
        guard lines.first == Substring(Self.header) else { return nil }
        var sequence: UInt64? = nil
        var balances: [(VenueId, AssetId, Int128)] = []
        for line in lines.dropFirst() {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == "first_order_sequence", let n = UInt64(f[1]) {
                sequence = n
            } else if f.count == 4, f[0] == "balance", let v = UInt8(f[1]), let a = UInt16(f[2]), let free = Int128(String(f[3])) {
                balances.append((VenueId(raw: v), AssetId(raw: a), free))
            } else {
                throw ReplayError("replay-start note: unreadable line \"\(line)\"")
            }
        }
        guard let sequence else { throw ReplayError("replay-start note without first_order_sequence") }
        self.init(firstOrderSequence: sequence, balances: balances)
    }

    public static func == (a: ReplayStart, b: ReplayStart) -> Bool {
        a.firstOrderSequence == b.firstOrderSequence && a.balances.count == b.balances.count
            && zip(a.balances, b.balances).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
    }
}

/// Why a journal cannot be replayed.
public struct ReplayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
