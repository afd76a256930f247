#if canImport(Glibc)
import Glibc
#endif

/// A credential (an API secret, a passphrase, a private key), read from the environment or from a file only its
/// owner can read (mode 0600), never from the configuration file. Its description never shows it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's bytes: for signing, never for output.
    public let bytes: [UInt8]

    public init(_ text: String) { bytes = Array(text.utf8) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { "<secret: \(bytes.count) bytes, not shown>" }
    public var debugDescription: String { description }

    /// Why a secret could not be read. The messages name the variable or the file, never a secret.
    public struct LoadError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The secret in environment variable `env`, else in `file` (which must be mode 0600 and not empty).
    /// - Parameter who: Names the owner in errors ("venue binance: secret").
    public static func load(env: String?, file: String?, who: String) throws(LoadError) -> Secret {
        if let env {
            guard let value = getenv(env).map({ String(cString: $0) }), !value.isEmpty else {
                throw LoadError(description: "\(who): the environment variable \(env) is not set")
            }
            return Secret(value)
        }
        guard let file else { throw LoadError(description: "\(who): set an environment variable or a file (mode 0600)") }
        var info = stat()
        guard stat(file, &info) == 0 else { throw LoadError(description: "\(who): \(file) cannot be read") }
        guard info.st_mode & 0o077 == 0 else {
            throw LoadError(description: "\(who): \(file) must be mode 0600 (it is \(String(info.st_mode & 0o777, radix: 8)))")
        }
        guard let handle = fopen(file, "r") else { throw LoadError(description: "\(who): \(file) cannot be read") }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = fread(&buffer, 1, buffer.count, handle)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        while let last = bytes.last, last == 10 || last == 13 || last == 32 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw LoadError(description: "\(who): \(file) is empty") }
        return Secret(String(decoding: bytes, as: UTF8.self))
    }
}
