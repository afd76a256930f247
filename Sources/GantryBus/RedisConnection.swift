import CHiredis
import GantryCore

#if canImport(Glibc)
import Glibc
#endif

// Every call into hiredis passes through this file. The bus uses hiredis's synchronous API on a cold runner of
// its own: commands are appended to hiredis's output buffer (pipelined), and `reply()` flushes that buffer and
// blocks until the next reply, or until the command timeout, after which the connection is dead.

/// One connection to Redis (a `redisContext`), used by one thread at a time. A class: a bus stage holds at most
/// one, made at each (re)connect, off the hot path.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, with TCP keep-alive, and sets the read/write timeout of every later call.
    /// - Parameters:
    ///   - connectTimeout: How long the TCP connect may take.
    ///   - commandTimeout: How long one read or write may block (longer than any `BLOCK` the caller sends).
    /// - Throws: `BusError.connectFailed` with hiredis's reason.
    init(host: String, port: Int, connectTimeout: Nanos, commandTimeout: Nanos) throws(BusError) {
        guard let c = redisConnectWithTimeout(host, Int32(port), Self.timeval(connectTimeout)) else {
            throw .connectFailed(host: host, port: port, why: "out of memory")
        }
        if c.pointee.err != 0 {
            let why = Self.errorText(c)
            redisFree(c)
            throw .connectFailed(host: host, port: port, why: why)
        }
        if redisSetTimeout(c, Self.timeval(commandTimeout)) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK {
            let why = Self.errorText(c)
            redisFree(c)
            throw .connectFailed(host: host, port: port, why: why)
        }
        context = c
    }

    deinit { redisFree(context) }

    /// Appends already-formatted RESP commands to the output buffer (nothing is written yet).
    /// - Throws: `BusError.connectionLost` if hiredis cannot take them (out of memory).
    func append(_ commands: UnsafeRawBufferPointer) throws(BusError) {
        guard commands.count > 0 else { return }
        let ok = commands.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) }
        if ok != REDIS_OK { throw .connectionLost(Self.errorText(context)) }
    }

    /// Flushes what is appended and waits for the next reply (in command order).
    /// - Throws: `BusError.connectionLost` on EOF, reset, a protocol error or the command timeout.
    func reply() throws(BusError) -> RedisReply {
        var raw: UnsafeMutableRawPointer? = nil
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw .connectionLost(Self.errorText(context)) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends one command and waits for its reply.
    /// - Throws: `BusError.connectionLost`, or `.rejected` if Redis answers with an error.
    func run(_ writer: borrowing RESPWriter, name: String) throws(BusError) -> RedisReply {
        try append(writer.bytes)
        let r = try reply()
        if r.root.isError { throw .rejected(command: name, reply: r.root.text) }
        return r
    }

    private static func timeval(_ t: Nanos) -> Glibc.timeval {
        let us = max(t.raw / 1_000, 1)
        return Glibc.timeval(tv_sec: Int(us / 1_000_000), tv_usec: Int(us % 1_000_000))
    }

    private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: c.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "error \(c.pointee.err)" : text
    }
}

/// A reply hiredis parsed, freed with it.
struct RedisReply: ~Copyable {
    private let raw: UnsafeMutablePointer<redisReply>

    init(_ raw: UnsafeMutablePointer<redisReply>) { self.raw = raw }

    deinit { freeReplyObject(raw) }

    /// The reply's top element. Valid only while this `RedisReply` lives.
    var root: ReplyView { ReplyView(raw: raw) }
}

/// A non-owning view of one element of a reply. Invariant: used only while the `RedisReply` it came from lives
/// (the bus reads a reply's elements inside the scope that holds the reply, and copies out what it keeps).
struct ReplyView {
    let raw: UnsafeMutablePointer<redisReply>

    var isError: Bool { raw.pointee.type == REDIS_REPLY_ERROR }
    var isNil: Bool { raw.pointee.type == REDIS_REPLY_NIL }
    var isArray: Bool { raw.pointee.type == REDIS_REPLY_ARRAY }
    var isString: Bool { raw.pointee.type == REDIS_REPLY_STRING || raw.pointee.type == REDIS_REPLY_STATUS }
    var isInteger: Bool { raw.pointee.type == REDIS_REPLY_INTEGER }

    /// An integer reply's value.
    var integer: Int64 { Int64(raw.pointee.integer) }

    /// A string, status or error reply's bytes (empty for other types).
    var bytes: UnsafeRawBufferPointer {
        guard let s = raw.pointee.str else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: s, count: Int(raw.pointee.len))
    }

    /// The bytes as text (errors and status replies, for messages and tests).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// An array reply's element count (0 for other types).
    var count: Int { isArray ? Int(raw.pointee.elements) : 0 }

    /// An array reply's element `i`. - Traps if `i` is out of range.
    subscript(i: Int) -> ReplyView {
        precondition(i >= 0 && i < count, "reply element out of range")
        return ReplyView(raw: raw.pointee.element[i]!)
    }

    /// A short description of the reply's shape, for `BusError.unexpectedReply`.
    var shape: String {
        switch raw.pointee.type {
        case REDIS_REPLY_STRING: "string(\(bytes.count) bytes)"
        case REDIS_REPLY_ARRAY: "array(\(count))"
        case REDIS_REPLY_INTEGER: "integer \(integer)"
        case REDIS_REPLY_NIL: "nil"
        case REDIS_REPLY_STATUS: "status \(text)"
        case REDIS_REPLY_ERROR: "error \(text)"
        default: "type \(raw.pointee.type)"
        }
    }
}
