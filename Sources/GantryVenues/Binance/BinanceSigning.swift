import GantryCore

/// Binance's request signature for SIGNED endpoints: HMAC-SHA256 keyed with the API secret over the query
/// string concatenated (no separator) with the request body, as lower-case hex in the `signature` parameter;
/// the API key goes in the `X-MBX-APIKEY` header. The client signs with it, the simulator verifies with it.
public enum BinanceSigning {
    /// The hex HMAC-SHA256 of `payload` under `secret`.
    public static func signature(secret: [UInt8], payload: [UInt8]) -> String {
        Hex.encode(Crypto.hmacSHA256(key: secret, payload))
    }

    /// Compares two hex signatures without leaking where they differ (Binance accepts either case).
    public static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.lowercased().utf8)
        let y = Array(b.lowercased().utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
