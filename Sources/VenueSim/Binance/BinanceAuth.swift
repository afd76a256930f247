import GantryCore
import GantryVenues

/// A Binance API error as the venue returns it: HTTP status and `{"code":…,"msg":"…"}`.
public struct BinanceAPIError: Error, Equatable, Sendable {
    public var status: Int
    public var code: Int
    public var msg: String

    public var json: String {
        var escaped = ""
        for c in msg {
            if c == "\\" || c == "\"" { escaped.append("\\") }
            escaped.append(c)
        }
        return #"{"code":\#(code),"msg":"\#(escaped)"}"#
    }

    static func mandatory(_ name: String) -> BinanceAPIError {
        BinanceAPIError(status: 400, code: -1102, msg: "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }
}

/// An account's API key and secret, as the simulator is configured with them.
public struct BinanceCredentials: Sendable {
    public var apiKey: String
    public var secret: [UInt8]
    public var account: Int

    public init(apiKey: String, secret: String, account: Int) {
        self.apiKey = apiKey
        self.secret = Array(secret.utf8)
        self.account = account
    }
}

/// A SIGNED request that passed the checks: its account and its parameters (query first, as Binance takes a
/// parameter given in both).
public struct BinanceSignedRequest: Sendable, Equatable {
    public var account: Int
    public var parameters: [String: String]
}

/// The checks Binance makes on a SIGNED endpoint, in the simulator: the `X-MBX-APIKEY` header names a known
/// key; `timestamp` and `signature` are present; `recvWindow` (default 5,000 ms) is at most 60,000; the request
/// is processed only if `timestamp < serverTime + 1000` and `serverTime − timestamp ≤ recvWindow`; and the
/// signature is HMAC-SHA256 over the query string concatenated with the body, without the `signature` pair.
public struct BinanceAuth: Sendable {
    public var credentials: [BinanceCredentials]

    public init(_ credentials: [BinanceCredentials]) { self.credentials = credentials }

    public func verify(query: String, body: String, apiKey: String?, serverTimeMs: Int64) -> Result<BinanceSignedRequest, BinanceAPIError> {
        guard let apiKey, !apiKey.isEmpty, apiKey.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            return .failure(BinanceAPIError(status: 401, code: -2014, msg: "API-key format invalid."))
        }
        guard let who = credentials.first(where: { $0.apiKey == apiKey }) else {
            return .failure(BinanceAPIError(status: 401, code: -2015, msg: "Invalid API-key, IP, or permissions for action."))
        }
        var parameters: [String: String] = [:]
        for (k, v) in Self.pairs(body) { parameters[k] = v }
        for (k, v) in Self.pairs(query) { parameters[k] = v }  // the query string wins
        guard let signature = parameters["signature"], !signature.isEmpty else { return .failure(.mandatory("signature")) }
        if let e = Self.timing(parameters, serverTimeMs: serverTimeMs) { return .failure(e) }
        let payload = Self.withoutSignature(query) + Self.withoutSignature(body)
        guard BinanceSigning.matches(BinanceSigning.signature(secret: who.secret, payload: Array(payload.utf8)), signature) else {
            return .failure(BinanceAPIError(status: 400, code: -1022, msg: "Signature for this request is not valid."))
        }
        parameters["signature"] = nil
        return .success(BinanceSignedRequest(account: who.account, parameters: parameters))
    }

    /// The WebSocket API's signed requests (`userDataStream.subscribe.signature`, `session.logon`, …): `apiKey`,
    /// `timestamp` and `signature` (and `recvWindow`) among the params, the signature HMAC-SHA256 over every other
    /// param sorted by name, `name=value` joined with `&`, hex; the same timing rule as REST.
    public func verifyWebSocket(_ params: [String: String], serverTimeMs: Int64) -> Result<BinanceSignedRequest, BinanceAPIError> {
        guard let apiKey = params["apiKey"], !apiKey.isEmpty else { return .failure(.mandatory("apiKey")) }
        guard let who = credentials.first(where: { $0.apiKey == apiKey }) else {
            return .failure(BinanceAPIError(status: 401, code: -2015, msg: "Invalid API-key, IP, or permissions for action."))
        }
        guard let signature = params["signature"], !signature.isEmpty else { return .failure(.mandatory("signature")) }
        if let e = Self.timing(params, serverTimeMs: serverTimeMs) { return .failure(e) }
        let payload = params.filter { $0.key != "signature" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        guard BinanceSigning.matches(BinanceSigning.signature(secret: who.secret, payload: Array(payload.utf8)), signature) else {
            return .failure(BinanceAPIError(status: 400, code: -1022, msg: "Signature for this request is not valid."))
        }
        var rest = params
        rest["signature"] = nil
        return .success(BinanceSignedRequest(account: who.account, parameters: rest))
    }

    /// The timing rule: `timestamp` mandatory, `recvWindow` (default 5,000 ms) at most 60,000, and the request
    /// taken only if `timestamp < serverTime + 1000` and `serverTime − timestamp ≤ recvWindow`.
    static func timing(_ parameters: [String: String], serverTimeMs: Int64) -> BinanceAPIError? {
        guard let ts = parameters["timestamp"], let timestamp = Int64(ts) else { return .mandatory("timestamp") }
        var recvWindow: Int64 = 5_000
        if let w = parameters["recvWindow"] {
            guard let window = Int64(w), window > 0 else { return .mandatory("recvWindow") }
            guard window <= 60_000 else { return BinanceAPIError(status: 400, code: -1131, msg: "recvWindow must be less than 60000.") }
            recvWindow = window
        }
        if timestamp >= serverTimeMs + 1_000 {
            return BinanceAPIError(status: 400, code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time.")
        }
        if serverTimeMs - timestamp > recvWindow {
            return BinanceAPIError(status: 400, code: -1021, msg: "Timestamp for this request is outside of the recvWindow.")
        }
        return nil
    }

    /// `k=v` pairs of a query string or form body, percent-decoded, in order.
    static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = kv.first.map(String.init).flatMap(percentDecoded), !k.isEmpty else { return nil }
            let v = kv.count > 1 ? (percentDecoded(String(kv[1])) ?? "") : ""
            return (k, v)
        }
    }

    /// The text as signed: the same pairs in the same order, the `signature` pair left out.
    static func withoutSignature(_ text: String) -> String {
        text.split(separator: "&", omittingEmptySubsequences: false).filter { !$0.hasPrefix("signature=") }.joined(separator: "&")
    }

    static func percentDecoded(_ s: String) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = Hex.decode(bytes.prefix(2)) else { return nil }
                out.append(contentsOf: v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
