import GantryCore

/// Why a deposit was refused.
public struct SimLedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "ledger: \(message)" }
}

/// A venue's balances: one per account per asset (free and locked), shared by all the venue's books, so that
/// quote locked by a BTCUSDT buy is not there for an ETHUSDT buy.
///
/// Each asset has one fixed-point scale: the largest scale at which any of the venue's instruments uses it (the
/// quantity scale where it is the base, price + quantity scale where it is the quote). A book moves amounts at
/// its own scale; the ledger multiplies them by 10^(asset scale − book scale), which is exact, so nothing is
/// ever rounded between a book and the ledger.
///
/// A class: the venue and each of its books' engines hold the same ledger. One thread (the simulator's) uses a
/// venue and everything in it.
public final class SimLedger {
    /// An account's holdings of one asset, raw at the asset's scale.
    public struct Balance: Sendable, Equatable {
        public var free: Int64 = 0
        public var locked: Int64 = 0

        public init(free: Int64 = 0, locked: Int64 = 0) {
            self.free = free
            self.locked = locked
        }

        public var total: Int64 { free + locked }
    }

    /// An asset as one book sees it: its index in the ledger and the factor from the book's scale to the asset's.
    public struct Handle: Sendable, Equatable {
        public let index: Int
        public let factor: Int64
    }

    /// The assets' names and scales, in the order they were added.
    public private(set) var names: [String] = []
    public private(set) var scales: [Int] = []
    /// Balances by asset, then by account number (accounts are small integers: arrays, not hash tables, on the
    /// matching path).
    var table: [[Balance]] = []
    /// The fees the venue has taken, by asset, raw at the asset's scale: with the balances, they add up to what
    /// was deposited, to the unit.
    public private(set) var fees: [Int64] = []

    public init() {}

    /// A ledger for the assets of `instruments`, each at the largest scale any of them uses it at.
    public convenience init(instruments: [SimInstrument]) {
        self.init()
        for i in instruments {
            add(i.baseAsset, scale: i.quantityScale)
            add(i.quoteAsset, scale: i.priceScale + i.quantityScale)
        }
    }

    /// Adds an asset, or raises an existing asset's scale (multiplying what is held by the difference, exactly).
    /// Traps if a balance would overflow at the finer scale.
    public func add(_ asset: String, scale: Int) {
        precondition((0...18).contains(scale), "asset scales are 0…18")
        guard let a = names.firstIndex(of: asset) else {
            names.append(asset)
            scales.append(scale)
            table.append([])
            fees.append(0)
            return
        }
        guard scale > scales[a] else { return }
        let factor = Self.power(scale - scales[a])
        for k in table[a].indices {
            table[a][k].free *= factor
            table[a][k].locked *= factor
        }
        fees[a] *= factor
        scales[a] = scale
    }

    /// The handle of `asset` for a book that moves it at `scale`. Traps if the asset is unknown or finer than the
    /// ledger keeps it (the venue builds the ledger from its books, so neither can happen).
    public func handle(_ asset: String, bookScale scale: Int) -> Handle {
        guard let a = names.firstIndex(of: asset) else { preconditionFailure("asset \(asset) is not in the ledger") }
        precondition(scale <= scales[a], "a book's scale is at most its asset's")
        return Handle(index: a, factor: Self.power(scales[a] - scale))
    }

    /// The index of `asset`, if the ledger has it.
    public func index(of asset: String) -> Int? { names.firstIndex(of: asset) }

    /// An account's balance of an asset, raw at the asset's scale.
    public func balance(_ account: Int, asset index: Int) -> Balance {
        account < table[index].count ? table[index][account] : Balance()
    }

    /// An account's balance of a named asset (zero for an asset the venue does not have).
    public func balance(_ account: Int, _ asset: String) -> Balance {
        index(of: asset).map { balance(account, asset: $0) } ?? Balance()
    }

    /// What all accounts hold of an asset (free and locked), raw at its scale.
    public func total(asset index: Int) -> Int64 { table[index].reduce(0) { $0 + $1.free + $1.locked } }

