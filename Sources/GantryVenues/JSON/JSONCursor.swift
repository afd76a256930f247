import GantryCore

/// Why a venue message could not be decoded. Each names where (byte offset) and what was expected.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not the JSON expected at `offset`.
    case malformed(offset: Int, expected: String)
    /// The message ended early.
    case truncated
    /// A field the message type requires is missing.
    case missingField(String)
    /// A number field that does not fit or is not a decimal.
    case badNumber(field: String, DecimalError?)
    /// A symbol the configuration does not know.
    case unknownSymbol
    /// A message type this decoder does not handle (counted, not an error of the venue).
    case unknownMessage
    /// The venue refused the request the message answers (a trade-history request): its code and message.
    case venue(VenueOrderError)

    public var description: String {
        switch self {
        case .malformed(let o, let e): "malformed JSON at byte \(o): expected \(e)"
        case .truncated: "message truncated"
        case .missingField(let f): "missing field \(f)"
        case .badNumber(let f, let e): "bad number in \(f)" + (e.map { ": \($0)" } ?? "")
        case .unknownSymbol: "unknown symbol"
        case .unknownMessage: "unknown message type"
        case .venue(let e): "the venue refused: \(e)"
        }
    }
}

/// Reads JSON in place, for every decoder: no tree, no String, no allocation. Values are handed out as byte
/// ranges of the message (strings without their quotes; escapes are left as they are, which venue numbers and
/// symbols never contain); the caller walks the structure it expects and skips what it does not need.
///
/// The hot decoders (book messages, level arrays) read punctuation, keys, short quoted decimals and integers
/// where they lie through the raw pointer `p`, without a closure or call per token; the control-message
/// classifiers read with the same methods. Every read is checked against `end`.
///
/// ```
///   bytes   {"b":[["1.5","2"]]}
///           ^        ^         ^
///           p        p+offset  p+end (end = bytes.count)
/// ```
public struct JSONCursor {
    /// The message.
    public let bytes: UnsafeRawBufferPointer
    // SAFETY: `p` is `bytes`' base address (any non-null pointer for an empty message, never read since `end` is
    // 0); every read of `p[k]` is preceded by a check that `k < end`.
    @usableFromInline let p: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    /// Where the next read starts (a byte offset into `bytes`).
    public var offset: Int

