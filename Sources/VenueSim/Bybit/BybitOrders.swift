import Foundation
import GantryCore
import GantryVenues

// Bybit v5 spot order entry, as documented (v5/guide, v5/order/create-order, cancel-order, open-order,
// account/wallet-balance, v5/error, v5/ws/connect, websocket/private/order and execution): requests signed with
// HMAC-SHA256 hex of timestamp + API key + recv_window + (query string | JSON body) in X-BAPI-SIGN, accepted
// while server_time − recv_window ≤ timestamp < server_time + 1000; every answer HTTP 200 with
// `{"retCode","retMsg","result","retExtInfo","time"}`, errors by code (10002 timing, 10003 key, 10004 signature,
// 170xxx spot order errors); the private stream (`/v5/private`) authenticated with `op:auth` (HMAC of
// "GET/realtime" + expires) and its `order` and `execution` topics; orders over the trade stream
// (`/v5/trade`): BybitTradeStream.swift.
//
// Simplifications, stated: a market Buy by value (marketUnit quoteCoin, the spot default) buys what the value
// buys at the asks without counting the fee; balances are the venue's one ledger; the private stream's order
// objects use the REST field order with `category` first; fees are charged in the quote coin on both sides (Bybit
// charges a spot buy's fee in the base coin), and the execution's `feeCurrency` says so.

/// An order as the Bybit venue reports it.
struct BybitOrderRecord {
    var orderId: String
    var book: Int
    var engineId: UInt64
    var account: Int
    var orderLinkId: String
    var side: Side
    var type: OrderType
    /// "GTC", "IOC", "FOK", "PostOnly".
    var timeInForce: String
    var price: Int64
    /// The base quantity matched (for a market Buy by value, what the value bought).
    var qty: Int64
    /// The order's `qty` as sent, when it is a value (marketUnit quoteCoin), shown instead of `qty`.
    var value: String? = nil
    var cumQty: Int64 = 0
    var cumValue: Int64 = 0
    var cumFee: Int64 = 0
    var status = "New"
    var created: Int64
    var updated: Int64
    /// Its executions, as the `execution` topic pushed them (`venueId` the execId).
    var trades: [SimTrade] = []

    var isOpen: Bool { status == "New" || status == "PartiallyFilled" }
}

/// A Bybit venue's API keys, orders and private stream subscriptions.
public struct BybitVenueState {
    var keys: [(key: String, secret: [UInt8], account: Int)] = []
    var orders: [String: BybitOrderRecord] = [:]
    var byEngine: [Int: [UInt64: String]] = [:]
    var nextOrderId: UInt64 = 1_900_000_000_000_000_000
    var nextExecution: UInt64 = 1
    /// Authenticated private connections: client → account, and the topics each subscribed ("order", "execution").
    var authenticated: [Int: Int] = [:]
    var topics: [Int: Set<String>] = [:]
    /// Authenticated trade-stream (`/v5/trade`) connections: client → account, and the reqIds each has used.
    var trade: [Int: Int] = [:]
    var reqIds: [Int: Set<String>] = [:]
}

extension SimVenue {
    /// An API key and secret for `account`, and what the account starts with, by asset (decimal text).
    public func addBybitKey(apiKey: String, secret: String, account: Int, deposits: [String: String] = [:]) throws(SimLedgerError) {
        precondition(account > 0, "account 0 is the market's")
        try deposit(account: account, deposits)
        bybit.keys.append((apiKey, Array(secret.utf8), account))
    }

    /// What an order request came to: `retCode`, `retMsg` and the `result` object (JSON), which REST wraps in
    /// its envelope and the trade stream in its own.
    struct BybitAnswer {
        var retCode: Int
        var retMsg: String
        var result: String
    }

    func bybitAnswer(_ code: Int, _ message: String, result: String = "{}") -> BybitAnswer { BybitAnswer(retCode: code, retMsg: message, result: result) }

    func bybitEnvelope(_ a: BybitAnswer) -> SimHTTPResponse { bybitEnvelope(a.retCode, a.retMsg, result: a.result) }

