import GantryCore

/// The caller's preallocated memory for one order request at a time: the request's bytes (`request`) and a
/// scratch area the encoders use for what is signed or measured before it is written (a signature payload, an
/// HTTP body). Allocated once, when the order-send stage starts; encoding never grows it: a request that does
/// not fit is an error (`OrderEncodeError.bufferTooSmall`), never a reallocation.
///
/// ```
///   storage  [ request: capacity bytes ............ ][ scratch: capacity bytes ............ ]
/// ```
///
/// One owner (`~Copyable`): the order-send stage hands it to an encoder `inout`, then sends `bytes`.
public struct OrderRequestBuffer: ~Copyable {
    @usableFromInline let storage: UnsafeMutablePointer<UInt8>
    /// The request being written.
    public var request: ByteWriter
    /// Working space for encoders (reset by each encoder before use).
    public var scratch: ByteWriter

    /// Allocates `capacity` bytes for requests and as many for scratch.
    /// - Parameter capacity: The longest request (4 KiB holds every order request of the five venues; a Coinbase
    ///   REST request with its JWT is about 1 KiB).
    public init(capacity: Int = 4_096) {
        precondition(capacity >= 256, "an order request buffer needs at least 256 bytes")
        storage = .allocate(capacity: capacity * 2)
        request = ByteWriter(base: storage, capacity: capacity)
        scratch = ByteWriter(base: storage + capacity, capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// The request's bytes, valid until the next encode into this buffer.
    public var bytes: UnsafeRawBufferPointer { request.written }

    /// Calls `body` with the request's bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(request.written) }

    /// The request's bytes as a `String` (tests and diagnostics only: allocates, and requests carry API keys).
    public var text: String { String(decoding: request.written, as: UTF8.self) }

    /// Starts a request: forgets the last one.
    @inlinable
    public mutating func begin() {
        request.reset()
        scratch.reset()
    }

    /// Checks that the request was written whole.
    /// - Throws: `.bufferTooSmall` if any part did not fit.
    @inlinable
    public func finish() throws(OrderEncodeError) {
        if request.overflowed || scratch.overflowed { throw .bufferTooSmall(capacity: request.capacity) }
    }
}

/// Writes HTTP/1.1 requests into a `ByteWriter`: the request line, `Host`, the caller's headers, `Content-Length`
/// and the body, as `HTTPRequestWriter` does for GantryNet's client but without `String`s or arrays.
public enum HTTPRequestBytes {
    /// The request line and `Host` header: "METHOD target HTTP/1.1\r\nHost: host\r\n". The target is written by
    /// the caller right after `method` and before `finishRequestLine`.
    @inlinable
    public static func start(_ w: inout ByteWriter, method: StaticString) {
        w.text(method)
        w.byte(0x20)
    }

    /// Ends the request line begun by `start` and writes the `Host` header.
    @inlinable
    public static func finishRequestLine(_ w: inout ByteWriter, host: InlineText) {
        w.text(" HTTP/1.1\r\nHost: ")
        w.text(host)
        w.text("\r\n")
    }

    /// Writes one header whose value the caller writes next, ended by `endHeader`.
    @inlinable
    public static func header(_ w: inout ByteWriter, _ name: StaticString) {
        w.text(name)
        w.text(": ")
    }

    @inlinable
    public static func endHeader(_ w: inout ByteWriter) { w.text("\r\n") }

    /// Writes `Content-Length`, the blank line and `body`.
    @inlinable
    public static func body(_ w: inout ByteWriter, _ body: UnsafeRawBufferPointer) {
        w.text("Content-Length: ")
        w.unsigned(UInt64(body.count))
        w.text("\r\n\r\n")
        w.bytes(body)
    }
}

/// A REST request's target (path and query) and body, written into the scratch area one after the other so
/// that a venue's signature can cover them (in its order) before the request is written.
///
/// ```
///   scratch  [ target: path?query ][ body ]
/// ```
struct RESTParts {
    var targetEnd = 0

    /// Starts a target: the scratch area is reset.
    init(_ buffer: inout OrderRequestBuffer) {
        buffer.begin()
    }

    /// Marks the end of the target; what follows in the scratch area is the body.
    mutating func endTarget(_ buffer: borrowing OrderRequestBuffer) { targetEnd = buffer.scratch.count }

    func target(_ buffer: borrowing OrderRequestBuffer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer.scratch.written[0..<targetEnd])
    }

    func body(_ buffer: borrowing OrderRequestBuffer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer.scratch.written[targetEnd...])
    }
}

extension ByteWriter {
    /// A writer over caller memory on the stack (a timestamp or nonce text written once and used twice).
    @inlinable
    static func over(_ raw: UnsafeMutableRawBufferPointer) -> ByteWriter {
        ByteWriter(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), capacity: raw.count)
    }
}