    /// Credits an account `amount` of an asset given as decimal text at most at the asset's scale.
    /// - Throws: `SimLedgerError` if the asset is not the venue's or the amount is not a non-negative decimal
    ///   with at most the asset's scale of places.
    public func deposit(account: Int, asset: String, amount: String) throws(SimLedgerError) {
        guard let a = index(of: asset) else {
            throw SimLedgerError("\(asset) is not an asset of the venue's instruments (\(names.joined(separator: ", ")))")
        }
        let raw: Int64
        do throws(DecimalError) {
            raw = try FixedPoint.parse(amount, scale: scales[a])
        } catch {
            throw SimLedgerError("\(asset) \(amount) is not a decimal with at most \(scales[a]) places (\(error))")
        }
        guard raw >= 0 else { throw SimLedgerError("\(asset) \(amount) is negative") }
        credit(account, Handle(index: a, factor: 1), raw)
    }

    /// Adds a signed `amount` (decimal text at most at the asset's scale) to an account's free balance.
    /// - Throws: `SimLedgerError` if the asset is not the venue's, the amount is not such a decimal, or it would
    ///   take more than is free.
    public func adjust(account: Int, asset: String, amount: String) throws(SimLedgerError) {
        guard let a = index(of: asset) else { throw SimLedgerError("\(asset) is not an asset of the venue's instruments (\(names.joined(separator: ", ")))") }
        let raw: Int64
        do throws(DecimalError) { raw = try FixedPoint.parse(amount, scale: scales[a]) } catch {
            throw SimLedgerError("\(asset) \(amount) is not a decimal with at most \(scales[a]) places (\(error))")
        }
        guard balance(account, asset: a).free + raw >= 0 else { throw SimLedgerError("\(asset) \(amount): the account has only \(balance(account, asset: a).free) (raw) free") }
        update(account, Handle(index: a, factor: 1)) { $0.free += raw }
    }

    /// Credits per asset, as `deposit(account:asset:amount:)` does for each.
    public func deposit(account: Int, _ amounts: [String: String]) throws(SimLedgerError) {
        for (asset, amount) in amounts.sorted(by: { $0.key < $1.key }) { try deposit(account: account, asset: asset, amount: amount) }
    }

    // MARK: - The books' side (amounts at the book's scale)

    /// An account's balance as a book sees it: raw at the asset's (ledger) scale.
    func balance(_ account: Int, _ h: Handle) -> Balance { balance(account, asset: h.index) }

    func update(_ account: Int, _ h: Handle, _ body: (inout Balance) -> Void) {
        precondition(account >= 0 && account < 1 << 20, "account numbers are 0..<2^20")
        if account >= table[h.index].count {
            table[h.index] += Array(repeating: Balance(), count: account - table[h.index].count + 1)
        }
        body(&table[h.index][account])
    }

    /// Adds `amount` (book scale) to free.
    func credit(_ account: Int, _ h: Handle, _ amount: Int64) {
        let v = amount * h.factor
        update(account, h) { $0.free += v }
    }

    /// Moves `amount` (book scale) from free to locked. - Returns: false (nothing moved) if free is short.
    func lock(_ account: Int, _ h: Handle, _ amount: Int64) -> Bool {
        let v = amount * h.factor
        guard balance(account, h).free >= v else { return false }
        update(account, h) {
            $0.free -= v
            $0.locked += v
        }
        return true
    }

    func unlock(_ account: Int, _ h: Handle, _ amount: Int64) {
        let v = amount * h.factor
        precondition(v >= 0 && balance(account, h).locked >= v, "unlocking more than is locked")
        update(account, h) {
            $0.locked -= v
            $0.free += v
        }
    }

    func spendLocked(_ account: Int, _ h: Handle, _ amount: Int64) {
        let v = amount * h.factor
        precondition(balance(account, h).locked >= v, "spending more than is locked")
        update(account, h) { $0.locked -= v }
    }

    /// Books the venue's fee on a fill (book scale).
    func collect(_ h: Handle, fee: Int64) { fees[h.index] += fee * h.factor }

    static func power(_ n: Int) -> Int64 {
        var p: Int64 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }
}