    func bybitEnvelope(_ code: Int, _ message: String, result: String = "{}") -> SimHTTPResponse {
        var w = SimWriter(capacity: 256)
        w.quoted(message)
        return SimHTTPResponse(
            status: 200, json: #"{"retCode":\#(code),"retMsg":\#(String(decoding: w.bytes, as: UTF8.self)),"result":\#(result),"retExtInfo":{},"time":\#(venueMilliseconds)}"#)
    }

    // MARK: - REST

    func bybitREST(_ request: SimHTTPRequest) -> SimHTTPResponse {
        let routes: Set<String> = [
            "POST /v5/order/create", "POST /v5/order/cancel", "GET /v5/order/realtime", "GET /v5/account/wallet-balance", "GET /v5/execution/list",
            "POST /v5/order/cancel-all",
        ]
        if request.method == "GET" && request.path == "/v5/market/time" {
            let ms = venueMilliseconds
            return bybitEnvelope(0, "OK", result: #"{"timeSecond":"\#(ms / 1_000)","timeNano":"\#(ms * 1_000_000)"}"#)
        }
        guard routes.contains("\(request.method) \(request.path)") else { return SimHTTPResponse(status: 404, json: #"{"retCode":10001,"retMsg":"Not Found"}"#) }
        guard let key = request.header("X-BAPI-API-KEY"), let entry = bybit.keys.first(where: { $0.key == key }) else {
            return bybitEnvelope(10003, "API key is invalid.")
        }
        let recv = Int64(request.header("X-BAPI-RECV-WINDOW") ?? "5000") ?? -1
        let server = venueMilliseconds
        guard let ts = request.header("X-BAPI-TIMESTAMP").flatMap({ Int64($0) }), recv > 0, server - recv <= ts, ts < server + 1_000 else {
            let t = request.header("X-BAPI-TIMESTAMP") ?? ""
            return bybitEnvelope(
                10002,
                "invalid request, please check your server timestamp or recv_window param. req_timestamp[\(t)],server_timestamp[\(server)],recv_window[\(recv)]")
        }
        let payload = request.method == "GET" ? request.query : String(decoding: request.body, as: UTF8.self)
        let expected = BinanceSigning.signature(secret: entry.secret, payload: Array("\(ts)\(key)\(recv)\(payload)".utf8))
        guard let sign = request.header("X-BAPI-SIGN"), BinanceSigning.matches(expected, sign) else {
            return bybitEnvelope(10004, "Error sign, please check your signature generation algorithm: origin_string[***\(payload)]")
        }
        var params: [String: String] = request.method == "GET" ? request.parameters : [:]
        if request.method == "POST" {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
                return bybitEnvelope(10001, "Request parameter error.")
            }
            for (k, v) in object {
                if let s = v as? String { params[k] = s } else if let n = v as? NSNumber { params[k] = n.stringValue }
            }
        }
        switch request.path {
        case "/v5/order/create": return bybitEnvelope(bybitPlace(entry.account, params))
        case "/v5/order/cancel": return bybitEnvelope(bybitCancel(entry.account, params))
        case "/v5/order/cancel-all": return bybitEnvelope(bybitCancelAll(entry.account, params))
        case "/v5/order/realtime": return bybitRealtime(entry.account, params)
        case "/v5/execution/list": return bybitExecutionList(entry.account, params)
        default:
            guard params["accountType"] == "UNIFIED" else { return bybitEnvelope(10001, "params error: accountType must be UNIFIED (the unified trading account)") }
            return bybitWallet(entry.account)
        }
    }

    func bybitPlace(_ account: Int, _ p: [String: String]) -> BybitAnswer {
        guard p["category"] == "spot" else { return bybitAnswer(10001, "params error: the simulator trades category spot") }
        for name in ["symbol", "side", "orderType", "qty"] where (p[name] ?? "").isEmpty {
            return bybitAnswer(170105, "Parameter '\(name)' was empty.")
        }
        guard let i = book(p["symbol"]!) else { return bybitAnswer(170121, "Invalid symbol.") }
        guard let side: Side = p["side"] == "Buy" ? .buy : p["side"] == "Sell" ? .sell : nil else { return bybitAnswer(170117, "Invalid side.") }
        guard let type: OrderType = p["orderType"] == "Limit" ? .limit : p["orderType"] == "Market" ? .market : nil else {
            return bybitAnswer(170116, "Invalid orderType.")
        }
        let tif = type == .market ? "IOC" : p["timeInForce"] ?? "GTC"
        guard ["GTC", "IOC", "FOK", "PostOnly"].contains(tif) else { return bybitAnswer(170115, "Invalid timeInForce.") }
        let inst = books[i].instrument
        let linkId = p["orderLinkId"] ?? ""
        guard linkId.count <= 36, linkId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return bybitAnswer(170130, "Data sent for paramter 'orderLinkId' is not valid.")
        }
        if !linkId.isEmpty && bybit.orders.values.contains(where: { $0.account == account && $0.orderLinkId == linkId }) {
            return bybitAnswer(170141, "Duplicate clientOrderId")
        }
        var price: Int64 = 0
        if type == .limit {
            guard let text = p["price"], !text.isEmpty else { return bybitAnswer(170105, "Parameter 'price' was empty.") }
            guard let v = try? FixedPoint.parse(text, scale: inst.priceScale), v > 0, v % inst.tick == 0 else {
                return bybitAnswer(170134, "Order price decimal too long.")
            }
            price = v
        }
        // A market Buy is by value unless marketUnit says baseCoin.
        let byValue = type == .market && side == .buy && (p["marketUnit"] ?? "quoteCoin") == "quoteCoin"
        var qty: Int64
        if byValue {
            guard let value = try? FixedPoint.parse(p["qty"]!, scale: inst.priceScale + inst.quantityScale), value > 0 else {
                return bybitAnswer(170148, "Market order amount decimal too long")
            }
            qty = baseFor(value: value, book: i)
            guard qty > 0 else { return bybitAnswer(170140, "Transaction amount lower than the minimum.") }
        } else {
            guard let v = try? FixedPoint.parse(p["qty"]!, scale: inst.quantityScale), v > 0, v % inst.lot == 0 else {
                return bybitAnswer(170137, "Order volume decimal too long")
            }
            qty = v
        }
        if faults.take(.reject, elapsed: elapsed) { return bybitAnswer(170130, "Data sent for paramter 'symbol' is not valid.") }
        var matchable = qty
        if tif == "IOC" && faults.take(.partialFill, elapsed: elapsed) { matchable = max(inst.lot, qty / 2 / inst.lot * inst.lot) }
        let now = venueMilliseconds
        let orderId = String(bybit.nextOrderId)
        bybit.nextOrderId += 1
        // PostOnly: an order that would take liquidity is cancelled instead.
        if tif == "PostOnly", let opposite = books[i].engine.best(side.opposite), side == .buy ? price >= opposite.raw : price <= opposite.raw {
            var record = BybitOrderRecord(
                orderId: orderId, book: i, engineId: 0, account: account, orderLinkId: linkId, side: side, type: type, timeInForce: tif,
                price: price, qty: qty, created: now, updated: now)
            record.status = "Cancelled"
            bybit.orders[orderId] = record
            bybitOrderEvent(record)
            return bybitAnswer(0, "OK", result: #"{"orderId":"\#(orderId)","orderLinkId":"\#(linkId)"}"#)
        }
        let engineTIF: TimeInForce = tif == "IOC" ? .ioc : tif == "FOK" ? .fok : .gtc
        let (result, changes) = books[i].submit(
            account: account, side: side, type: type, timeInForce: engineTIF, price: Price(raw: price), quantity: Quantity(raw: matchable))
        if case .rejected(let why) = result.order.status {
            return why == .insufficientBalance ? bybitAnswer(170131, "Balance insufficient") : bybitAnswer(170130, "Data sent for paramter 'qty' is not valid.")
        }
        publish(book: i, changes: changes)
        publishTrades(book: i)
        var record = BybitOrderRecord(
            orderId: orderId, book: i, engineId: result.order.id, account: account, orderLinkId: linkId, side: side, type: type,
            timeInForce: tif, price: price, qty: qty, created: now, updated: now)
        for f in result.fills {
            record.cumQty += f.quantity.raw
            record.cumValue += f.price.raw * f.quantity.raw
            record.cumFee += f.takerFee
            record.trades.append(bybitExecution(record, f, maker: false))
            bybitMakerFilled(f, book: i)
        }
        switch result.order.status {
        case .new: record.status = "New"
        case .partiallyFilled: record.status = "PartiallyFilled"
        case .filled where record.cumQty == qty: record.status = "Filled"
        default: record.status = record.cumQty > 0 ? "PartiallyFilledCanceled" : "Cancelled"
        }
        if byValue { record.value = p["qty"] }
        bybit.orders[orderId] = record
        bybit.byEngine[i, default: [:]][record.engineId] = orderId
        bybitOrderEvent(record)
        return bybitAnswer(0, "OK", result: #"{"orderId":"\#(orderId)","orderLinkId":"\#(linkId)"}"#)
    }

    /// The base a market order for `value` (quote, at price + quantity scale) takes from the book, in whole lots:
    /// a buy walks the asks, a sell the bids (Binance's quoteOrderQty, Bybit's market by value, OKX's by quote,
    /// Coinbase's quote_size).
    func baseFor(value: Int64, book i: Int, side: Side = .buy) -> Int64 {
        let lot = books[i].instrument.lot
        var left = value
        var base: Int64 = 0
        for level in books[i].engine.depth(side.opposite) {
            let cost = level.price.raw * level.quantity.raw
            if cost <= left {
                base += level.quantity.raw
                left -= cost
            } else {
                base += left / level.price.raw / lot * lot
                break
            }
        }
        return base
    }

    func bybitMakerFilled(_ f: SimFill, book i: Int) {
        guard f.makerAccount != SimulatedBook.marketAccount, let id = bybit.byEngine[i]?[f.makerOrder], var r = bybit.orders[id] else { return }
        r.cumQty += f.quantity.raw
        r.cumValue += f.price.raw * f.quantity.raw
        r.cumFee += f.makerFee
        r.status = r.cumQty == r.qty ? "Filled" : "PartiallyFilled"
        r.updated = venueMilliseconds
        r.trades.append(bybitExecution(r, f, maker: true))
        bybit.orders[id] = r
        bybitOrderEvent(r)
    }

    func bybitMarketFills(book i: Int) {
        for f in books[i].takeClientFills() { bybitMakerFilled(f, book: i) }
    }

    func bybitCancel(_ account: Int, _ p: [String: String]) -> BybitAnswer {
        guard p["category"] == "spot" else { return bybitAnswer(10001, "params error: the simulator trades category spot") }
        guard let symbol = p["symbol"], !symbol.isEmpty else { return bybitAnswer(170105, "Parameter 'symbol' was empty.") }
        let found: BybitOrderRecord?
        if let id = p["orderId"], !id.isEmpty {
            found = bybit.orders[id]
        } else if let link = p["orderLinkId"], !link.isEmpty {
            found = bybit.orders.values.first { $0.account == account && $0.orderLinkId == link }
        } else {
            return bybitAnswer(10001, "params error: orderId or orderLinkId is required")
        }
        guard var r = found, r.account == account, books[r.book].instrument.symbol == symbol, r.isOpen else {
            return bybitAnswer(170213, "Order does not exist.")
        }
        let (_, changes) = books[r.book].cancel(r.engineId)
        publish(book: r.book, changes: changes)
        r.status = r.cumQty > 0 ? "PartiallyFilledCanceled" : "Cancelled"
        r.updated = venueMilliseconds
        bybit.orders[r.orderId] = r
        bybitOrderEvent(r)
        return bybitAnswer(0, "OK", result: #"{"orderId":"\#(r.orderId)","orderLinkId":"\#(r.orderLinkId)"}"#)
    }

    func bybitRealtime(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        guard p["category"] == "spot" else { return bybitEnvelope(10001, "params error: the simulator trades category spot") }
        var list = bybit.orders.values.filter { $0.account == account }
        if let id = p["orderId"], !id.isEmpty {
            list = list.filter { $0.orderId == id }
        } else if let link = p["orderLinkId"], !link.isEmpty {
            list = list.filter { $0.orderLinkId == link }
        } else {
            if let symbol = p["symbol"] { list = list.filter { books[$0.book].instrument.symbol == symbol } }
            list = list.filter { p["openOnly"] == "1" ? !$0.isOpen : $0.isOpen }
        }
        list.sort { ($0.created, $0.orderId) > ($1.created, $1.orderId) }
        return bybitEnvelope(0, "OK", result: #"{"list":[\#(list.map { bybitOrderJSON($0) }.joined(separator: ","))],"nextPageCursor":"","category":"spot"}"#)
    }

    func bybitWallet(_ account: Int) -> SimHTTPResponse {
        var coins: [String] = []
        // Coins with nothing are left out, as Bybit does.
        for (asset, free, locked, scale) in balances(account) where free + locked > 0 {
            let total = FixedPoint.string(free + locked, scale: scale, trimTrailingZeros: true)
            coins.append(#"{"coin":"\#(asset)","equity":"\#(total)","usdValue":"","walletBalance":"\#(total)","locked":"\#(FixedPoint.string(locked, scale: scale, trimTrailingZeros: true))","spotHedgingQty":"0","borrowAmount":"0","accruedInterest":"0","totalOrderIM":"0","totalPositionIM":"0","totalPositionMM":"0","unrealisedPnl":"0","cumRealisedPnl":"0","bonus":"0","marginCollateral":true,"collateralSwitch":true,"spotBorrow":"0"}"#)
        }
        return bybitEnvelope(0, "OK", result: #"{"list":[{"accountType":"UNIFIED","accountIMRate":"0","accountMMRate":"0","totalEquity":"","totalWalletBalance":"","totalMarginBalance":"","totalAvailableBalance":"","totalPerpUPL":"0","totalInitialMargin":"0","totalMaintenanceMargin":"0","coin":[\#(coins.joined(separator: ","))]}]}"#)
    }

    /// An order in the documented field order (`GET /v5/order/realtime`); with `category` first for the stream.
    func bybitOrderJSON(_ r: BybitOrderRecord, category: Bool = false) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        func d(_ v: Int64, _ s: Int) -> String { FixedPoint.string(v, scale: s, trimTrailingZeros: true) }
        let average = r.cumQty > 0 ? r.cumValue / r.cumQty : 0
        let leaves = r.isOpen ? r.qty - r.cumQty : 0
        let cancelType = r.status == "Cancelled" || r.status == "PartiallyFilledCanceled" ? "CancelByUser" : "UNKNOWN"
        return #"{\#(category ? #""category":"spot","# : "")"orderId":"\#(r.orderId)","orderLinkId":"\#(r.orderLinkId)","blockTradeId":"","symbol":"\#(inst.symbol)","price":"\#(d(r.price, ps))","qty":"\#(r.value ?? d(r.qty, qs))","side":"\#(r.side == .buy ? "Buy" : "Sell")","isLeverage":"0","positionIdx":0,"orderStatus":"\#(r.status)","cancelType":"\#(cancelType)","rejectReason":"EC_NoError","avgPrice":"\#(d(average, ps))","leavesQty":"\#(d(leaves, qs))","leavesValue":"\#(d(leaves * r.price, ps + qs))","cumExecQty":"\#(d(r.cumQty, qs))","cumExecValue":"\#(d(r.cumValue, ps + qs))","cumExecFee":"\#(d(r.cumFee, ps + qs))","timeInForce":"\#(r.timeInForce)","orderType":"\#(r.type == .limit ? "Limit" : "Market")","stopOrderType":"","orderIv":"","triggerPrice":"0","takeProfit":"0","stopLoss":"0","tpTriggerBy":"","slTriggerBy":"","triggerDirection":0,"triggerBy":"","lastPriceOnCreated":"","reduceOnly":false,"closeOnTrigger":false,"smpType":"None","smpGroup":0,"smpOrderId":"","tpslMode":"","tpLimitPrice":"0","slLimitPrice":"0","placeType":"","createdTime":"\#(r.created)","updatedTime":"\#(r.updated)","cumFeeDetail":{"\#(inst.quoteAsset)":"\#(d(r.cumFee, ps + qs))"}}"#
    }

    // MARK: - The private stream

    /// `op:auth` with [apiKey, expires, hex HMAC-SHA256(secret, "GET/realtime" + expires)]; then `order`,
    /// `execution` subscriptions. - Returns: false if the request was not for the private stream.
    func bybitPrivate(_ client: SimClient, _ op: String, _ object: [String: Any], _ answer: (Bool, String) -> Void) -> Bool {
        switch op {
        case "auth":
            let args = object["args"] as? [Any] ?? []
            guard args.count == 3, let key = args[0] as? String, let expires = (args[1] as? NSNumber)?.int64Value ?? (args[1] as? String).flatMap({ Int64($0) }),
                let sign = args[2] as? String, let entry = bybit.keys.first(where: { $0.key == key }), expires > venueMilliseconds,
                BinanceSigning.matches(BinanceSigning.signature(secret: entry.secret, payload: Array("GET/realtime\(expires)".utf8)), sign)
            else {
                answer(false, "Params Error")
                return true
            }
            bybit.authenticated[client.id] = entry.account
            answer(true, "")
            return true
        case "subscribe" where client.ws.requestTarget.hasPrefix("/v5/private"):
            guard bybit.authenticated[client.id] != nil else {
                answer(false, "Request not authorized")
                return true
            }
            let topics = (object["args"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !topics.isEmpty, topics.allSatisfy({ ["order", "order.spot", "execution", "execution.spot"].contains($0) }) else {
                answer(false, "error:handler not found,topic:\(topics.first { !["order", "order.spot", "execution", "execution.spot"].contains($0) } ?? "")")
                return true
            }
            for t in topics { bybit.topics[client.id, default: []].insert(t.hasPrefix("order") ? "order" : "execution") }
            answer(true, "")
            return true
        default: return false
        }
    }

    func bybitPrivateSend(account: Int, topic: String, _ data: String) {
        for (clientId, who) in bybit.authenticated where who == account && bybit.topics[clientId]?.contains(topic) == true {
            guard let client = clients.first(where: { $0.id == clientId && !$0.gone }) else { continue }
            privateSend(client, #"{"id":"\#(uuid())","topic":"\#(topic)","creationTime":\#(venueMilliseconds),"data":[\#(data)]}"#, fill: topic == "execution")
        }
    }

    func bybitOrderEvent(_ r: BybitOrderRecord) { bybitPrivateSend(account: r.account, topic: "order", bybitOrderJSON(r, category: true)) }

    /// Pushes one execution to the `execution` topic. - Returns: the trade, with its execId, for the order's record.
    func bybitExecution(_ r: BybitOrderRecord, _ f: SimFill, maker: Bool) -> SimTrade {
        let execId = bybit.nextExecution
        bybit.nextExecution += 1
        let trade = SimTrade(f, maker: maker, venueId: String(execId), time: Nanos(raw: venueMilliseconds * 1_000_000))
        bybitPrivateSend(account: r.account, topic: "execution", #"{"category":"spot",\#(bybitExecutionFields(r, trade, leaves: r.isOpen ? r.qty - r.cumQty : 0))"#)
        return trade
    }

    /// An execution's fields after `category`, as the `execution` topic and execution/list share them (the fee in
    /// the quote asset, named in `feeCurrency`, as spot charges it here).
    func bybitExecutionFields(_ r: BybitOrderRecord, _ t: SimTrade, leaves: Int64) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        func d(_ v: Int64, _ s: Int) -> String { FixedPoint.string(v, scale: s, trimTrailingZeros: true) }
        let rate = FixedPoint.string(t.maker ? books[r.book].engine.fees.makerCentiBasisPoints : books[r.book].engine.fees.takerCentiBasisPoints, scale: 6, trimTrailingZeros: true)
        return #""symbol":"\#(inst.symbol)","execFee":"\#(d(t.fee, ps + qs))","feeCurrency":"\#(inst.quoteAsset)","execId":"\#(t.venueId)","execPrice":"\#(d(t.price, ps))","execQty":"\#(d(t.quantity, qs))","execType":"Trade","execValue":"\#(d(t.value, ps + qs))","isMaker":\#(t.maker),"feeRate":"\#(rate)","tradeIv":"","markIv":"","blockTradeId":"","markPrice":"","indexPrice":"","underlyingPrice":"","leavesQty":"\#(d(leaves, qs))","orderId":"\#(r.orderId)","orderLinkId":"\#(r.orderLinkId)","orderPrice":"\#(d(r.price, ps))","orderQty":"\#(d(r.qty, qs))","orderType":"\#(r.type == .limit ? "Limit" : "Market")","stopOrderType":"","side":"\#(r.side == .buy ? "Buy" : "Sell")","execTime":"\#(t.time.raw / 1_000_000)","isLeverage":"0"}"#
    }
}