    /// A cursor at `offset` in `bytes`.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        self.bytes = bytes
        // An empty buffer has no base address; any non-null pointer serves since `end` is 0.
        p = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
        end = bytes.count
        self.offset = offset
    }

    // MARK: Punctuation

    /// The next byte that is not white space, without consuming it.
    /// - Throws: `.truncated` if the message ends first.
    @inlinable @inline(__always)
    public mutating func peek() throws(DecodeError) -> UInt8 {
        while offset < end {
            let b = p[offset]
            if b > 0x20 || (b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09) { return b }
            offset &+= 1
        }
        throw .truncated
    }

    /// After the message's top-level value: nothing but white space may follow (a venue sends one JSON value a
    /// WebSocket message; bytes after it are a malformed message, not something to ignore).
    /// - Throws: `.malformed` at the first byte that is not white space.
    // White space is stepped over here rather than by `peek`, which would throw (and catch) at the end of every
    // well-formed message: a throw costs a runtime call even when caught.
    @inlinable @inline(__always)
    public mutating func expectEnd() throws(DecodeError) {
        while offset < end {
            let b = p[offset]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else {
                throw .malformed(offset: offset, expected: "the end of the message")
            }
            offset &+= 1
        }
    }

    /// Consumes `byte` (after white space).
    /// - Throws: `.malformed` naming `what` if another byte is next; `.truncated` if the message ends.
    @inlinable @inline(__always)
    public mutating func expect(_ byte: UInt8, _ what: StaticString) throws(DecodeError) {
        guard try peek() == byte else { throw .malformed(offset: offset, expected: "\(what)") }
        offset &+= 1
    }

    /// Consumes `byte` (after white space) if it is next.
    /// - Returns: Whether it was.
    /// - Throws: `.truncated` if the message ends.
    @inlinable @inline(__always)
    public mutating func consume(_ byte: UInt8) throws(DecodeError) -> Bool {
        guard try peek() == byte else { return false }
        offset &+= 1
        return true
    }

    /// Consumes `word` if the bytes at the offset spell it exactly (no white space is stepped over).
    @inlinable
    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end &- offset >= n, UnsafeRawBufferPointer(start: p + offset, count: n).equals(word) else { return false }
        offset &+= n
        return true
    }

    // MARK: Strings

    /// A string's bytes without the quotes (keys, symbols, event names). Escapes are left as they are.
    /// - Throws: `.malformed` if no string is next; `.truncated` if it does not end.
    @inlinable
    public mutating func string() throws(DecodeError) -> UnsafeRawBufferPointer {
        try expect(0x22, "a string")
        let start = offset
        guard let (at, escaped) = Self.plainStringEnd(p, from: start, end: end) else {
            offset = end
            throw .truncated
        }
        // Rare: the end is past the escapes.
        if escaped { return try escapedString(from: start, backslash: at) }
        offset = at &+ 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// The rest of `string()` for a string that starts at `start` and has a backslash at `backslash`: each
    /// backslash escapes the byte after it, whatever it is (a quote or another backslash included).
    @usableFromInline
    mutating func escapedString(from start: Int, backslash: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        var k = backslash
        while true {
            guard let (at, escaped) = Self.plainStringEnd(p, from: k &+ 2, end: end) else {
                offset = end
                throw .truncated
            }
            if !escaped {
                offset = at &+ 1
                return UnsafeRawBufferPointer(start: p + start, count: at &- start)
            }
            k = at
        }
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

    // MARK: Numbers

    /// A number's bytes as they stand (integer, fraction, exponent): the bytes up to the first that cannot be in
    /// a number, checked no further.
    /// - Throws: `.malformed` if no number is next; `.truncated` if the message ends in it.
    @inlinable
    public mutating func numberBytes() throws(DecodeError) -> UnsafeRawBufferPointer {
        _ = try peek()
        let start = offset
        while offset < end {
            let b = p[offset]
            let isNumberByte = (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45
            if !isNumberByte { break }
            offset &+= 1
        }
        if offset == start { throw .malformed(offset: offset, expected: "a number") }
        if offset == end { throw .truncated }
        return UnsafeRawBufferPointer(start: p + start, count: offset &- start)
    }

    /// A non-negative integer (ids, sequence numbers, millisecond times), read where it lies.
    /// - Throws: `.badNumber` naming `field` for no digits, a fraction, an exponent or more than `UInt64` holds;
    ///   `.truncated` if the message ends in it.
    @inlinable
    public mutating func uint64(_ field: StaticString) throws(DecodeError) -> UInt64 {
        _ = try peek()
        var value: UInt64 = 0
        let start = offset
        while offset < end {
            let d = p[offset] &- 0x30
            if d >= 10 { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { throw .badNumber(field: "\(field)", .overflow) }
            value = s
            offset &+= 1
        }
        if offset == end { throw .truncated }
        if offset == start { throw .badNumber(field: "\(field)", nil) }
        // A fraction or exponent is not an integer.
        let next = p[offset]
        if next == 0x2E || next == 0x65 || next == 0x45 { throw .badNumber(field: "\(field)", nil) }
        return value
    }

    /// A signed integer (OKX's checksum and sequence ids).
    /// - Throws: `.badNumber` naming `field` for anything but an optional `-` and digits, or a value beyond
    ///   `Int64`; `.malformed` or `.truncated` as `numberBytes`.
    @inlinable
    public mutating func int64(_ field: StaticString) throws(DecodeError) -> Int64 {
        let text = try numberBytes()
        var digits = text
        var negative = false
        if let first = text.first, first == 0x2D {
            negative = true
            digits = UnsafeRawBufferPointer(rebasing: text[1...])
        }
        let magnitude = try Self.unsigned(digits, field)
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .badNumber(field: "\(field)", .overflow) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .badNumber(field: "\(field)", .overflow) }
        return Int64(magnitude)
    }

    /// Decimal digits as an unsigned integer (also for numbers sent as strings, such as OKX's `ts`).
    /// - Throws: `.badNumber` naming `field` for no digits, a byte that is not one, or more than `UInt64` holds.
    @inlinable
    public static func unsigned(_ digits: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> UInt64 {
        guard !digits.isEmpty else { throw .badNumber(field: "\(field)", nil) }
        var value: UInt64 = 0
        for d in digits {
            let v = d &- 0x30
            guard v < 10 else { throw .badNumber(field: "\(field)", nil) }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(v))
            if o1 || o2 { throw .badNumber(field: "\(field)", .overflow) }
            value = s
        }
        return value
    }

    /// A millisecond time at `at` (an integer) as wall-clock ns; zero when the field is absent (`at` < 0).
    static func milliseconds(_ message: UnsafeRawBufferPointer, at: Int, _ field: StaticString) throws(DecodeError) -> Nanos {
        guard at >= 0 else { return .zero }
        var c = JSONCursor(message, at: at)
        let ms = try c.uint64(field)
        guard ms < UInt64(Int64.max / 1_000_000) else { throw .badNumber(field: "\(field)", .overflow) }
        return Nanos(raw: Int64(ms) * 1_000_000)
    }

    /// A quoted decimal's bytes without the quotes. A backslash ends the search: no decimal contains one, and
    /// the decimal parse rejects the bytes before it.
    @inlinable @inline(__always)
    mutating func quoted() throws(DecodeError) -> UnsafeRawBufferPointer {
        try expect(0x22, "a quoted decimal")
        let start = offset
        guard let (at, escaped) = Self.plainStringEnd(p, from: start, end: end) else {
            offset = end
            throw .truncated
        }
        offset = at
        if escaped { throw .malformed(offset: at, expected: "a decimal") }
        offset &+= 1
        return UnsafeRawBufferPointer(start: p + start, count: at &- start)
    }

    /// A quoted decimal at `scale`, parsed where it lies: the digits are read straight from the message and
    /// the closing quote must follow them. Anything else (a sign, an exponent, a bad digit) is judged by the
    /// full grammar on the quoted text, which names the problem.
    @inlinable @inline(__always)
    mutating func quotedDecimal(scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        try expect(0x22, "a quoted decimal")
        if let (value, next) = FixedPoint.unsignedPrefix(p, from: offset, end: end, scale: scale), next < end, p[next] == 0x22 {
            offset = next &+ 1
            return value
        }
        offset &-= 1
        return try Self.parsed(try quoted(), scale: scale, field)
    }

    /// A decimal sent either as a string or as a bare JSON number (Kraken v2 sends numbers "with the same
    /// precision as the engine"), at `scale`. Bare numbers are read from their text, never through `Double`.
    @inlinable
    mutating func decimal(scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        if try peek() == 0x22 { return try quotedDecimal(scale: scale, field) }
        if let (value, next) = FixedPoint.unsignedPrefix(p, from: offset, end: end, scale: scale), next < end,
            p[next] == 0x2C || p[next] == 0x7D || p[next] == 0x5D || p[next] <= 0x20
        {
            offset = next
            return value
        }
        return try Self.parsed(try numberBytes(), scale: scale, field)
    }

    /// `text` at `scale` by the full decimal grammar (the decimal readers' slow path, out of line).
    /// - Throws: `.badNumber` naming `field`, with the grammar's reason.
    @usableFromInline
    static func parsed(_ text: UnsafeRawBufferPointer, scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        do throws(DecimalError) {
            return try FixedPoint.parse(text, scale: scale)
        } catch {
            throw .badNumber(field: "\(field)", error)
        }
    }

    /// A JSON boolean.
    /// - Throws: `.malformed` if neither `true` nor `false` is next; `.truncated` if the message ends.
    @inlinable
    public mutating func bool() throws(DecodeError) -> Bool {
        _ = try peek()
        if literal("true") { return true }
        if literal("false") { return false }
        throw .malformed(offset: offset, expected: "true or false")
    }

    // MARK: Containers

    /// Reads the object at the cursor: for each member, `body` gets its key, the first byte of its value (after
    /// white space) and the cursor at the value, which it must read or skip (exactly one value).
    /// - Throws: `.malformed` for an object that is not one, or whatever `body` throws.
    @inlinable @inline(__always)
    public mutating func object(_ body: (UnsafeRawBufferPointer, UInt8, inout JSONCursor) throws(DecodeError) -> Void) throws(DecodeError) {
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

    /// Reads the array at the cursor: `body` must read or skip each element (exactly one value).
    /// - Throws: `.malformed` for an array that is not one, or whatever `body` throws.
    @inlinable
    public mutating func array(_ body: (inout JSONCursor) throws(DecodeError) -> Void) throws(DecodeError) {
        try expect(0x5B, "[")
        if try consume(0x5D) { return }
        repeat { try body(&self) } while try nextElement()
    }

    /// After an array's element: true past a `,` (another element follows), false past the closing `]`.
    @inlinable @inline(__always)
    mutating func nextElement() throws(DecodeError) -> Bool {
        if offset < end && p[offset] == 0x2C {
            offset &+= 1
            return true
        }
        if try consume(0x2C) { return true }
        try expect(0x5D, "] or ,")
        return false
    }

    // MARK: Skipping

    /// Skips any value (nested objects and arrays included). A container's grammar is checked as it is
    /// stepped over (keys, colons, commas, what follows each value), so that a message whose unread parts are
    /// not JSON is refused, as the quick paths that read those parts refuse it; the numbers and strings in it
    /// are stepped over, not converted.
    /// - Throws: `.malformed` for what is not JSON; `.truncated` if the message ends in the value.
    @inlinable
    public mutating func skipValue() throws(DecodeError) {
        let b = try peek()
        if b == 0x22 {
            _ = try string()
            return
        }
        if b &- 0x30 < 10 {
            // A plain integer (times, ids): digits up to a delimiter; anything else is for the general skip.
            var k = offset
            while k < end && p[k] &- 0x30 < 10 { k &+= 1 }
            if k < end && (p[k] == 0x2C || p[k] == 0x7D || p[k] == 0x5D) {
                offset = k
                return
            }
        }
        if b == 0x7B || b == 0x5B {
            try skipContainer()
        } else {
            try skipScalar()
        }
    }

    /// A string, a literal or a number at the offset (the number's bytes up to the first that cannot be in one).
    @usableFromInline
    mutating func skipScalar() throws(DecodeError) {
        switch try peek() {
        case 0x22: _ = try string()
        case 0x74, 0x66: _ = try bool()
        case 0x6E:
            guard literal("null") else { throw .malformed(offset: offset, expected: "null") }
        default: _ = try numberBytes()
        }
    }

    /// Steps over the object or array at the offset, nested ones included (at most 64 deep).
    @usableFromInline
    mutating func skipContainer() throws(DecodeError) {
        // Bit d: the container open at depth d is an object (else an array).
        var objects: UInt64 = 0
        var depth = 0
        var b = try peek()
        while true {
            if b == 0x7B || b == 0x5B {
                guard depth < 64 else { throw .malformed(offset: offset, expected: "at most 64 nested containers") }
                let isObject = b == 0x7B
                if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                depth += 1
                offset += 1
                if try peek() == (isObject ? 0x7D : 0x5D) {
                    // Empty: it is a whole value; what follows it is checked below.
                    offset += 1
                    depth -= 1
                } else {
                    if isObject {
                        _ = try string()
                        try expect(0x3A, ":")
                    }
                    b = try peek()
                    continue
                }
            } else {
                try skipScalar()
            }
            // After a value: a comma and the next member, or the containers that end here.
            while true {
                if depth == 0 { return }
                let isObject = (objects >> UInt64(depth - 1)) & 1 == 1
                let c = try peek()
                if c == 0x2C {
                    offset += 1
                    if isObject {
                        _ = try string()
                        try expect(0x3A, ":")
                    }
                    b = try peek()
                    break
                }
                guard c == (isObject ? 0x7D : 0x5D) else { throw .malformed(offset: offset, expected: isObject ? ", or }" : ", or ]") }
                offset += 1
                depth -= 1
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with an ASCII literal (keys, event names): no allocation.
    ///
    /// Compared a word at a time (two overlapping loads from each side); inlined where it is called, where the
    /// literal's words are constants.
    @_transparent
    public func equals(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count == n else { return false }
        if n == 0 { return true }
        let a = baseAddress!
        let b = UnsafeRawPointer(literal.utf8Start)
        if n >= 8 {
            var k = 0
            while k &+ 8 < n {
                if a.loadUnaligned(fromByteOffset: k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                    return false
                }
                k &+= 8
            }
            return a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
        }
        if n >= 2 {
            return a.loadUnaligned(as: UInt16.self) == b.loadUnaligned(as: UInt16.self)
                && a.load(fromByteOffset: n &- 1, as: UInt8.self) == b.load(fromByteOffset: n &- 1, as: UInt8.self)
        }
        return a.load(as: UInt8.self) == b.load(as: UInt8.self)
    }
}
