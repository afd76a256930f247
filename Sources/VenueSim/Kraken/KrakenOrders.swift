import Foundation
import GantryCore
import GantryNet
import GantryVenues

// Kraken spot trading over REST and the WebSocket v2 `executions` channel, as documented (guides/spot-rest-auth,
// general/errors, api-reference/trading and account-data, websocket-v2/executions): private calls are
// `POST /0/private/<Method>` with a strictly increasing `nonce` in the form (or JSON) body, `API-Key`, and
// `API-Sign` = base64 HMAC-SHA512 (key: the base64-decoded secret) of the URI path + SHA-256(nonce + body);
// every answer is `{"error":[…],"result":{…}}` (EAPI:Invalid key / signature / nonce, EQuery:Unknown asset
// pair, EGeneral:Invalid arguments:<field>, EOrder:Insufficient funds, EOrder:Unknown order); AddOrder,
// CancelOrder, OpenOrders and ClosedOrders (each filtered by `cl_ord_id` when given), QueryOrders, Balance,
// GetWebSocketsToken; `executions` with the token streams
// `exec_type`/`order_status` changes of the account's orders. WebSocket v2 add_order and cancel_order:
// KrakenWSOrders.swift.
//
// Not confirmed in Kraken's own pages (taken from client libraries): "EOrder:Post only order",
// "EOrder:Unknown order", the OrderInfo fields. Balances are the venue's one ledger, shared by its pairs.

/// An order as the Kraken venue reports it.
struct KrakenOrderRecord {
    var txid: String
    var book: Int
    var engineId: UInt64
    var account: Int
    var clOrdId: String
    var side: Side
    var type: OrderType
    var timeInForce: String
    var postOnly: Bool
    var price: Int64
    var volume: Int64
    var executed: Int64 = 0
    var cost: Int64 = 0
    var fee: Int64 = 0
    /// "open", "closed", "canceled", "expired".
    var status = "open"
    var opened: Nanos
    var closed: Nanos = .zero
    /// Its trades, as `executions` reported them (`venueId` the trade txid, the execution's `exec_id`).
    var trades: [SimTrade] = []
}

/// A Kraken error text ("EOrder:Insufficient funds"), as REST lists it in `error` and WebSocket v2 gives it.
struct KrakenOrderError: Error {
    var text: String
    init(_ text: String) { self.text = text }
}

/// A Kraken venue's API keys (with their last nonce), orders, WebSocket tokens and `executions` subscribers.
public struct KrakenVenueState {
    var keys: [(key: String, secret: [UInt8], account: Int)] = []
    var lastNonce: [String: UInt64] = [:]
    var orders: [String: KrakenOrderRecord] = [:]
    var byEngine: [Int: [UInt64: String]] = [:]
    var tokens: [String: Int] = [:]
    var executions: [Int: Int] = [:]
    /// Dead-man's switch timers: account → when its open orders are cancelled (venue time).
    var cancelAfter: [Int: Nanos] = [:]
}

extension SimVenue {
    /// An API key and its base64 secret for `account`, and what the account starts with, by asset (decimal text).
    public func addKrakenKey(apiKey: String, secret base64Secret: String, account: Int, deposits: [String: String] = [:]) throws(SimLedgerError) {
        precondition(account > 0, "account 0 is the market's")
        try deposit(account: account, deposits)
        let secret = Base64.decode(base64Secret) ?? Array(base64Secret.utf8)
        kraken.keys.append((apiKey, secret, account))
    }

    /// Kraken's asset names in balances (XXBT, ZUSD, …).
    static func krakenAsset(_ asset: String) -> String {
        switch asset {
        case "BTC", "XBT": "XXBT"
        case "ETH": "XETH"
        case "USD": "ZUSD"
        case "EUR": "ZEUR"
        case "GBP": "ZGBP"
        default: asset
        }
    }

    /// A pair's REST name as Kraken writes it in OrderInfo's `descr` (its altname: "XBTUSD" for "BTC/USD").
    static func krakenAltname(_ symbol: String) -> String {
        symbol.replacingOccurrences(of: "/", with: "").replacingOccurrences(of: "BTC", with: "XBT")
    }

    /// The book of a REST pair name: "XBTUSD", "BTCUSD" or the WebSocket's "BTC/USD".
    func krakenPair(_ pair: String) -> Int? {
        books.firstIndex {
            let s = $0.instrument.symbol
            let plain = s.replacingOccurrences(of: "/", with: "")
            return pair == s || pair == plain || pair == plain.replacingOccurrences(of: "BTC", with: "XBT")
        }
    }

