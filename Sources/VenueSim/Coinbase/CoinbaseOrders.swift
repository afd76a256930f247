import Foundation
import GantryCore
import GantryVenues

// Coinbase Advanced Trade order entry, as documented (api-reference/advanced-trade-api/rest-api/orders,
// accounts; websocket/user): requests authenticated by a CDP key's ES256 JWT (`Authorization: Bearer`, claims
// iss "cdp", sub = kid = the key name, nbf/exp two minutes apart, uri "<METHOD> <host><path>"; plain-text
// "Unauthorized" with 401 otherwise); `POST /api/v3/brokerage/orders` with `market_market_ioc` (base_size),
// `limit_limit_gtc` (base_size, limit_price, post_only), `sor_limit_ioc` and `limit_limit_fok`; rejections are
// HTTP 200 with `success:false` and an `error_response` (`new_order_failure_reason`); a repeated client_order_id
// returns the original order; `POST …/orders/batch_cancel`; `GET …/orders/historical/{id}` and
// `…/historical/batch`; `GET …/accounts`; the WebSocket `user` channel (JWT without uri): a snapshot of open
// orders, then an update per change, every order field a string.
//
// Simplifications, stated: `quote_size` becomes a base size at once (what the amount takes from the book, or
// buys at the limit price), the user channel is served on the market-data port; balances are the venue's
// one ledger, shared by its products.
//
// Coinbase takes orders by REST only, so the order faults the other venues' WebSocket order APIs get apply to its
// create-order request: `rate_limit` answers it with the venue's 429 without executing it, `ack_timeout`
// executes it and never answers (the client's request times out), `late_fill` holds its user-channel updates.

/// An order as the Coinbase venue reports it.
struct CoinbaseOrderRecord {
    var orderId: String
    var book: Int
    var engineId: UInt64
    var account: Int
    var clientOrderId: String
    var side: Side
    /// "market_market_ioc", "limit_limit_gtc", "sor_limit_ioc", "limit_limit_fok".
    var configuration: String
    var postOnly: Bool
    /// Raw at the product's scales; values and fees at price + quantity scale.
    var limitPrice: Int64
    var baseSize: Int64
    var filled: Int64 = 0
    var filledValue: Int64 = 0
    var fees: Int64 = 0
    var fills = 0
    var status = "OPEN"
    var created: Nanos
    /// Its fills (`venueId` the trade_id; `time` the sequence timestamp, strictly increasing per venue).
    var trades: [SimTrade] = []

    var isOpen: Bool { status == "OPEN" }
}

/// A Coinbase venue's keys, orders and user channel subscriptions.
public struct CoinbaseVenueState {
    var keys: [(name: String, key: ES256Key, account: Int)] = []
    var orders: [String: CoinbaseOrderRecord] = [:]
    var byEngine: [Int: [UInt64: String]] = [:]
    /// User channel subscriptions: client, account, products (empty: all).
    var users: [(client: Int, account: Int, products: [String])] = []
    /// The last fill's sequence timestamp: each fill's is later.
    var lastSequence = Nanos.zero
}

extension SimVenue {
    /// A CDP API key (its name and public key) for `account`, and what the account starts with, by asset (decimal text).
    public func addCoinbaseKey(name: String, publicKey: ES256Key, account: Int, deposits: [String: String] = [:]) throws(SimLedgerError) {
        precondition(account > 0, "account 0 is the market's")
        try deposit(account: account, deposits)
        coinbase.keys.append((name, publicKey, account))
    }

