import GantryCore

/// A raw-pointer cursor over a message for the hot decoders: punctuation, keys, short quoted decimals and
/// integers read where they lie, without a closure or scanner call per token; anything unusual (escapes,
/// nested values to skip) is handed to `JSONScanner`. Every read is checked against the end.
@usableFromInline
struct ByteCursor {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var i: Int

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer, at: Int) {
        self.bytes = bytes
        // An empty buffer has no base address; any non-null pointer serves since `end` is 0.
        p = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
        end = bytes.count
        i = at
    }

    /// The next byte that is not white space, without consuming it.
    @inlinable @inline(__always)
    mutating func peek() throws(DecodeError) -> UInt8 {
        while i < end {
            let b = p[i]
            if b > 0x20 || (b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09) { return b }
            i &+= 1
        }
        throw .truncated
    }

    /// After the message's top-level value: nothing but white space may follow (a venue sends one JSON value a
    /// WebSocket message; bytes after it are a malformed message, not something to ignore).
    // White space is stepped over here rather than by `peek`, which would throw (and catch) at the end of every
    // well-formed message: a throw costs a runtime call even when caught.
    @inlinable @inline(__always)
    mutating func expectEnd() throws(DecodeError) {
        while i < end {
            let b = p[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else {
                throw .malformed(offset: i, expected: "the end of the message")
            }
            i &+= 1
        }
    }

    @inlinable @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(DecodeError) {
        guard try peek() == byte else { throw .malformed(offset: i, expected: "\(what)") }
        i &+= 1
    }

    @inlinable @inline(__always)
    mutating func consume(_ byte: UInt8) throws(DecodeError) -> Bool {
        guard try peek() == byte else { return false }
        i &+= 1
        return true
    }

    /// A quoted decimal's bytes without the quotes. A backslash ends the search: no decimal contains one, and
    /// the decimal parse rejects the bytes before it.
    @inlinable @inline(__always)
    mutating func quoted() throws(DecodeError) -> UnsafeRawBufferPointer {
        try expect(0x22, "a quoted decimal")
        let start = i
        guard let (at, escaped) = Self.plainStringEnd(p, from: start, end: end) else {
            i = end
            throw .truncated
        }
        i = at
        if escaped { throw .malformed(offset: at, expected: "a decimal") }
        i &+= 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// Where a string whose bytes start at `start` ends: the index of its closing quote, or of the first
    /// backslash before it (`escaped`: the string has escapes); nil if the bytes end first.
    @inlinable @inline(__always)
    static func plainStringEnd(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> (at: Int, escaped: Bool)? {
        var k = start
        // Eight bytes at a time: a byte equal to the quote or the backslash becomes a zero byte after the xor, and
        // the lowest zero byte's flag is exact (a borrow only sets flags above a zero byte).
        while k &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self))
            let quote = word ^ 0x2222_2222_2222_2222
            let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
            let flags = ((quote &- 0x0101_0101_0101_0101) & ~quote | (backslash &- 0x0101_0101_0101_0101) & ~backslash)
                & 0x8080_8080_8080_8080
            if flags != 0 {
                let at = k &+ flags.trailingZeroBitCount &>> 3
                return (at, p[at] == 0x5C)
            }
            k &+= 8
        }
        while k < end {
            let b = p[k]
            if b == 0x22 { return (k, false) }
            if b == 0x5C { return (k, true) }
            k &+= 1
        }
        return nil
    }

    /// A quoted decimal at `scale`, parsed where it lies: the digits are read straight from the message and
    /// the closing quote must follow them. Anything else (a sign, an exponent, a bad digit) is judged by the
    /// full grammar on the quoted text, which names the problem.
    @inlinable @inline(__always)
    mutating func quotedDecimal(scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        try expect(0x22, "a quoted decimal")
        if let (value, next) = FixedPoint.unsignedPrefix(p, from: i, end: end, scale: scale), next < end, p[next] == 0x22 {
            i = next &+ 1
            return value
        }
        i &-= 1
        let text = try quoted()
        do throws(DecimalError) {
            return try FixedPoint.parse(text, scale: scale)
        } catch {
            throw .badNumber(field: "\(field)", error)
        }
    }

    /// A decimal sent either as a string or as a bare JSON number (Kraken v2 sends numbers "with the same
    /// precision as the engine"), at `scale`. Bare numbers are read from their text, never through `Double`.
    @inlinable
    mutating func decimal(scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        if try peek() == 0x22 { return try quotedDecimal(scale: scale, field) }
        if let (value, next) = FixedPoint.unsignedPrefix(p, from: i, end: end, scale: scale), next < end,
            p[next] == 0x2C || p[next] == 0x7D || p[next] == 0x5D || p[next] <= 0x20
        {
            i = next
            return value
        }
        var s = JSONScanner(bytes)
        s.offset = i
        let text = try s.numberBytes()
        i = s.offset
        do throws(DecimalError) {
            return try FixedPoint.parse(text, scale: scale)
        } catch {
            throw .badNumber(field: "\(field)", error)
        }
    }

    /// Reads the object at the cursor: for each member, `body` gets its key, the first byte of its value and
    /// the cursor at the value, which it must read or skip (exactly one value).
    @inlinable @inline(__always)
    mutating func object(_ body: (UnsafeRawBufferPointer, UInt8, inout ByteCursor) throws(DecodeError) -> Void) throws(DecodeError) {
        try expect(0x7B, "{")
        if try consume(0x7D) { return }
        repeat {
            let key = try string()
            try expect(0x3A, ":")
            let next = try peek()
            try body(key, next, &self)
        } while try consume(0x2C)
        try expect(0x7D, "} or ,")
    }

    /// Steps over the members of an object after the one just read, and its closing brace (a reader that
    /// stopped early at the member it wanted checks the rest of the object this way).
    @inlinable
    mutating func skipRestOfObject() throws(DecodeError) {
        while try consume(0x2C) {
            _ = try string()
            try expect(0x3A, ":")
            try skipValue()
        }
        try expect(0x7D, "} or ,")
    }

    /// After an array's element: true past a `,` (another element follows), false past the closing `]`.
    @inlinable @inline(__always)
    mutating func nextElement() throws(DecodeError) -> Bool {
        if i < end && p[i] == 0x2C {
            i &+= 1
            return true
        }
        if try consume(0x2C) { return true }
        try expect(0x5D, "] or ,")
        return false
    }

    /// Skips any value.
    @inlinable
    mutating func skipValue() throws(DecodeError) {
        let b = try peek()
        if b == 0x22 {
            _ = try string()
            return
        }
        if b &- 0x30 < 10 {
            // A plain integer (times, ids): digits up to a delimiter; anything else goes to the scanner.
            var k = i
            while k < end && p[k] &- 0x30 < 10 { k &+= 1 }
            if k < end && (p[k] == 0x2C || p[k] == 0x7D || p[k] == 0x5D) {
                i = k
                return
            }
        }
        var s = JSONScanner(bytes)
        s.offset = i
        try s.skipValue()
        i = s.offset
    }

    /// A string's bytes without the quotes (keys, symbols, event names). Escapes are left as they are.
    @inlinable
    mutating func string() throws(DecodeError) -> UnsafeRawBufferPointer {
        try expect(0x22, "a string")
        let start = i
        guard let (at, escaped) = Self.plainStringEnd(p, from: start, end: end) else {
            i = end
            throw .truncated
        }
        if escaped {
            // Rare: let the scanner find the end past the escapes.
            var s = JSONScanner(bytes)
            s.offset = start &- 1
            let text = try s.string()
            i = s.offset
            return text
        }
        i = at &+ 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// A non-negative integer (ids, sequence numbers, millisecond times).
    @inlinable
    mutating func uint64(_ field: StaticString) throws(DecodeError) -> UInt64 {
        _ = try peek()
        var value: UInt64 = 0
        let start = i
        while i < end {
            let d = p[i] &- 0x30
            if d >= 10 { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { throw .badNumber(field: "\(field)", .overflow) }
            value = s
            i &+= 1
        }
        if i == end { throw .truncated }
        if i == start { throw .badNumber(field: "\(field)", nil) }
        // A fraction or exponent is not an integer.
        let next = p[i]
        if next == 0x2E || next == 0x65 || next == 0x45 { throw .badNumber(field: "\(field)", nil) }
        return value
    }

    /// A millisecond time at `at` (an integer) as wall-clock ns; zero when the field is absent (`at` < 0).
    static func milliseconds(_ message: UnsafeRawBufferPointer, at: Int, _ field: StaticString) throws(DecodeError) -> Nanos {
        guard at >= 0 else { return .zero }
        var c = ByteCursor(message, at: at)
        let ms = try c.uint64(field)
        guard ms < UInt64(Int64.max / 1_000_000) else { throw .badNumber(field: "\(field)", .overflow) }
        return Nanos(raw: Int64(ms) * 1_000_000)
    }
}
