import GantryNet
import Testing

/// Moves ciphertext between a client and a server session until both handshakes finish (or one fails).
func pumpHandshake(_ client: borrowing TLSSession, _ server: borrowing TLSSession) throws(TLSError) {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    for _ in 0..<20 {
        let c = try client.handshake()
        move(from: client, to: server, &buffer)
        let s = try server.handshake()
        move(from: server, to: client, &buffer)
        if c == .done && s == .done && client.pendingCiphertext == 0 && server.pendingCiphertext == 0 { return }
    }
    throw TLSError.handshake("did not finish in 20 rounds")
}

func move(from a: borrowing TLSSession, to b: borrowing TLSSession, _ buffer: inout [UInt8]) {
    while true {
        let n = buffer.withUnsafeMutableBytes { a.takeCiphertext(into: $0) }
        if n == 0 { return }
        buffer[0..<n].withUnsafeBytes { b.feedCiphertext($0) }
    }
}

/// Sends `text` from `a` to `b` and returns what `b` decrypted.
func transfer(_ text: String, from a: borrowing TLSSession, to b: borrowing TLSSession) throws -> String {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let bytes = Array(text.utf8)
    let written = try bytes.withUnsafeBytes { p in try a.writePlaintext(p) }
    #expect(written == bytes.count)
    move(from: a, to: b, &buffer)
    var out = [UInt8](repeating: 0, count: 65_536)
    let (n, _) = try out.withUnsafeMutableBytes { p in try b.readPlaintext(into: p) }
    move(from: b, to: a, &buffer)  // post-handshake messages (TLS 1.3 session tickets) go back
    return String(decoding: out[0..<n], as: UTF8.self)
}

@Suite("TLS over memory BIOs", .serialized)
struct TLSTests {
    let pki: TestPKI
    init() throws { pki = try TestPKI.shared.get() }

    @Test("a client trusting the CA completes the handshake with the right host name, and data flows both ways")
    func handshakeAndData() throws {
        let client = try TLSSession(client: TLSContext(clientTrusting: pki.caFile), host: "venue.test")
        let server = try TLSSession(server: TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile))
        try pumpHandshake(client, server)
        let established = client.isEstablished && server.isEstablished
        let version = client.protocolVersion
        #expect(established)
        #expect(version == "TLSv1.3")
        #expect(try transfer("{\"e\":\"depthUpdate\"}", from: server, to: client) == "{\"e\":\"depthUpdate\"}")
        #expect(try transfer("SUBSCRIBE", from: client, to: server) == "SUBSCRIBE")
    }

    @Test("an IP address in the certificate's names verifies too")
    func ipAddress() throws {
        let client = try TLSSession(client: TLSContext(clientTrusting: pki.caFile), host: "127.0.0.1")
        let server = try TLSSession(server: TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile))
        try pumpHandshake(client, server)
        let established = client.isEstablished
        #expect(established)
    }

    @Test("a wrong host name is refused, and the error names the reason")
    func wrongHost() throws {
        let client = try TLSSession(client: TLSContext(clientTrusting: pki.caFile), host: "api.binance.com")
        let server = try TLSSession(server: TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile))
        #expect(throws: TLSError.verification("hostname mismatch")) { try pumpHandshake(client, server) }
        let established = client.isEstablished
        #expect(!established)
    }

    @Test("a certificate from an untrusted CA is refused, and the error names the reason")
    func untrustedCA() throws {
        let client = try TLSSession(client: TLSContext(clientTrusting: pki.otherCAFile), host: "venue.test")
        let server = try TLSSession(server: TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile))
        #expect(throws: TLSError.verification("unable to get local issuer certificate")) { try pumpHandshake(client, server) }
    }

    @Test("the system trust store does not trust a private CA")
    func systemStore() throws {
        let client = try TLSSession(client: TLSContext(), host: "venue.test")
        let server = try TLSSession(server: TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile))
        #expect(throws: TLSError.self) { try pumpHandshake(client, server) }
    }

    @Test("a saved session resumes the next connection")
    func resumption() throws {
        let clientContext = try TLSContext(clientTrusting: pki.caFile)
        let serverContext = try TLSContext(serverCertificate: pki.certificateFile, key: pki.keyFile)
        let first = try TLSSession(client: clientContext, host: "venue.test")
        let server1 = try TLSSession(server: serverContext)
        try pumpHandshake(first, server1)
        _ = try transfer("hello", from: server1, to: first)  // the client reads the session tickets here
        let maybeSaved = first.savedSession()
        let saved = try #require(maybeSaved)
        let firstResumed = first.resumedSession
        #expect(!firstResumed)

        let second = try TLSSession(client: clientContext, host: "venue.test", resuming: saved)
        let server2 = try TLSSession(server: serverContext)
        try pumpHandshake(second, server2)
        let secondResumed = second.resumedSession
        #expect(secondResumed)
        #expect(try transfer("again", from: server2, to: second) == "again")
    }

    @Test("garbage instead of a server hello fails the handshake with a clear error, no crash")
    func garbage() throws {
        let client = try TLSSession(client: TLSContext(clientTrusting: pki.caFile), host: "venue.test")
        _ = try client.handshake()
        Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8).withUnsafeBytes { client.feedCiphertext($0) }
        #expect(throws: TLSError.self) { _ = try client.handshake() }
    }

    @Test("missing certificate files are refused with the path")
    func missingFiles() {
        #expect(throws: TLSError.self) { _ = try TLSContext(clientTrusting: "/nonexistent/ca.pem") }
        #expect(throws: TLSError.self) { _ = try TLSContext(serverCertificate: "/nonexistent/cert.pem", key: "/nonexistent/key.pem") }
    }
}
