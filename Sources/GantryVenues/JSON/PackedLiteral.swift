/// Up to 16 bytes of literal text held in two words with their masks, for a quick path that compares the same
/// text at many places of a message (a level object's `{"price":` before every level): compared with two
/// word loads, two exclusive ors and two masks, whatever its length. A literal compared through
/// `StaticString` where it is not a constant of the function (a level reader that takes its keys as
/// parameters) costs a walk over its length at every comparison.
@usableFromInline
struct PackedLiteral: Sendable, Equatable {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var high: UInt64 = 0
    @usableFromInline var lowMask: UInt64 = 0
    @usableFromInline var highMask: UInt64 = 0
    /// The literal's length; 0 when it was longer than 16 bytes (such a literal never matches).
    @usableFromInline var count = 0

    /// The text `<lead>"<key>":` that comes before a member's value: `{"price":` for the first member of an
    /// object (`lead` `{`), `,"asks":` for a later one (`lead` `,`). At most 16 bytes, a key of at most 12; a
    /// longer one is never matched. Meant to be called with a literal key where it is written: inlined there,
    /// the loop over its bytes folds to constants.
    @_transparent @usableFromInline
    init(key: StaticString, after lead: UInt8) {
        let n = key.utf8CodeUnitCount
        guard n <= 12 else { return }
        put(lead, at: 0)
        put(0x22, at: 1)
        for k in 0..<n { put(key.utf8Start[k], at: k &+ 2) }
        put(0x22, at: n &+ 2)
        put(0x3A, at: n &+ 3)
        count = n &+ 4
    }

    /// The text of `bytes` (at most 16; longer is never matched).
    init(bytes: [UInt8]) {
        guard bytes.count <= 16 else { return }
        for (k, byte) in bytes.enumerated() { put(byte, at: k) }
        count = bytes.count
    }

    @inlinable @inline(__always)
    mutating func put(_ byte: UInt8, at k: Int) {
        let shift = UInt64(truncatingIfNeeded: (k & 7) &* 8)
        if k < 8 {
            low |= UInt64(byte) &<< shift
            lowMask |= 0xFF &<< shift
        } else {
            high |= UInt64(byte) &<< shift
            highMask |= 0xFF &<< shift
        }
    }

    /// Whether the bytes at `p + i` begin with the literal. - Precondition: `i + 16 <= end` (both words are
    /// read whatever the literal's length).
    @inlinable @inline(__always)
    func matches(_ p: UnsafePointer<UInt8>, at i: Int) -> Bool {
        let a = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
        let b = UInt64(littleEndian: UnsafeRawPointer(p + (i &+ 8)).loadUnaligned(as: UInt64.self))
        return ((a ^ low) & lowMask) | ((b ^ high) & highMask) == 0 && count > 0
    }
}
