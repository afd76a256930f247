import COpenSSL

/// Why TLS setup or a session failed. Verification failures name OpenSSL's reason, never a silent downgrade.
public enum TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    case context(String)
    case certificate(path: String, String)
    case verification(String)
    case handshake(String)
    case io(String)

    public var description: String {
        switch self {
        case .context(let why): "TLS context: \(why)"
        case .certificate(let path, let why): "TLS certificate or key \(path): \(why)"
        case .verification(let why): "TLS peer verification failed: \(why)"
        case .handshake(let why): "TLS handshake failed: \(why)"
        case .io(let why): "TLS: \(why)"
        }
    }
}

/// An OpenSSL `SSL_CTX`: protocol versions, trust, and (for servers) the certificate. Shared by the sessions
/// of one venue; OpenSSL makes a context safe to use from several threads once configured.
///
/// `@unchecked Sendable`: the context is configured in `init` and only read afterwards (OpenSSL documents
/// SSL_CTX as thread-safe for creating sessions).
public final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    public let isServer: Bool

    /// A client context: TLS 1.2 or 1.3, peer verification on.
    /// - Parameter caFile: A PEM file of trusted CAs; nil for the system store.
    /// - Throws: `TLSError`.
    public init(clientTrusting caFile: String? = nil) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .context(TLSErrors.drain()) }
        self.ctx = ctx
        isServer = false
        try configureCommon()
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(ctx, caFile, nil) == 1 else {
                throw .certificate(path: caFile, TLSErrors.drain())
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw .context(TLSErrors.drain()) }
        }
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, Int(SSL_SESS_CACHE_CLIENT), nil)
    }

    /// A server context presenting `certificateFile` (PEM chain) with `keyFile` (PEM), for the venue simulator.
    /// - Throws: `TLSError`.
    public init(serverCertificate certificateFile: String, key keyFile: String) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .context(TLSErrors.drain()) }
        self.ctx = ctx
        isServer = true
        try configureCommon()
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 else {
            throw .certificate(path: certificateFile, TLSErrors.drain())
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw .certificate(path: keyFile, TLSErrors.drain())
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else { throw .certificate(path: keyFile, TLSErrors.drain()) }
    }

    private func configureCommon() throws(TLSError) {
        guard SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw .context(TLSErrors.drain())
        }
        // Writes may complete partially and be retried from another buffer address (our send buffers move).
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
    }

    deinit { SSL_CTX_free(ctx) }
}

/// A saved session for fast reconnects (TLS 1.3 tickets or 1.2 session ids).
///
/// `@unchecked Sendable`: OpenSSL's SSL_SESSION is reference counted and immutable once established.
public final class TLSResumption: @unchecked Sendable {
    let session: OpaquePointer
    init(_ session: OpaquePointer) { self.session = session }
    deinit { SSL_SESSION_free(session) }
}

/// What a TLS step needs next.
public enum TLSProgress: Equatable, Sendable {
    /// Done (handshake complete, or data moved).
    case done
    /// Send what `takeCiphertext` gives, feed what arrives, and step again.
    case needIO
    /// The peer closed the TLS session (close_notify).
    case closed
}

/// One TLS connection over memory BIOs (our own, `CiphertextBIO`): OpenSSL only transforms bytes; the caller moves ciphertext
/// to and from its own socket. One owner: `~Copyable`.
///
/// ```
///   socket ──ciphertextInbox/commitCiphertext──► [incoming] ─► SSL ─► readPlaintext ──► decoder
///   socket ◄─outgoingCiphertext/ciphertextSent── [outgoing] ◄─ SSL ◄─ writePlaintext ◄── encoder
/// ```
public struct TLSSession: ~Copyable {
    let ssl: OpaquePointer
    let buffers: CiphertextBuffers
    let context: TLSContext

    /// A client session that verifies the peer's chain and that its certificate names `host` (also sent as SNI).
    /// - Parameter resuming: A session saved from an earlier connection to the same host.
    /// - Throws: `TLSError`.
    public init(client context: TLSContext, host: String, resuming: TLSResumption? = nil) throws(TLSError) {
        precondition(!context.isServer, "a client session needs a client context")
        let (ssl, buffers) = try Self.make(context)
        guard SSL_set1_host(ssl, host) == 1 else {
            SSL_free(ssl)
            throw .context("cannot set the expected host name: \(TLSErrors.drain())")
        }
        _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        if let resuming { SSL_set_session(ssl, resuming.session) }
        SSL_set_connect_state(ssl)
        self.ssl = ssl
        self.buffers = buffers
        self.context = context
    }

    /// A server session.
    public init(server context: TLSContext) throws(TLSError) {
        precondition(context.isServer, "a server session needs a server context")
        let (ssl, buffers) = try Self.make(context)
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.buffers = buffers
        self.context = context
    }

