import Foundation
import GantryCore
import GantryNet
import GantryVenues

/// Reads a venue account's balances over its REST API, signed like its orders: what risk may spend at start, and
/// what the gateway checks its fills against at the end. Off the hot path (Foundation's JSON is fine here).
///
/// | venue | request | each asset's total |
/// |---|---|---|
/// | Binance | `GET /api/v3/account` | `balances[].free + locked` |
/// | OKX | `GET /api/v5/account/balance` | `data[0].details[].cashBal` |
/// | Bybit | `GET /v5/account/wallet-balance?accountType=UNIFIED` | `result.list[].coin[].walletBalance − spotBorrow` |
/// | Kraken | `POST /0/private/Balance` | `result.<asset>`, Kraken's name made common (`KrakenAssetNames`) |
/// | Coinbase | `GET /api/v3/brokerage/accounts`, every page | `accounts[].available_balance.value + hold.value` |
public enum VenueBalances {
    /// Each asset's total (free + locked) as exact decimal text, by asset name.
    public typealias Totals = [String: String]

    /// Reads the account's balances.
    /// - Throws: `GatewayError` naming the venue and what went wrong: a credential the venue's signing cannot use,
    ///   a refusal (HTTP status, or the venue's error code in a 200 answer, e.g. Bybit's 10003 for a bad key), an
    ///   answer that is not the documented one, an amount that is not a decimal.
    public static func fetch(kind: VenueKind, venue: VenueId, credentials: VenueCredentials, rest: RESTURL, tls: TLSContext?) throws -> Totals {
        try fetch(kind: kind, venue: venue, credentials: credentials, rest: rest, tls: tls, coinbasePage: 250)
    }

    /// `fetch`, with Coinbase's accounts asked `coinbasePage` a page (tests read several pages with a small one).
    static func fetch(kind: VenueKind, venue: VenueId, credentials: VenueCredentials, rest: RESTURL, tls: TLSContext?, coinbasePage: Int) throws -> Totals {
        let name = kind.rawValue
        let instruments = OrderInstruments([])
        let secret = VenueSecret(credentials.secret.bytes)
        switch kind {
        case .binance:
            var codec = BinanceOrderEntry(venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: secret, restHost: rest.host)
            codec.transport = .rest
            return try binance(answer(name, rest: rest, tls: tls) { b throws(OrderEncodeError) in try codec.accountStatus(now: WallClock.now(), into: &b) })
        case .okx:
            guard let passphrase = credentials.passphrase else { throw GatewayError("okx: a passphrase is needed") }
            var codec = OKXOrderEntry(venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: secret, passphrase: passphrase.text, restHost: rest.host)
            return try okx(answer(name, rest: rest, tls: tls) { b throws(OrderEncodeError) in try codec.accountBalance(now: WallClock.now(), into: &b) })
        case .bybit:
            let codec = BybitOrderEntry(venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: secret, restHost: rest.host)
            return try bybit(answer(name, rest: rest, tls: tls) { b throws(OrderEncodeError) in try codec.walletBalance(now: WallClock.now(), into: &b) })
        case .kraken:
            let key: VenueSecret
            do { key = try VenueSecret(base64: credentials.secret.text) } catch { throw GatewayError("kraken: the secret is not base64 (Kraken's secrets are)") }
            var codec = KrakenOrderEntry(venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: key, restHost: rest.host)
            return try kraken(answer(name, rest: rest, tls: tls) { b throws(OrderEncodeError) in try codec.accountBalance(now: WallClock.now(), into: &b) })
        case .coinbase:
            let key: ES256Key
            do { key = try ES256Key(privateKeyPEM: credentials.secret.text) } catch { throw GatewayError("coinbase: the secret is not an EC private key in PEM") }
            let codec = CoinbaseOrderEntry(venue: venue, instruments: instruments, keyName: credentials.apiKey, key: key, restHost: rest.host)
            var totals: Totals = [:]
            var cursor = InlineText()
            for _ in 0..<1_000 {
                let page = try answer(name, rest: rest, tls: tls) { b throws(OrderEncodeError) in try codec.listAccounts(limit: coinbasePage, cursor: cursor, now: WallClock.now(), into: &b) }
                guard let next = try coinbase(page, into: &totals) else { return totals }
                guard let text = InlineText(next) else { throw GatewayError("coinbase: the accounts cursor is longer than \(InlineText.capacity) bytes") }
                guard !text.isEmpty, text != cursor else { throw GatewayError("coinbase: the accounts answer has has_next but no new cursor (\"\(next)\")") }
                cursor = text
            }
            throw GatewayError("coinbase: more than 1000 pages of accounts")
        }
    }

