import GantryNet

/// A loopback benchmark's TLS contexts, from the folder `scripts/bench-pki.sh` makes: the venue's certificate and
/// key (`server.pem`, `server.key`), and a client trusting the throwaway CA (`ca.pem`).
public struct BenchTLS: Sendable {
    public let server: TLSContext
    public let client: TLSContext

    /// - Throws: `TLSError` if a file is missing or unusable.
    public init(pki: String) throws(TLSError) {
        server = try TLSContext(serverCertificate: pki + "/server.pem", key: pki + "/server.key")
        client = try TLSContext(clientTrusting: pki + "/ca.pem")
    }
}