    /// The account whose key signed `jwt`, if its claims hold (`uri` must equal `uri` when given).
    func coinbaseAccount(jwt: String, uri: String?) -> Int? {
        guard let parts = CoinbaseJWT.parts(jwt),
            let header = try? JSONSerialization.jsonObject(with: Data(parts.header.utf8)) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: Data(parts.claims.utf8)) as? [String: Any],
            header["alg"] as? String == "ES256", let kid = header["kid"] as? String,
            let entry = coinbase.keys.first(where: { $0.name == kid }),
            claims["iss"] as? String == "cdp", claims["sub"] as? String == kid,
            let nbf = (claims["nbf"] as? NSNumber)?.int64Value, let exp = (claims["exp"] as? NSNumber)?.int64Value
        else { return nil }
        let now = venueMilliseconds / 1_000
        guard nbf <= now + 5, exp > now, exp - nbf <= 120 else { return nil }
        if let uri { guard claims["uri"] as? String == uri else { return nil } } else { guard claims["uri"] == nil else { return nil } }
        return parts.signed(by: entry.key) ? entry.account : nil
    }

    // MARK: - REST

    func coinbaseREST(_ request: SimHTTPRequest) -> SimHTTPResponse? {
        let path = request.path
        guard path.hasPrefix("/api/v3/brokerage/") else { return SimHTTPResponse(status: 404, json: #"{"error":"NOT_FOUND","code":5,"message":"Not Found","details":[]}"#) }
        let host = request.header("Host") ?? ""
        guard let bearer = request.header("Authorization"), bearer.hasPrefix("Bearer "),
            let account = coinbaseAccount(jwt: String(bearer.dropFirst(7)), uri: "\(request.method) \(host)\(path)")
        else { return SimHTTPResponse(status: 401, body: Array("Unauthorized".utf8), headers: [("Content-Type", "text/plain")]) }
        let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
        switch (request.method, path) {
        case ("POST", "/api/v3/brokerage/orders"):
            if faults.take(.rateLimit, elapsed: elapsed) {
                stats.rejectedRequests += 1
                return rateLimited()
            }
            let answer = executing { coinbasePlace(account, body) }
            if faults.take(.ackTimeout, elapsed: elapsed) { return nil }
            return SimHTTPResponse(status: 200, json: answer)
        case ("POST", "/api/v3/brokerage/orders/batch_cancel"): return SimHTTPResponse(status: 200, json: coinbaseCancel(account, body))
        case ("GET", "/api/v3/brokerage/accounts"): return coinbaseAccounts(account, request.parameters)
        case ("GET", "/api/v3/brokerage/orders/historical/batch"):
            let p = request.parameters
            let open = coinbase.orders.values.filter {
                $0.account == account && (p["order_status"] == nil || $0.status == p["order_status"])
                    && (p["product_id"] == nil || books[$0.book].instrument.symbol == p["product_id"])
            }.sorted { $0.created > $1.created }
            return SimHTTPResponse(status: 200, json: #"{"orders":[\#(open.map(coinbaseOrderJSON).joined(separator: ","))],"has_next":false,"cursor":""}"#)
        case ("GET", "/api/v3/brokerage/orders/historical/fills"): return SimHTTPResponse(status: 200, json: coinbaseFills(account, request.parameters))
        case ("GET", _) where path.hasPrefix("/api/v3/brokerage/orders/historical/"):
            let id = String(path.dropFirst("/api/v3/brokerage/orders/historical/".count))
            guard let r = coinbase.orders[id], r.account == account else {
                return SimHTTPResponse(status: 404, json: #"{"error":"NOT_FOUND","code":5,"message":"order with this orderID was not found","details":[]}"#)
            }
            return SimHTTPResponse(status: 200, json: #"{"order":\#(coinbaseOrderJSON(r))}"#)
        default:
            return SimHTTPResponse(status: 404, json: #"{"error":"NOT_FOUND","code":5,"message":"Not Found","details":[]}"#)
        }
    }

    /// A refusal: HTTP 200, `success:false`, the reason in `error_response`.
    func coinbaseFailure(_ reason: String, _ message: String, configuration: String = "{}") -> String {
        #"{"success":false,"error_response":{"error":"\#(reason)","message":"\#(message)","error_details":"","preview_failure_reason":"UNKNOWN_PREVIEW_FAILURE_REASON","new_order_failure_reason":"\#(reason)"},"order_configuration":\#(configuration)}"#
    }

    func coinbasePlace(_ account: Int, _ body: [String: Any]) -> String {
        guard let clientOrderId = body["client_order_id"] as? String, !clientOrderId.isEmpty else {
            return coinbaseFailure("INVALID_REQUEST", "client_order_id is required")
        }
        if let existing = coinbase.orders.values.first(where: { $0.account == account && $0.clientOrderId == clientOrderId }) {
            return coinbaseSuccess(existing)  // a replayed client_order_id returns the original order
        }
        guard let product = body["product_id"] as? String, let i = book(product) else {
            return coinbaseFailure("INVALID_PRODUCT_ID", "Invalid product_id")
        }
        guard let sideText = body["side"] as? String, let side: Side = sideText == "BUY" ? .buy : sideText == "SELL" ? .sell : nil else {
            return coinbaseFailure("INVALID_SIDE", "Invalid side")
        }
        guard let configuration = body["order_configuration"] as? [String: Any], configuration.count == 1,
            let (kind, fields) = configuration.first.map({ ($0.key, $0.value as? [String: Any] ?? [:]) }),
            ["market_market_ioc", "limit_limit_gtc", "sor_limit_ioc", "limit_limit_fok"].contains(kind)
        else { return coinbaseFailure("UNSUPPORTED_ORDER_CONFIGURATION", "Unsupported order configuration") }
        let echo = (try? JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let inst = books[i].instrument
        var price: Int64 = 0
        if kind != "market_market_ioc" {
            guard let priceText = fields["limit_price"] as? String, let p = try? FixedPoint.parse(priceText, scale: inst.priceScale), p > 0,
                p % inst.tick == 0
            else { return coinbaseFailure("INVALID_PRICE_PRECISION", "Invalid limit_price", configuration: echo) }
            price = p
        }
        // base_size, or quote_size: for a market order what the amount takes from the book, for a limit order
        // the amount at the limit price, in whole lots.
        let size: Int64
        if let sizeText = fields["base_size"] as? String, fields["quote_size"] == nil {
            guard let v = try? FixedPoint.parse(sizeText, scale: inst.quantityScale), v > 0, v % inst.lot == 0 else {
                return coinbaseFailure("INVALID_SIZE_PRECISION", "Invalid base_size", configuration: echo)
            }
            size = v
        } else if let quoteText = fields["quote_size"] as? String, fields["base_size"] == nil {
            guard let value = try? FixedPoint.parse(quoteText, scale: inst.priceScale + inst.quantityScale), value > 0 else {
                return coinbaseFailure("INVALID_SIZE_PRECISION", "Invalid quote_size", configuration: echo)
            }
            size = kind == "market_market_ioc" ? baseFor(value: value, book: i, side: side) : value / price / inst.lot * inst.lot
            guard size > 0 else { return coinbaseFailure("INVALID_SIZE_PRECISION", "quote_size is below one lot", configuration: echo) }
        } else {
            return coinbaseFailure("INVALID_REQUEST", "Exactly one of base_size and quote_size is required", configuration: echo)
        }
        let postOnly = (fields["post_only"] as? Bool) ?? false
        if postOnly, kind == "limit_limit_gtc", let opposite = books[i].engine.best(side.opposite),
            side == .buy ? price >= opposite.raw : price <= opposite.raw
        {
            return coinbaseFailure("INVALID_LIMIT_PRICE_POST_ONLY", "Post-only order would cross the book", configuration: echo)
        }
        if faults.take(.reject, elapsed: elapsed) {
            return coinbaseFailure("ORDER_ENTRY_DISABLED", "Order entry is disabled", configuration: echo)
        }
        var matchable = size
        if kind != "limit_limit_gtc" && kind != "limit_limit_fok" && faults.take(.partialFill, elapsed: elapsed) {
            matchable = max(inst.lot, size / 2 / inst.lot * inst.lot)
        }
        let type: OrderType = kind == "market_market_ioc" ? .market : .limit
        let tif: TimeInForce = kind == "limit_limit_gtc" ? .gtc : kind == "limit_limit_fok" ? .fok : .ioc
        let (result, changes) = books[i].submit(account: account, side: side, type: type, timeInForce: tif, price: Price(raw: price), quantity: Quantity(raw: matchable))
        if case .rejected(let why) = result.order.status {
            return coinbaseFailure(why == .insufficientBalance ? "INSUFFICIENT_FUND" : "INVALID_REQUEST", why == .insufficientBalance ? "Insufficient balance in source account" : "Invalid order", configuration: echo)
        }
        publish(book: i, changes: changes)
        publishTrades(book: i)
        var record = CoinbaseOrderRecord(
            orderId: uuid(), book: i, engineId: result.order.id, account: account, clientOrderId: clientOrderId,
            side: side, configuration: kind, postOnly: postOnly, limitPrice: price, baseSize: size, created: venueTime)
        for f in result.fills {
            record.filled += f.quantity.raw
            record.filledValue += f.price.raw * f.quantity.raw
            record.fees += f.takerFee
            record.fills += 1
            record.trades.append(coinbaseTrade(f, maker: false))
            coinbaseMakerFilled(f, book: i)
        }
        switch result.order.status {
        case .new, .partiallyFilled: record.status = "OPEN"
        // Filled whole; or what a partial-fill fault let it match, the rest expired.
        case .filled: record.status = record.filled == size ? "FILLED" : "EXPIRED"
        // An IOC, FOK or market order's unfilled rest.
        default: record.status = "EXPIRED"
        }
        coinbase.orders[record.orderId] = record
        coinbase.byEngine[i, default: [:]][record.engineId] = record.orderId
        coinbaseUserUpdate(record)
        return coinbaseSuccess(record, configuration: echo)
    }

    func coinbaseSuccess(_ r: CoinbaseOrderRecord, configuration: String = "{}") -> String {
        let side = r.side == .buy ? "BUY" : "SELL"
        return #"{"success":true,"success_response":{"order_id":"\#(r.orderId)","product_id":"\#(books[r.book].instrument.symbol)","side":"\#(side)","client_order_id":"\#(r.clientOrderId)"},"order_configuration":\#(configuration)}"#
    }

    /// A client's resting order traded: its record and a user-channel update.
    func coinbaseMakerFilled(_ f: SimFill, book i: Int) {
        guard f.makerAccount != SimulatedBook.marketAccount, let id = coinbase.byEngine[i]?[f.makerOrder], var r = coinbase.orders[id] else { return }
        r.filled += f.quantity.raw
        r.filledValue += f.price.raw * f.quantity.raw
        r.fees += f.makerFee
        r.fills += 1
        r.trades.append(coinbaseTrade(f, maker: true))
        if r.filled == r.baseSize { r.status = "FILLED" }
        coinbase.orders[id] = r
        coinbaseUserUpdate(r)
    }

    func coinbaseMarketFills(book i: Int) {
        for f in books[i].takeClientFills() { coinbaseMakerFilled(f, book: i) }
    }

    func coinbaseCancel(_ account: Int, _ body: [String: Any]) -> String {
        let ids = body["order_ids"] as? [String] ?? []
        var results: [String] = []
        for id in ids {
            let safe = id.filter { $0.isLetter || $0.isNumber || $0 == "-" }
            guard var r = coinbase.orders[id], r.account == account else {
                results.append(#"{"success":false,"failure_reason":"UNKNOWN_CANCEL_ORDER","order_id":"\#(safe)"}"#)
                continue
            }
            guard r.isOpen else {
                let reason = r.status == "FILLED" ? "ORDER_IS_FULLY_FILLED" : "DUPLICATE_CANCEL_REQUEST"
                results.append(#"{"success":false,"failure_reason":"\#(reason)","order_id":"\#(safe)"}"#)
                continue
            }
            let (_, changes) = books[r.book].cancel(r.engineId)
            publish(book: r.book, changes: changes)
            r.status = "CANCELLED"
            coinbase.orders[id] = r
            coinbaseUserUpdate(r)
            results.append(#"{"success":true,"failure_reason":"UNKNOWN_CANCEL_FAILURE_REASON","order_id":"\#(safe)"}"#)
        }
        return #"{"results":[\#(results.joined(separator: ","))]}"#
    }

    /// List Accounts: `limit` accounts a page (49 unless given, at most 250), from `cursor` on (here the index of
    /// the page's first account); `has_next` and the next page's `cursor` while more follow.
    func coinbaseAccounts(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        let limit = p["limit"].map { Int($0) } ?? 49
        let start = p["cursor"].map { Int($0) } ?? 0
        guard let limit, (1...250).contains(limit), let start, start >= 0 else {
            return SimHTTPResponse(status: 400, json: #"{"error":"INVALID_ARGUMENT","code":3,"message":"invalid limit or cursor","details":[]}"#)
        }
        let all = balances(account)
        let page = all.indices.dropFirst(start).prefix(limit)
        var list: [String] = []
        for k in page {
            let (asset, free, locked, scale) = all[k]
            let uuid = "00000000-0000-4000-8000-\(String(format: "%012x", account * 1_000 + k + 1))"
            list.append(#"{"uuid":"\#(uuid)","name":"\#(asset) Wallet","currency":"\#(asset)","available_balance":{"value":"\#(FixedPoint.string(free, scale: scale, trimTrailingZeros: true))","currency":"\#(asset)"},"default":true,"active":true,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","deleted_at":null,"type":"\#(asset == "USD" || asset == "EUR" ? "ACCOUNT_TYPE_FIAT" : "ACCOUNT_TYPE_CRYPTO")","ready":true,"hold":{"value":"\#(FixedPoint.string(locked, scale: scale, trimTrailingZeros: true))","currency":"\#(asset)"}}"#)
        }
        let next = page.endIndex < all.count
        return SimHTTPResponse(
            status: 200,
            json: #"{"accounts":[\#(list.joined(separator: ","))],"has_next":\#(next),"cursor":"\#(next ? String(page.endIndex) : "")","size":\#(list.count)}"#)
    }

    // MARK: - JSON

    func coinbaseTimeInForce(_ r: CoinbaseOrderRecord) -> String {
        switch r.configuration {
        case "limit_limit_gtc": "GOOD_UNTIL_CANCELLED"
        case "limit_limit_fok": "FILL_OR_KILL"
        default: "IMMEDIATE_OR_CANCEL"
        }
    }

    /// The `order` object of the historical endpoints.
    func coinbaseOrderJSON(_ r: CoinbaseOrderRecord) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        var created = SimWriter(capacity: 40)
        created.isoTime(r.created, digits: 6)
        let average = r.filled > 0 ? r.filledValue / r.filled : 0
        let completion = r.baseSize > 0 ? r.filled * 10_000 / r.baseSize : 0
        let config = r.configuration == "market_market_ioc"
            ? #"{"market_market_ioc":{"base_size":"\#(FixedPoint.string(r.baseSize, scale: qs, trimTrailingZeros: true))"}}"#
            : #"{"\#(r.configuration)":{"base_size":"\#(FixedPoint.string(r.baseSize, scale: qs, trimTrailingZeros: true))","limit_price":"\#(FixedPoint.string(r.limitPrice, scale: ps, trimTrailingZeros: true))"\#(r.configuration == "limit_limit_gtc" ? #","post_only":\#(r.postOnly)"# : "")}}"#
        return #"{"order_id":"\#(r.orderId)","product_id":"\#(inst.symbol)","user_id":"\#(r.account)","order_configuration":\#(config),"side":"\#(r.side == .buy ? "BUY" : "SELL")","client_order_id":"\#(r.clientOrderId)","status":"\#(r.status)","time_in_force":"\#(coinbaseTimeInForce(r))","created_time":"\#(String(decoding: created.bytes, as: UTF8.self))","completion_percentage":"\#(FixedPoint.string(completion, scale: 2))","filled_size":"\#(FixedPoint.string(r.filled, scale: qs, trimTrailingZeros: true))","average_filled_price":"\#(FixedPoint.string(average, scale: ps))","fee":"","number_of_fills":"\#(r.fills)","filled_value":"\#(FixedPoint.string(r.filledValue, scale: ps + qs, trimTrailingZeros: true))","pending_cancel":false,"size_in_quote":false,"total_fees":"\#(FixedPoint.string(r.fees, scale: ps + qs, trimTrailingZeros: true))","size_inclusive_of_fees":false,"total_value_after_fees":"\#(FixedPoint.string(r.side == .buy ? r.filledValue + r.fees : r.filledValue - r.fees, scale: ps + qs, trimTrailingZeros: true))","trigger_status":"INVALID_ORDER_TYPE","order_type":"\#(r.configuration == "market_market_ioc" ? "MARKET" : "LIMIT")","reject_reason":"REJECT_REASON_UNSPECIFIED","settled":\#(!r.isOpen),"product_type":"SPOT","reject_message":"","cancel_message":"","order_placement_source":"RETAIL_ADVANCED","outstanding_hold_amount":"0","is_liquidation":false}"#
    }

    /// The user channel's order object (every field a string; `order_type` in title case, as the live feed sends it).
    func coinbaseUserOrderJSON(_ r: CoinbaseOrderRecord) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        var created = SimWriter(capacity: 40)
        created.isoTime(r.created, digits: 6)
        let average = r.filled > 0 ? r.filledValue / r.filled : 0
        return #"{"avg_price":"\#(FixedPoint.string(average, scale: ps))","cancel_reason":"","client_order_id":"\#(r.clientOrderId)","completion_percentage":"\#(FixedPoint.string(r.baseSize > 0 ? r.filled * 10_000 / r.baseSize : 0, scale: 2))","contract_expiry_type":"UNKNOWN_CONTRACT_EXPIRY_TYPE","cumulative_quantity":"\#(FixedPoint.string(r.filled, scale: qs, trimTrailingZeros: true))","filled_value":"\#(FixedPoint.string(r.filledValue, scale: ps + qs, trimTrailingZeros: true))","leaves_quantity":"\#(FixedPoint.string(r.isOpen ? r.baseSize - r.filled : 0, scale: qs, trimTrailingZeros: true))","limit_price":"\#(FixedPoint.string(r.limitPrice, scale: ps, trimTrailingZeros: true))","number_of_fills":"\#(r.fills)","order_id":"\#(r.orderId)","order_side":"\#(r.side == .buy ? "BUY" : "SELL")","order_type":"\#(r.configuration == "market_market_ioc" ? "Market" : "Limit")","outstanding_hold_amount":"0","post_only":"\#(r.postOnly)","product_id":"\#(inst.symbol)","product_type":"SPOT","reject_reason":"","retail_portfolio_id":"","risk_managed_by":"UNKNOWN_RISK_MANAGEMENT_TYPE","status":"\#(r.status)","stop_price":"","time_in_force":"\#(coinbaseTimeInForce(r))","total_fees":"\#(FixedPoint.string(r.fees, scale: ps + qs, trimTrailingZeros: true))","total_value_after_fees":"\#(FixedPoint.string(r.side == .buy ? r.filledValue + r.fees : r.filledValue - r.fees, scale: ps + qs, trimTrailingZeros: true))","trigger_status":"INVALID_ORDER_TYPE","creation_time":"\#(String(decoding: created.bytes, as: UTF8.self))","end_time":"0001-01-01T00:00:00Z","start_time":"0001-01-01T00:00:00Z"}"#
    }

    // MARK: - The user channel

    /// `{"type":"subscribe","channel":"user","product_ids":[…],"jwt":…}`: a snapshot of the account's open orders.
    func coinbaseUserSubscribe(_ client: SimClient, _ object: [String: Any]) {
        guard let jwt = object["jwt"] as? String, let account = coinbaseAccount(jwt: jwt, uri: nil) else {
            reply(client, #"{"type":"error","message":"authentication failure"}"#)
            return
        }
        let products = (object["product_ids"] as? [String]) ?? []
        coinbase.users.removeAll { $0.client == client.id }
        coinbase.users.append((client.id, account, products))
        let open = coinbase.orders.values.filter {
            $0.account == account && $0.isOpen && (products.isEmpty || products.contains(books[$0.book].instrument.symbol))
        }.sorted { $0.created < $1.created }
        writer.reset()
        coinbaseEnvelope(client, channel: "user")
        writer.text(#"{"type":"snapshot","orders":[\#(open.map(coinbaseUserOrderJSON).joined(separator: ","))],"positions":{"perpetual_futures_positions":[],"expiring_futures_positions":[]}}]}"#)
        reply(client, writer.bytes)
    }

    func coinbaseUserUpdate(_ r: CoinbaseOrderRecord) {
        let product = books[r.book].instrument.symbol
        for sub in coinbase.users where sub.account == r.account && (sub.products.isEmpty || sub.products.contains(product)) {
            guard let client = clients.first(where: { $0.id == sub.client && !$0.gone }) else { continue }
            writer.reset()
            coinbaseEnvelope(client, channel: "user")
            writer.text(#"{"type":"update","orders":[\#(coinbaseUserOrderJSON(r))]}]}"#)
            privateSend(client, String(decoding: writer.bytes, as: UTF8.self), fill: r.fills > 0)
        }
    }
}