    // MARK: - Each venue's answer

    /// Binance: `{"balances":[{"asset","free","locked"}],…}`.
    static func binance(_ o: [String: Any]) throws -> Totals {
        var totals: Totals = [:]
        for b in try field(o, "balances", [[String: Any]].self, "binance") {
            let asset = try field(b, "asset", String.self, "binance")
            try total(&totals, asset, try field(b, "free", String.self, "binance"), plus: try field(b, "locked", String.self, "binance"), "binance")
        }
        return totals
    }

    /// OKX: `{"code":"0","msg":"","data":[{"details":[{"ccy","cashBal",…}],…}]}`; a `code` other than "0" is a
    /// refusal.
    static func okx(_ o: [String: Any]) throws -> Totals {
        let code = try field(o, "code", String.self, "okx")
        guard code == "0" else { throw GatewayError("okx: balances refused: code \(code): \(o["msg"] as? String ?? "")") }
        var totals: Totals = [:]
        for d in try field(o, "data", [[String: Any]].self, "okx").prefix(1) {
            for c in try field(d, "details", [[String: Any]].self, "okx") {
                try total(&totals, try field(c, "ccy", String.self, "okx"), try field(c, "cashBal", String.self, "okx"), plus: "0", "okx")
            }
        }
        return totals
    }

