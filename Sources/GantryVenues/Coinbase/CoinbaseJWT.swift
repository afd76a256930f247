import GantryCore

/// Coinbase Advanced Trade's request authentication with a CDP API key: a JWT signed with ES256 by the key's
/// P-256 private key, sent as `Authorization: Bearer <jwt>` (REST) or as the `jwt` field of a WebSocket
/// subscribe. Header `{"alg":"ES256","kid":<key name>,"nonce":<random hex>,"typ":"JWT"}`; claims
/// `{"iss":"cdp","nbf":<now>,"exp":<now + 120>,"sub":<key name>,"uri":"<METHOD> <host><path>"}` (no `uri` for
/// WebSocket). The client makes them; the simulator verifies them with the key's public half.
public enum CoinbaseJWT {
    /// Makes a token.
    /// - Parameters:
    ///   - keyName: The CDP key's name ("organizations/{org}/apiKeys/{key}").
    ///   - uri: "POST api.coinbase.com/api/v3/brokerage/orders" for REST; nil for the WebSocket.
    ///   - now: Seconds since the epoch.
    /// - Throws: `VenueCryptoError` if the key cannot sign.
    public static func make(keyName: String, key: ES256Key, uri: String?, now: Int64, nonce: [UInt8]) throws(VenueCryptoError) -> String {
        let header = #"{"alg":"ES256","kid":"\#(escaped(keyName))","nonce":"\#(Hex.encode(nonce))","typ":"JWT"}"#
        let uriClaim = uri.map { #","uri":"\#(escaped($0))""# } ?? ""
        let claims = #"{"iss":"cdp","nbf":\#(now),"exp":\#(now + 120),"sub":"\#(escaped(keyName))"\#(uriClaim)}"#
        let signingInput = Base64.encode(Array(header.utf8), .url) + "." + Base64.encode(Array(claims.utf8), .url)
        let signature = try key.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64.encode(signature, .url)
    }

    /// A token taken apart: its header and claims as JSON text, and whether `key` signed it.
    public struct Parts: Sendable {
        public var header: String
        public var claims: String
        public var signingInput: [UInt8]
        public var signature: [UInt8]

        public func signed(by key: ES256Key) -> Bool { key.verify(signature, signingInput) }
    }

    /// Splits `token` into its three base64url parts. - Returns: nil if it is not a compact JWS.
    public static func parts(_ token: String) -> Parts? {
        let pieces = token.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 3, let h = Base64.decode(String(pieces[0]), .url), let c = Base64.decode(String(pieces[1]), .url),
            let s = Base64.decode(String(pieces[2]), .url)
        else { return nil }
        return Parts(
            header: String(decoding: h, as: UTF8.self), claims: String(decoding: c, as: UTF8.self),
            signingInput: Array((pieces[0] + "." + pieces[1]).utf8), signature: s)
    }

    static func escaped(_ s: String) -> String { s.filter { $0 != "\"" && $0 != "\\" } }
}