    /// An SSL over two BIOs of ours (one reading, one writing the same ciphertext buffers), which it owns
    /// from here on; read-ahead on, so that OpenSSL takes whole records in one read.
    private static func make(_ context: TLSContext) throws(TLSError) -> (OpaquePointer, CiphertextBuffers) {
        guard let ssl = SSL_new(context.ctx) else { throw .context(TLSErrors.drain()) }
        let buffers = CiphertextBuffers()
        guard let rbio = CiphertextBIO.make(buffers) else {
            SSL_free(ssl)
            throw .context("cannot make BIOs")
        }
        guard let wbio = CiphertextBIO.make(buffers) else {
            BIO_free(rbio)
            SSL_free(ssl)
            throw .context("cannot make BIOs")
        }
        SSL_set_bio(ssl, rbio, wbio)
        _ = SSL_ctrl(ssl, SSL_CTRL_SET_READ_AHEAD, 1, nil)
        return (ssl, buffers)
    }

    deinit { SSL_free(ssl) }

    /// Hands bytes received from the socket to OpenSSL (a copy; `ciphertextInbox` avoids it).
    public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
        buffers.incoming.append(bytes)
    }

    /// Room for at least `minimum` bytes of ciphertext, to receive into directly; then `commitCiphertext`.
    public func ciphertextInbox(minimum: Int) -> UnsafeMutableRawBufferPointer {
        buffers.incoming.reserve(minimum)
    }

    /// Makes `count` bytes received into the inbox readable by OpenSSL.
    public func commitCiphertext(_ count: Int) {
        buffers.incoming.commit(count)
    }

    /// Bytes OpenSSL wants sent to the peer, moved into `buffer` (a copy; `outgoingCiphertext` avoids it).
    /// - Returns: How many bytes were written into `buffer` (0 if none are pending).
    public func takeCiphertext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, buffers.outgoing.count)
        if n > 0 {
            buffer.baseAddress!.copyMemory(from: buffers.outgoing.readable.baseAddress!, byteCount: n)
            buffers.outgoing.consume(n)
        }
        return n
    }

    /// The ciphertext waiting to be sent, valid until the next TLS call: send from it, then `ciphertextSent`.
    public var outgoingCiphertext: UnsafeRawBufferPointer { buffers.outgoing.readable }

    /// Drops `count` bytes of `outgoingCiphertext` (the socket took them).
    public func ciphertextSent(_ count: Int) {
        buffers.outgoing.consume(count)
    }

    /// Bytes waiting to be sent.
    public var pendingCiphertext: Int { buffers.outgoing.count }

    /// Received ciphertext or decrypted plaintext that `readPlaintext` has not handed out yet.
    public func hasBufferedInput() -> Bool { !buffers.incoming.isEmpty || SSL_has_pending(ssl) == 1 }

    /// Advances the handshake.
    /// - Throws: `TLSError.verification` with OpenSSL's reason if the peer is not trusted or not `host`;
    ///   `.handshake` for other failures.
    public func handshake() throws(TLSError) -> TLSProgress {
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .done }
        return try progress(rc)
    }

    /// True once the handshake is complete.
    public var isEstablished: Bool { SSL_is_init_finished(ssl) == 1 }

    /// True if this connection resumed a saved session.
    public var resumedSession: Bool { SSL_session_reused(ssl) == 1 }

    /// The negotiated protocol ("TLSv1.3").
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The session to resume on the next connection, if the peer issued one.
    public func savedSession() -> TLSResumption? {
        guard let s = SSL_get1_session(ssl) else { return nil }
        guard SSL_SESSION_is_resumable(s) == 1 else {
            SSL_SESSION_free(s)
            return nil
        }
        return TLSResumption(s)
    }

    /// Decrypts into `buffer`.
    /// - Returns: Bytes of plaintext (0 with `.needIO` when more ciphertext is needed, or `.closed`).
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> (Int, TLSProgress) {
        var read = 0
        let rc = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &read)
        if rc == 1 { return (read, .done) }
        return (0, try progress(rc))
    }

    /// Encrypts `bytes`; the ciphertext is then in `takeCiphertext`.
    /// - Returns: Bytes of plaintext accepted.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Int {
        var written = 0
        let rc = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &written)
        if rc == 1 { return written }
        _ = try progress(rc)
        return 0
    }

    /// Encrypts all of `bytes` (one TLS record per 16 KiB; with memory BIOs nothing is ever refused).
    /// - Returns: Bytes of plaintext accepted: all of them unless the session failed.
    public func writeAllPlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Int {
        var done = 0
        while done < bytes.count {
            let n = try writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Starts a clean close (close_notify); send `takeCiphertext` afterwards.
    public func close() { _ = SSL_shutdown(ssl) }

    private func progress(_ rc: Int32) throws(TLSError) -> TLSProgress {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needIO
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK { throw .verification(String(cString: X509_verify_cert_error_string(verify))) }
            throw .handshake(TLSErrors.drain())
        }
    }
}

enum TLSErrors {
    /// OpenSSL's queued errors as text, oldest first; the queue is emptied.
    static func drain() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? "unknown error" : parts.joined(separator: "; ")
    }
}