    /// Bybit: `{"retCode":0,"retMsg":"OK","result":{"list":[{"coin":[{"coin","walletBalance","spotBorrow",…}]}]}}`;
    /// a `retCode` other than 0 is a refusal (Bybit answers HTTP 200 either way). The total is the wallet balance
    /// less what spot borrowing added to it (its `spotBorrow`, absent or empty: none).
    static func bybit(_ o: [String: Any]) throws -> Totals {
        let code = try field(o, "retCode", NSNumber.self, "bybit")
        guard code.intValue == 0 else { throw GatewayError("bybit: balances refused: retCode \(code): \(o["retMsg"] as? String ?? "")") }
        var totals: Totals = [:]
        for account in try field(try field(o, "result", [String: Any].self, "bybit"), "list", [[String: Any]].self, "bybit") {
            for c in try field(account, "coin", [[String: Any]].self, "bybit") {
                let borrowed = (c["spotBorrow"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "0"
                let coin = try field(c, "coin", String.self, "bybit")
                try total(&totals, coin, try field(c, "walletBalance", String.self, "bybit"), plus: try BalanceText.negated(borrowed, "bybit \(coin)"), "bybit")
            }
        }
        return totals
    }

    /// Kraken: `{"error":[],"result":{"XXBT":"…","ZUSD":"…"}}`; any `error` is a refusal ("EAPI:Invalid key").
    static func kraken(_ o: [String: Any]) throws -> Totals {
        let errors = try field(o, "error", [String].self, "kraken")
        guard errors.isEmpty else { throw GatewayError("kraken: balances refused: \(errors.joined(separator: ", "))") }
        var totals: Totals = [:]
        for (asset, amount) in try field(o, "result", [String: Any].self, "kraken") {
            guard let amount = amount as? String else { throw GatewayError("kraken: the balance of \(asset) is not a string: \(amount)") }
            try total(&totals, KrakenAssetNames.common(asset), amount, plus: "0", "kraken")
        }
        return totals
    }

    /// Coinbase: one page `{"accounts":[{"currency","available_balance":{"value"},"hold":{"value"}}],"has_next",
    /// "cursor"}` added to `totals`. - Returns: the next page's cursor, nil on the last page.
    static func coinbase(_ o: [String: Any], into totals: inout Totals) throws -> String? {
        for a in try field(o, "accounts", [[String: Any]].self, "coinbase") {
            let currency = try field(a, "currency", String.self, "coinbase")
            let available = try field(try field(a, "available_balance", [String: Any].self, "coinbase"), "value", String.self, "coinbase")
            let hold = try field(try field(a, "hold", [String: Any].self, "coinbase"), "value", String.self, "coinbase")
            try total(&totals, currency, available, plus: hold, "coinbase")
        }
        guard try field(o, "has_next", Bool.self, "coinbase") else { return nil }
        return try field(o, "cursor", String.self, "coinbase")
    }

    /// Adds `a + b` to the asset's total (an asset listed twice, as two accounts or two wallets, counts both).
    static func total(_ totals: inout Totals, _ asset: String, _ a: String, plus b: String, _ venue: String) throws {
        let what = "\(venue) \(asset)"
        totals[asset] = try BalanceText.sum(try BalanceText.sum(a, b, what), totals[asset] ?? "0", what)
    }

    /// `object[key]` as a `T`. - Throws: `GatewayError` naming the venue and the missing or mistyped field.
    static func field<T>(_ object: [String: Any], _ key: String, _ type: T.Type, _ venue: String) throws -> T {
        guard let value = object[key] as? T else {
            throw GatewayError("\(venue): the balance answer's \(key) is \(object[key].map { "not a \(T.self): \(String(describing: $0).prefix(200))" } ?? "missing")")
        }
        return value
    }

    // MARK: - Transport

    /// Encodes a request, sends it and reads its answer as a JSON object.
    static func answer(
        _ venue: String, rest: RESTURL, tls: TLSContext?, _ encode: (inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest
    ) throws -> [String: Any] {
        var buffer = OrderRequestBuffer(capacity: 8_192)
        do { _ = try encode(&buffer) } catch { throw GatewayError("\(venue): the balance request could not be made: \(error)") }
        let body = try send(buffer.bytes, to: rest, tls: tls, venue: venue)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw GatewayError("\(venue): the balance answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let o = object as? [String: Any] else { throw GatewayError("\(venue): the balance answer is not a JSON object: \(String(decoding: body.prefix(200), as: UTF8.self))") }
        return o
    }

    /// Sends one request and waits (up to 5 s) for its answer.
    /// - Parameter what: What is asked, for the errors ("balances", "instruments").
    static func send(_ request: UnsafeRawBufferPointer, to rest: RESTURL, tls: TLSContext?, venue: String, what: String = "balances") throws -> [UInt8] {
        let client = HTTPClient(address: try resolve(rest.host), port: rest.port, host: rest.host, tls: rest.tls ? tls : nil)
        guard case .success = client.send(request: request, idempotent: true) else { throw GatewayError("\(venue): the \(what) request was not queued") }
        let deadline = MonotonicClock.now() + .seconds(5)
        var answer: Result<HTTPResponse, HTTPClientError>? = nil
        while answer == nil && MonotonicClock.now() < deadline {
            client.poll { _, r in answer = r }
            if answer == nil { usleep(1_000) }
        }
        switch answer {
        case .success(let r)?:
            guard r.status == 200 else { throw GatewayError("\(venue): \(what) answered HTTP \(r.status): \(String(decoding: r.body.prefix(200), as: UTF8.self))") }
            return r.body
        case .failure(let e)?: throw GatewayError("\(venue): \(what): \(e)")
        case nil: throw GatewayError("\(venue): \(what): no answer within 5 s")
        }
    }
}