    func krakenAnswer(errors: [String], result: String = "{}") -> SimHTTPResponse {
        let list = errors.map { #""\#($0)""# }.joined(separator: ",")
        return SimHTTPResponse(status: 200, json: errors.isEmpty ? #"{"error":[],"result":\#(result)}"# : #"{"error":[\#(list)]}"#)
    }

    // MARK: - REST

    func krakenREST(_ request: SimHTTPRequest) -> SimHTTPResponse {
        let methods: Set<String> = ["AddOrder", "CancelOrder", "OpenOrders", "ClosedOrders", "QueryOrders", "QueryTrades", "Balance", "GetWebSocketsToken", "CancelAll"]
        guard request.method == "POST", request.path.hasPrefix("/0/private/"), methods.contains(String(request.path.dropFirst(11))) else {
            return krakenAnswer(errors: ["EGeneral:Unknown method"])
        }
        let body = String(decoding: request.body, as: UTF8.self)
        var p: [String: String] = [:]
        if request.header("Content-Type")?.hasPrefix("application/json") == true {
            for (k, v) in (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:] {
                if let s = v as? String { p[k] = s } else if let n = v as? NSNumber { p[k] = n.stringValue }
            }
        } else {
            p = SimHTTPRequest.form(body)
        }
        guard let key = request.header("API-Key"), let entry = kraken.keys.first(where: { $0.key == key }) else {
            return krakenAnswer(errors: ["EAPI:Invalid key"])
        }
        guard let nonceText = p["nonce"], let nonce = UInt64(nonceText) else { return krakenAnswer(errors: ["EAPI:Invalid nonce"]) }
        let message = Array(request.path.utf8) + Crypto.sha256(Array((nonceText + body).utf8))
        guard request.header("API-Sign") == Base64.encode(Crypto.hmacSHA512(key: entry.secret, message)) else {
            return krakenAnswer(errors: ["EAPI:Invalid signature"])
        }
        guard nonce > kraken.lastNonce[key, default: 0] else { return krakenAnswer(errors: ["EAPI:Invalid nonce"]) }
        kraken.lastNonce[key] = nonce
        switch request.path.dropFirst(11) {
        case "AddOrder":
            switch krakenAdd(entry.account, p) {
            case .failure(let e): return krakenAnswer(errors: [e.text])
            case .success(let r):
                let inst = books[r.book].instrument
                let descr = "\(r.side == .buy ? "buy" : "sell") \(FixedPoint.string(r.volume, scale: inst.quantityScale)) \(Self.krakenAltname(inst.symbol)) @ \(r.type == .limit ? "limit \(FixedPoint.string(r.price, scale: inst.priceScale))" : "market")"
                return krakenAnswer(errors: [], result: #"{"descr":{"order":"\#(descr)"},"txid":["\#(r.txid)"]}"#)
            }
        case "CancelOrder":
            switch krakenCancel(entry.account, p) {
            case .failure(let e): return krakenAnswer(errors: [e.text])
            case .success: return krakenAnswer(errors: [], result: #"{"count":1}"#)
            }
        case "OpenOrders", "ClosedOrders":
            // Both filtered by cl_ord_id when it is given; ClosedOrders also counts what it lists.
            let wantOpen = request.path.hasSuffix("OpenOrders")
            let clOrdId = p["cl_ord_id"] ?? ""
            let listed = kraken.orders.values.filter {
                $0.account == entry.account && ($0.status == "open") == wantOpen && (clOrdId.isEmpty || $0.clOrdId == clOrdId)
            }.sorted { $0.opened < $1.opened }
            let orders = listed.map { #""\#($0.txid)":\#(krakenOrderJSON($0))"# }.joined(separator: ",")
            return krakenAnswer(errors: [], result: wantOpen ? #"{"open":{\#(orders)}}"# : #"{"closed":{\#(orders)},"count":\#(listed.count)}"#)
        case "QueryOrders":
            let ids = (p["txid"] ?? "").split(separator: ",").map(String.init)
            let found = ids.compactMap { kraken.orders[$0] }.filter { $0.account == entry.account }
            guard found.count == ids.count, !ids.isEmpty else { return krakenAnswer(errors: ["EOrder:Invalid order"]) }
            let trades = p["trades"] == "true"
            return krakenAnswer(errors: [], result: "{" + found.map { #""\#($0.txid)":\#(krakenOrderJSON($0, trades: trades))"# }.joined(separator: ",") + "}")
        case "QueryTrades": return krakenQueryTrades(entry.account, p)
        case "CancelAll": return krakenAnswer(errors: [], result: #"{"count":\#(krakenCancelAll(entry.account))}"#)
        case "Balance": return krakenAnswer(errors: [], result: krakenBalances(entry.account))
        default:
            let token = uuid().replacingOccurrences(of: "-", with: "")
            kraken.tokens[token] = entry.account
            return krakenAnswer(errors: [], result: #"{"token":"\#(token)","expires":900}"#)
        }
    }

    /// Kraken's `cl_ord_id` forms: a UUID (36 characters with hyphens, or its 32 hex digits alone) or free text of
    /// at most 18 ASCII characters.
    static func krakenClientIdValid(_ id: String) -> Bool {
        let hex = id.filter { $0 != "-" }
        if hex.count == 32 && hex.allSatisfy(\.isHexDigit) {
            let groups = id.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            if groups == [32] || groups == [8, 4, 4, 4, 12] { return true }
        }
        return (1...18).contains(id.count) && id.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "\\" }
    }

    /// A new txid in Kraken's form, "OUF4EM-FRGI2-MQMWZD".
    func krakenTxid() -> String {
        let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        return "O" + randomText(5, from: letters) + "-" + randomText(5, from: letters) + "-" + randomText(6, from: letters)
    }

    func krakenAdd(_ account: Int, _ p: [String: String]) -> Result<KrakenOrderRecord, KrakenOrderError> {
        guard let pair = p["pair"], let i = krakenPair(pair) else { return .failure(KrakenOrderError("EQuery:Unknown asset pair")) }
        guard let side: Side = p["type"] == "buy" ? .buy : p["type"] == "sell" ? .sell : nil else {
            return .failure(KrakenOrderError("EGeneral:Invalid arguments:type"))
        }
        guard let type: OrderType = p["ordertype"] == "limit" ? .limit : p["ordertype"] == "market" ? .market : nil else {
            return .failure(KrakenOrderError("EGeneral:Invalid arguments:ordertype"))
        }
        let inst = books[i].instrument
        guard let volume = p["volume"].flatMap({ try? FixedPoint.parse($0, scale: inst.quantityScale) }), volume > 0, volume % inst.lot == 0 else {
            return .failure(KrakenOrderError("EGeneral:Invalid arguments:volume"))
        }
        var price: Int64 = 0
        if type == .limit {
            guard let v = p["price"].flatMap({ try? FixedPoint.parse($0, scale: inst.priceScale) }), v > 0, v % inst.tick == 0 else {
                return .failure(KrakenOrderError("EGeneral:Invalid arguments:price"))
            }
            price = v
        }
        let tif = p["timeinforce"] ?? "GTC"
        guard tif == "GTC" || tif == "IOC" else { return .failure(KrakenOrderError("EGeneral:Invalid arguments:timeinforce")) }
        let postOnly = (p["oflags"] ?? "").split(separator: ",").contains("post")
        let clOrdId = p["cl_ord_id"] ?? ""
        guard clOrdId.isEmpty || Self.krakenClientIdValid(clOrdId) else { return .failure(KrakenOrderError("EGeneral:Invalid arguments:cl_ord_id")) }
        if !clOrdId.isEmpty && kraken.orders.values.contains(where: { $0.account == account && $0.clOrdId == clOrdId && $0.status == "open" }) {
            return .failure(KrakenOrderError("EOrder:Duplicate order"))
        }
        if postOnly, type == .limit, let opposite = books[i].engine.best(side.opposite), side == .buy ? price >= opposite.raw : price <= opposite.raw {
            return .failure(KrakenOrderError("EOrder:Post only order"))
        }
        if faults.take(.reject, elapsed: elapsed) { return .failure(KrakenOrderError("EService:Market in cancel_only mode")) }
        var matchable = volume
        if (tif == "IOC" || type == .market) && faults.take(.partialFill, elapsed: elapsed) { matchable = max(inst.lot, volume / 2 / inst.lot * inst.lot) }
        let (result, changes) = books[i].submit(
            account: account, side: side, type: type, timeInForce: tif == "IOC" || type == .market ? .ioc : .gtc, price: Price(raw: price),
            quantity: Quantity(raw: matchable))
        if case .rejected(let why) = result.order.status {
            return .failure(KrakenOrderError(why == .insufficientBalance ? "EOrder:Insufficient funds" : "EGeneral:Invalid arguments"))
        }
        publish(book: i, changes: changes)
        publishTrades(book: i)
        var record = KrakenOrderRecord(
            txid: krakenTxid(), book: i, engineId: result.order.id, account: account, clOrdId: clOrdId, side: side, type: type,
            timeInForce: tif, postOnly: postOnly, price: price, volume: volume, opened: venueTime)
        krakenExecution(record, exec: "new", fill: nil)
        for f in result.fills {
            record.executed += f.quantity.raw
            record.cost += f.price.raw * f.quantity.raw
            record.fee += f.takerFee
            record.trades.append(SimTrade(f, maker: false, venueId: krakenTradeTxid(), time: venueTime))
            krakenExecution(record, exec: "trade", fill: record.trades.last)
            krakenMakerFilled(f, book: i)
        }
        switch result.order.status {
        case .new, .partiallyFilled: record.status = "open"
        case .filled where record.executed == volume:
            record.status = "closed"
            record.closed = venueTime
            krakenExecution(record, exec: "filled", fill: nil)
        default:
            record.status = record.executed > 0 ? "closed" : "expired"
            record.closed = venueTime
            krakenExecution(record, exec: record.executed > 0 ? "filled" : "expired", fill: nil)
        }
        kraken.orders[record.txid] = record
        kraken.byEngine[i, default: [:]][record.engineId] = record.txid
        return .success(record)
    }

    func krakenMakerFilled(_ f: SimFill, book i: Int) {
        guard f.makerAccount != SimulatedBook.marketAccount, let id = kraken.byEngine[i]?[f.makerOrder], var r = kraken.orders[id] else { return }
        r.executed += f.quantity.raw
        r.cost += f.price.raw * f.quantity.raw
        r.fee += f.makerFee
        r.trades.append(SimTrade(f, maker: true, venueId: krakenTradeTxid(), time: venueTime))
        krakenExecution(r, exec: "trade", fill: r.trades.last)
        if r.executed == r.volume {
            r.status = "closed"
            r.closed = venueTime
            krakenExecution(r, exec: "filled", fill: nil)
        }
        kraken.orders[id] = r
    }

    func krakenMarketFills(book i: Int) {
        for f in books[i].takeClientFills() { krakenMakerFilled(f, book: i) }
    }

    func krakenCancel(_ account: Int, _ p: [String: String]) -> Result<KrakenOrderRecord, KrakenOrderError> {
        let target = p["txid"] ?? p["cl_ord_id"] ?? ""
        guard var r = kraken.orders[target] ?? kraken.orders.values.first(where: { $0.clOrdId == target && !target.isEmpty }),
            r.account == account, r.status == "open"
        else { return .failure(KrakenOrderError("EOrder:Unknown order")) }
        let (_, changes) = books[r.book].cancel(r.engineId)
        publish(book: r.book, changes: changes)
        r.status = "canceled"
        r.closed = venueTime
        kraken.orders[r.txid] = r
        krakenExecution(r, exec: "canceled", fill: nil)
        return .success(r)
    }

    func krakenBalances(_ account: Int) -> String {
        var out: [String] = []
        for (asset, free, locked, scale) in balances(account) {
            out.append(#""\#(Self.krakenAsset(asset))":"\#(FixedPoint.string(free + locked, scale: scale))""#)
        }
        return "{" + out.joined(separator: ",") + "}"
    }

    /// OrderInfo, as OpenOrders and QueryOrders give it.
    func krakenOrderJSON(_ r: KrakenOrderRecord, trades: Bool = false) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        let pair = Self.krakenAltname(inst.symbol)
        let seconds = { (t: Nanos) in FixedPoint.string(t.raw / 1_000, scale: 6) }
        let avg = r.executed > 0 ? r.cost / r.executed : 0
        let order = "\(r.side == .buy ? "buy" : "sell") \(FixedPoint.string(r.volume, scale: qs)) \(pair) @ \(r.type == .limit ? "limit \(FixedPoint.string(r.price, scale: ps))" : "market")"
        return #"{"refid":null,"userref":0,"cl_ord_id":"\#(r.clOrdId)","status":"\#(r.status)","opentm":\#(seconds(r.opened)),"starttm":0,"expiretm":0,"descr":{"pair":"\#(pair)","type":"\#(r.side == .buy ? "buy" : "sell")","ordertype":"\#(r.type == .limit ? "limit" : "market")","price":"\#(FixedPoint.string(r.price, scale: ps))","price2":"0","leverage":"none","order":"\#(order)","close":""},"vol":"\#(FixedPoint.string(r.volume, scale: qs))","vol_exec":"\#(FixedPoint.string(r.executed, scale: qs))","cost":"\#(FixedPoint.string(r.cost, scale: ps + qs))","fee":"\#(FixedPoint.string(r.fee, scale: ps + qs))","price":"\#(FixedPoint.string(avg, scale: ps))","stopprice":"0","limitprice":"0","misc":"","oflags":"\#(r.postOnly ? "post,fciq" : "fciq")"\#(r.status == "open" ? "" : #","closetm":\#(seconds(r.closed))"#)\#(trades && !r.trades.isEmpty ? #","trades":[\#(r.trades.map { #""\#($0.venueId)""# }.joined(separator: ","))]"# : "")}"#
    }

    // MARK: - executions

    /// `{"method":"subscribe","params":{"channel":"executions","token":…}}`: the ack and a snapshot of open orders.
    func krakenExecutionsSubscribe(_ client: SimClient, _ params: [String: Any], _ answer: (String, String?) -> Void) {
        guard let token = params["token"] as? String, let account = kraken.tokens[token] else {
            return answer(#""error":"EAccount:Invalid permissions","success":false"#, nil)
        }
        kraken.executions[client.id] = account
        answer(#""result":{"channel":"executions","maxratecount":180,"snapshot":true},"success":true"#, nil)
        let open = kraken.orders.values.filter { $0.account == account && $0.status == "open" }.sorted { $0.opened < $1.opened }
        if params["snap_orders"] as? Bool ?? true {
            let data = open.map { krakenExecutionJSON($0, exec: "new", fill: nil) }.joined(separator: ",")
            reply(client, #"{"channel":"executions","type":"snapshot","data":[\#(data)],"sequence":1}"#)
        }
    }

    func krakenExecution(_ r: KrakenOrderRecord, exec: String, fill: SimTrade?) {
        for (clientId, account) in kraken.executions where account == r.account {
            guard let client = clients.first(where: { $0.id == clientId && !$0.gone }) else { continue }
            privateSend(client, #"{"channel":"executions","type":"update","data":[\#(krakenExecutionJSON(r, exec: exec, fill: fill))]}"#, fill: fill != nil)
        }
    }

    func krakenExecutionJSON(_ r: KrakenOrderRecord, exec: String, fill: SimTrade?) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        var time = SimWriter(capacity: 40)
        time.isoTime(venueTime, digits: 6)
        let status = r.status == "open" ? (r.executed > 0 ? "partially_filled" : "new") : r.status == "closed" ? "filled" : r.status
        var json = #"{"order_id":"\#(r.txid)","cl_ord_id":"\#(r.clOrdId)","symbol":"\#(inst.symbol)","side":"\#(r.side == .buy ? "buy" : "sell")","order_type":"\#(r.type == .limit ? "limit" : "market")","order_qty":\#(FixedPoint.string(r.volume, scale: qs))"#
        if r.type == .limit { json += #","limit_price":\#(FixedPoint.string(r.price, scale: ps))"# }
        json += #","time_in_force":"\#(r.timeInForce)","post_only":\#(r.postOnly),"exec_type":"\#(exec)","order_status":"\#(status)","cum_qty":\#(FixedPoint.string(r.executed, scale: qs)),"cum_cost":\#(FixedPoint.string(r.cost, scale: ps + qs))"#
        if r.executed > 0 { json += #","avg_price":\#(FixedPoint.string(r.cost / r.executed, scale: ps))"# }
        if let t = fill {
            json += #","exec_id":"\#(t.venueId)","trade_id":\#(t.tradeId),"last_qty":\#(FixedPoint.string(t.quantity, scale: qs)),"last_price":\#(FixedPoint.string(t.price, scale: ps)),"cost":\#(FixedPoint.string(t.value, scale: ps + qs)),"liquidity_ind":"\#(t.maker ? "m" : "t")","fees":[{"asset":"\#(inst.quoteAsset)","qty":\#(FixedPoint.string(t.fee, scale: ps + qs))}]"#
        }
        return json + #","timestamp":"\#(String(decoding: time.bytes, as: UTF8.self))"}"#
    }
}
