import Foundation

/// A CA, a server certificate it signed (for venue.test and 127.0.0.1), and an unrelated CA, made with the
/// openssl command line in a temporary folder at test time.
struct TestPKI {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var otherCAFile: String { directory + "/other-ca.pem" }
    var certificateFile: String { directory + "/server.pem" }
    var keyFile: String { directory + "/server.key" }

    static let shared: Result<TestPKI, Error> = Result { try TestPKI() }

    private init() throws {
        directory = NSTemporaryDirectory() + "gantry-pki-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
            subjectAltName=DNS:venue.test,IP:127.0.0.1
            basicConstraints=CA:FALSE
            extendedKeyUsage=serverAuth
            """.write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Gantry Test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        try run(["req", "-x509"] + ec + ["-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=Other CA",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        try run(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=venue.test"])
        try run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"])
    }

    private func run(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "openssl \(arguments.joined(separator: " "))", code: Int(p.terminationStatus))
        }
    }
}
