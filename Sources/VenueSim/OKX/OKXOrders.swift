import Foundation
import GantryCore
import GantryNet
import GantryVenues

// OKX v5 spot order entry, as documented (overview-rest-authentication, trade place/cancel/get order,
// orders-pending, account balance, the REST and WebSocket error codes, websocket login and the orders channel;
// the public instruments list: OKXInstruments.swift):
// requests signed with base64 HMAC-SHA256 of timestamp + METHOD + requestPath (with its query) + body, the
// timestamp ISO 8601 with milliseconds and at most 30 s off; authentication errors HTTP 401 with 50102…50113;
// orders answered `{"code","msg","data":[{… "sCode","sMsg"}],"inTime","outTime"}` (code "1" and the order's
// sCode when it fails); a post_only order that would take liquidity is accepted and canceled (cancelSource 31);
// the private stream (`/ws/v5/private`) logs in with the signed `GET/users/self/verify` and pushes `orders`;
// orders over that stream: OKXWSOrders.swift.
//
// Simplifications, stated: a market buy by quote (tgtCcy quote_ccy, the default) buys what the amount buys at
// the asks without counting the fee; balances are the venue's one ledger, shared by its instruments.

/// An order as the OKX venue reports it.
struct OKXOrderRecord {
    var ordId: String
    var book: Int
    var engineId: UInt64
    var account: Int
    var clOrdId: String
    var side: Side
    /// "market", "limit", "post_only", "fok", "ioc".
    var ordType: String
    var px: Int64
    /// The base quantity matched; `szText` is `sz` as sent (a quote amount for a market buy by quote).
    var sz: Int64
    var szText: String
    var tgtCcy: String
    var accFill: Int64 = 0
    var fillValue: Int64 = 0
    var fee: Int64 = 0
    var lastFillPx: Int64 = 0
    var lastFillSz: Int64 = 0
    var lastTradeId: UInt64 = 0
    /// The last fill's own fee and liquidity (the orders channel's fillFee and execType).
    var lastFillFee: Int64 = 0
    var lastFillMaker = false
    /// Its trades, as the orders channel pushed them.
    var trades: [SimTrade] = []
    /// "live", "partially_filled", "filled", "canceled".
    var state = "live"
    var cancelSource = ""
    var created: Int64
    var updated: Int64

    var isOpen: Bool { state == "live" || state == "partially_filled" }
}

/// An OKX venue's API keys, orders and private stream logins.
public struct OKXVenueState {
    var keys: [(key: String, secret: [UInt8], passphrase: String, account: Int)] = []
    var orders: [String: OKXOrderRecord] = [:]
    var byEngine: [Int: [UInt64: String]] = [:]
    var nextOrderId: UInt64 = 600_000_000_000_000_000
    var loggedIn: [Int: Int] = [:]
    var subscribed: Set<Int> = []
    /// Dead-man's switch timers: account → when its open orders are cancelled (venue time).
    var cancelAfter: [Int: Nanos] = [:]
    /// The shortest `cancel-all-after` timeOut taken (OKX: 10 s); lowered by tests that cannot wait that long.
    public var cancelAfterMinimum = 10
}

extension SimVenue {
    /// An API key, its secret and passphrase for `account`, and what the account starts with, by asset (decimal text).
    public func addOKXKey(apiKey: String, secret: String, passphrase: String, account: Int, deposits: [String: String] = [:]) throws(SimLedgerError) {
        precondition(account > 0, "account 0 is the market's")
        try deposit(account: account, deposits)
        okx.keys.append((apiKey, Array(secret.utf8), passphrase, account))
    }

    /// Milliseconds since the epoch of "2020-12-08T09:08:57.715Z", nil if it is not that form.
    static func isoMilliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x2E, b[23] == 0x5A else { return nil }
        func n(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for k in from..<(from + count) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            return v
        }
        guard let y = n(0, 4), let m = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let s = n(17, 2), let ms = n(20, 3),
            (1...12).contains(m), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        // Days from the civil date (the inverse of SimWriter.civil).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 86_400 + h * 3_600 + mi * 60 + s) * 1_000) + ms
    }

    func okxAuthError(_ code: String, _ msg: String) -> SimHTTPResponse {
        SimHTTPResponse(status: 401, json: #"{"code":"\#(code)","msg":"\#(msg)","data":[]}"#)
    }

    // MARK: - REST

    func okxREST(_ request: SimHTTPRequest) -> SimHTTPResponse {
        if request.method == "GET" && request.path == "/api/v5/public/instruments" { return okxInstruments(request) }
        let routes: Set<String> = [
            "POST /api/v5/trade/order", "POST /api/v5/trade/cancel-order", "GET /api/v5/trade/order", "GET /api/v5/trade/orders-pending",
            "GET /api/v5/account/balance", "GET /api/v5/trade/fills", "POST /api/v5/trade/cancel-all-after", "POST /api/v5/trade/cancel-batch-orders",
        ]
        guard routes.contains("\(request.method) \(request.path)") else { return SimHTTPResponse(status: 404, json: #"{"code":"50000","msg":"Not Found","data":[]}"#) }
        guard let key = request.header("OK-ACCESS-KEY"), !key.isEmpty else { return okxAuthError("50103", #"Request header \"OK-ACCESS-KEY\" cannot be empty."#) }
        guard let sign = request.header("OK-ACCESS-SIGN"), !sign.isEmpty else { return okxAuthError("50106", #"Request header \"OK-ACCESS-SIGN\" cannot be empty."#) }
        guard let stamp = request.header("OK-ACCESS-TIMESTAMP"), !stamp.isEmpty else {
            return okxAuthError("50107", #"Request header \"OK-ACCESS-TIMESTAMP\" cannot be empty."#)
        }
        guard let passphrase = request.header("OK-ACCESS-PASSPHRASE"), !passphrase.isEmpty else {
            return okxAuthError("50104", #"Request header \"OK-ACCESS-PASSPHRASE\" cannot be empty."#)
        }
        guard let ms = Self.isoMilliseconds(stamp) else { return okxAuthError("50112", "Invalid OK-ACCESS-TIMESTAMP.") }
        guard abs(venueMilliseconds - ms) <= 30_000 else { return okxAuthError("50102", "Timestamp request expired.") }
        guard let entry = okx.keys.first(where: { $0.key == key }) else { return okxAuthError("50111", "Invalid OK-ACCESS-KEY.") }
        guard entry.passphrase == passphrase else { return okxAuthError("50105", #"Request header \"OK-ACCESS-PASSPHRASE\" incorrect."#) }
        let path = request.path + (request.query.isEmpty ? "" : "?" + request.query)
        let prehash = stamp + request.method + path + String(decoding: request.body, as: UTF8.self)
        guard Base64.encode(Crypto.hmacSHA256(key: entry.secret, Array(prehash.utf8))) == sign else {
            return okxAuthError("50113", "Invalid signature.")
        }
        // The batch's body is an array, not an object.
        if request.path == "/api/v5/trade/cancel-batch-orders" { return okxCancelBatch(entry.account, request.body) }
        var p: [String: String] = request.parameters
        if request.method == "POST" {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
                return SimHTTPResponse(status: 400, json: #"{"code":"50002","msg":"JSON syntax error","data":[]}"#)
            }
            for (k, v) in object { if let s = v as? String { p[k] = s } }
        }
        switch request.path {
        case "/api/v5/trade/order" where request.method == "POST": return okxRESTAnswer(okxPlace(entry.account, p))
        case "/api/v5/trade/cancel-order": return okxRESTAnswer(okxCancel(entry.account, p))
        case "/api/v5/trade/order": return okxQuery(entry.account, p)
        case "/api/v5/trade/fills": return okxFills(entry.account, p)
        case "/api/v5/trade/cancel-all-after": return okxCancelAfter(entry.account, p)
        case "/api/v5/trade/orders-pending":
            let open = okx.orders.values.filter { $0.account == entry.account && $0.isOpen && (p["instId"] == nil || books[$0.book].instrument.symbol == p["instId"]) }
                .sorted { ($0.created, $0.ordId) > ($1.created, $1.ordId) }
            return SimHTTPResponse(status: 200, json: #"{"code":"0","msg":"","data":[\#(open.map(okxOrderJSON).joined(separator: ","))]}"#)
        default: return okxBalance(entry.account)
        }
    }

    /// What a place or cancel request did to one order: the `data` item of OKX's REST and WebSocket answers.
    struct OKXAck {
        var clOrdId: String
        var ordId: String
        var sCode: String
        var sMsg: String
        var cancel: Bool
        /// When the request was processed, venue milliseconds.
        var ts: Int64

        /// `{clOrdId, ordId, tag, ts, sCode, sMsg, subCode}` (a cancel's without tag and subCode).
        var json: String {
            let tag = cancel ? "" : #""tag":"","#
            let sub = cancel ? "" : #","subCode":"""#
            return #"{"clOrdId":"\#(clOrdId)","ordId":"\#(ordId)",\#(tag)"ts":"\#(ts)","sCode":"\#(sCode)","sMsg":"\#(sMsg)"\#(sub)}"#
        }
    }

    func okxOrderAnswer(clOrdId: String, ordId: String, sCode: String, sMsg: String, cancel: Bool = false) -> OKXAck {
        OKXAck(clOrdId: clOrdId, ordId: ordId, sCode: sCode, sMsg: sMsg, cancel: cancel, ts: venueMilliseconds)
    }

    /// The REST answer: `{"code","msg","data":[ack],"inTime","outTime"}`, code "1" when the order failed.
    func okxRESTAnswer(_ a: OKXAck) -> SimHTTPResponse {
        let us = venueMilliseconds * 1_000
        let ok = a.sCode == "0"
        return SimHTTPResponse(
            status: 200,
            json: #"{"code":"\#(ok ? "0" : "1")","msg":"\#(ok ? "" : "Operation failed.")","data":[\#(a.json)],"inTime":"\#(us)","outTime":"\#(us)"}"#)
    }

    func okxPlace(_ account: Int, _ p: [String: String]) -> OKXAck {
        let clOrdId = p["clOrdId"] ?? ""
        func fail(_ code: String, _ msg: String) -> OKXAck { okxOrderAnswer(clOrdId: clOrdId, ordId: "", sCode: code, sMsg: msg) }
        guard clOrdId.count <= 32, clOrdId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return fail("51000", "Parameter clOrdId error") }
        guard let instId = p["instId"], let i = book(instId) else {
            return fail("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        }
        guard p["tdMode"] == "cash" else { return fail("51000", "Parameter tdMode error") }
        guard let side: Side = p["side"] == "buy" ? .buy : p["side"] == "sell" ? .sell : nil else { return fail("51000", "Parameter side error") }
        let ordType = p["ordType"] ?? ""
        guard ["market", "limit", "post_only", "fok", "ioc"].contains(ordType) else { return fail("51000", "Parameter ordType error") }
        if !clOrdId.isEmpty && okx.orders.values.contains(where: { $0.account == account && $0.clOrdId == clOrdId && $0.isOpen }) {
            return fail("51016", "Client order ID already exists.")
        }
        let inst = books[i].instrument
        let tgtCcy = ordType == "market" ? (p["tgtCcy"] ?? (side == .buy ? "quote_ccy" : "base_ccy")) : ""
        guard let szText = p["sz"], !szText.isEmpty else { return fail("51000", "Parameter sz error") }
        var sz: Int64
        if tgtCcy == "quote_ccy" {
            guard side == .buy, let value = try? FixedPoint.parse(szText, scale: inst.priceScale + inst.quantityScale), value > 0 else {
                return fail("51000", "Parameter sz error")
            }
            sz = baseFor(value: value, book: i)
            guard sz > 0 else { return fail("51020", "Your order should meet or exceed the minimum order amount.") }
        } else {
            guard let v = try? FixedPoint.parse(szText, scale: inst.quantityScale), v > 0, v % inst.lot == 0 else {
                return fail("51121", "Order quantity must be a multiple of the lot size.")
            }
            sz = v
        }
        var px: Int64 = 0
        if ordType != "market" {
            guard let text = p["px"], !text.isEmpty else { return fail("51000", "Parameter px error") }
            guard let v = try? FixedPoint.parse(text, scale: inst.priceScale), v > 0, v % inst.tick == 0 else {
                return fail("51150", "The precision of the number of trades or the price exceeds the limit.")
            }
            px = v
        }
        if faults.take(.reject, elapsed: elapsed) { return fail("51000", "Parameter instId error") }
        if (ordType == "ioc" || ordType == "market") && faults.take(.partialFill, elapsed: elapsed) { sz = max(inst.lot, sz / 2 / inst.lot * inst.lot) }
        let now = venueMilliseconds
        let ordId = String(okx.nextOrderId)
        okx.nextOrderId += 1
        var record = OKXOrderRecord(
            ordId: ordId, book: i, engineId: 0, account: account, clOrdId: clOrdId, side: side, ordType: ordType, px: px, sz: sz,
            szText: szText, tgtCcy: tgtCcy, created: now, updated: now)
        // post_only that would take liquidity: accepted, then canceled (cancelSource 31).
        if ordType == "post_only", let opposite = books[i].engine.best(side.opposite), side == .buy ? px >= opposite.raw : px <= opposite.raw {
            record.state = "canceled"
            record.cancelSource = "31"
            okx.orders[ordId] = record
            okxPush(record)
            return okxOrderAnswer(clOrdId: clOrdId, ordId: ordId, sCode: "0", sMsg: "")
        }
        let type: OrderType = ordType == "market" ? .market : .limit
        let tif: TimeInForce = ordType == "fok" ? .fok : ordType == "ioc" || ordType == "market" ? .ioc : .gtc
        let (result, changes) = books[i].submit(account: account, side: side, type: type, timeInForce: tif, price: Price(raw: px), quantity: Quantity(raw: sz))
        if case .rejected(let why) = result.order.status {
            let ccy = side == .buy ? inst.quoteAsset : inst.baseAsset
            return why == .insufficientBalance ? fail("51008", "Order failed. Insufficient \(ccy) balance in account") : fail("51000", "Parameter sz error")
        }
        publish(book: i, changes: changes)
        publishTrades(book: i)
        record.engineId = result.order.id
        okx.byEngine[i, default: [:]][record.engineId] = ordId
        // One orders push per fill, as OKX pushes each fill (its fillSz, fillPx, tradeId, fillFee); the last one
        // carries the order's final state, below.
        for (k, f) in result.fills.enumerated() {
            record.fill(f, maker: false, time: venueMilliseconds)
            okxMakerFilled(f, book: i)
            if k < result.fills.count - 1 {
                record.state = "partially_filled"
                okxPush(record, fill: true)
            }
        }
        switch result.order.status {
        case .new: record.state = "live"
        case .partiallyFilled: record.state = "partially_filled"
        case .filled where record.accFill == sz: record.state = "filled"
        default:
            record.state = "canceled"
            record.cancelSource = ordType == "fok" ? "13" : "14"
        }
        okx.orders[ordId] = record
        if let last = result.fills.last, record.state == "canceled" {
            // The last fill's push says partially_filled; the cancel of the rest follows in a push without a fill.
            let final = record
            record.state = "partially_filled"
            record.lastFillSz = last.quantity.raw
            okxPush(record, fill: true)
            record = final
            record.lastFillSz = 0
            record.lastFillFee = 0
            okx.orders[ordId] = record
            okxPush(record)
        } else {
            okxPush(record, fill: !result.fills.isEmpty)
        }
        return okxOrderAnswer(clOrdId: clOrdId, ordId: ordId, sCode: "0", sMsg: "")
    }

    func okxMakerFilled(_ f: SimFill, book i: Int) {
        guard f.makerAccount != SimulatedBook.marketAccount, let id = okx.byEngine[i]?[f.makerOrder], var r = okx.orders[id] else { return }
        r.fill(f, maker: true, time: venueMilliseconds)
        r.state = r.accFill == r.sz ? "filled" : "partially_filled"
        r.updated = venueMilliseconds
        okx.orders[id] = r
        okxPush(r, fill: true)
    }

    func okxMarketFills(book i: Int) {
        for f in books[i].takeClientFills() { okxMakerFilled(f, book: i) }
    }

    /// The order named by `ordId` (first) or `clOrdId` (the latest with it) of the account in the instrument.
    func okxFind(_ account: Int, _ p: [String: String]) -> OKXOrderRecord? {
        guard let instId = p["instId"], let i = book(instId) else { return nil }
        if let id = p["ordId"], !id.isEmpty { return okx.orders[id].flatMap { $0.account == account && $0.book == i ? $0 : nil } }
        if let c = p["clOrdId"], !c.isEmpty {
            return okx.orders.values.filter { $0.account == account && $0.book == i && $0.clOrdId == c }.max { $0.created < $1.created }
        }
        return nil
    }

    func okxCancel(_ account: Int, _ p: [String: String]) -> OKXAck {
        guard p["ordId"] != nil || p["clOrdId"] != nil else {
            return okxOrderAnswer(clOrdId: "", ordId: "", sCode: "51407", sMsg: "Either order ID or client order ID is required.", cancel: true)
        }
        guard var r = okxFind(account, p), r.isOpen else {
            return okxOrderAnswer(
                clOrdId: p["clOrdId"] ?? "", ordId: p["ordId"] ?? "", sCode: "51400",
                sMsg: "Order cancellation failed as the order has been filled, canceled or does not exist.", cancel: true)
        }
        let (_, changes) = books[r.book].cancel(r.engineId)
        publish(book: r.book, changes: changes)
        r.state = "canceled"
        r.cancelSource = "1"
        r.updated = venueMilliseconds
        okx.orders[r.ordId] = r
        okxPush(r)
        return okxOrderAnswer(clOrdId: r.clOrdId, ordId: r.ordId, sCode: "0", sMsg: "", cancel: true)
    }

    func okxQuery(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        guard let r = okxFind(account, p) else { return SimHTTPResponse(status: 200, json: #"{"code":"51603","msg":"Order does not exist.","data":[]}"#) }
        return SimHTTPResponse(status: 200, json: #"{"code":"0","msg":"","data":[\#(okxOrderJSON(r))]}"#)
    }

    func okxBalance(_ account: Int) -> SimHTTPResponse {
        var details: [String] = []
        let now = venueMilliseconds
        for (asset, free, locked, scale) in balances(account) where free + locked > 0 {
            func d(_ v: Int64) -> String { FixedPoint.string(v, scale: scale, trimTrailingZeros: true) }
            details.append(#"{"ccy":"\#(asset)","eq":"\#(d(free + locked))","cashBal":"\#(d(free + locked))","uTime":"\#(now)","availBal":"\#(d(free))","frozenBal":"\#(d(locked))","ordFrozen":"\#(d(locked))","availEq":"\#(d(free))","disEq":"","eqUsd":"","fixedBal":"0","liab":"","upl":"","interest":"","maxLoan":"","stgyEq":"0","isoEq":"","spotBal":"\#(d(free + locked))"}"#)
        }
        return SimHTTPResponse(status: 200, json: #"{"code":"0","data":[{"adjEq":"","availEq":"","borrowFroz":"","details":[\#(details.joined(separator: ","))],"imr":"","isoEq":"0","mgnRatio":"","mmr":"","notionalUsd":"","ordFroz":"","totalEq":"","uTime":"\#(now)","upl":""}],"msg":""}"#)
    }

    /// An order in the documented field order (GET order, orders-pending; the orders channel's base).
    func okxOrderJSON(_ r: OKXOrderRecord) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        func d(_ v: Int64, _ s: Int) -> String { FixedPoint.string(v, scale: s, trimTrailingZeros: true) }
        let filled = r.accFill > 0
        let avg = filled ? d(r.fillValue / r.accFill, ps) : ""
        let px = r.ordType == "market" ? "" : d(r.px, ps)
        return #"{"instType":"SPOT","instId":"\#(inst.symbol)","tgtCcy":"\#(r.tgtCcy)","ccy":"","ordId":"\#(r.ordId)","clOrdId":"\#(r.clOrdId)","tag":"","px":"\#(px)","pxUsd":"","pxVol":"","pxType":"","sz":"\#(r.szText)","pnl":"0","ordType":"\#(r.ordType)","side":"\#(r.side == .buy ? "buy" : "sell")","posSide":"net","tdMode":"cash","accFillSz":"\#(d(r.accFill, qs))","fillPx":"\#(filled ? d(r.lastFillPx, ps) : "")","tradeId":"\#(filled ? String(r.lastTradeId) : "")","fillSz":"\#(filled ? d(r.lastFillSz, qs) : "")","fillTime":"\#(filled ? String(r.updated) : "")","avgPx":"\#(avg)","state":"\#(r.state)","stpId":"","stpMode":"cancel_maker","lever":"","attachAlgoClOrdId":"","tpTriggerPx":"","tpTriggerPxType":"","tpOrdPx":"","slTriggerPx":"","slTriggerPxType":"","slOrdPx":"","attachAlgoOrds":[],"linkedAlgoOrd":{"algoId":""},"feeCcy":"\#(inst.quoteAsset)","fee":"\#(r.fee == 0 ? "0" : "-" + d(r.fee, ps + qs))","rebateCcy":"\#(inst.baseAsset)","rebate":"0","source":"","category":"normal","reduceOnly":"false","isTpLimit":"false","cancelSource":"\#(r.cancelSource)","cancelSourceReason":"","quickMgnType":"","algoClOrdId":"","algoId":"","uTime":"\#(r.updated)","cTime":"\#(r.created)","tradeQuoteCcy":"\#(inst.quoteAsset)"}"#
    }

    // MARK: - The private stream

    /// `op:login` (base64 HMAC of timestamp + "GET/users/self/verify", the timestamp in seconds, at most 30 s
    /// old) and `orders` subscriptions. - Returns: false if the request is not for the private stream.
    func okxPrivate(_ client: SimClient, _ object: [String: Any], connection: String) -> Bool {
        guard client.ws.requestTarget.hasPrefix("/ws/v5/private"), let op = object["op"] as? String else { return false }
        switch op {
        case "login":
            let arg = (object["args"] as? [[String: Any]])?.first ?? [:]
            let stamp = (arg["timestamp"] as? String) ?? (arg["timestamp"] as? NSNumber)?.stringValue ?? ""
            guard let key = arg["apiKey"] as? String, let entry = okx.keys.first(where: { $0.key == key }), arg["passphrase"] as? String == entry.passphrase,
                let seconds = Int64(stamp), abs(venueMilliseconds / 1_000 - seconds) <= 30,
                arg["sign"] as? String == Base64.encode(Crypto.hmacSHA256(key: entry.secret, Array("\(stamp)GET/users/self/verify".utf8)))
            else {
                reply(client, #"{"event":"error","code":"60009","msg":"Login failed.","connId":"\#(connection)"}"#)
                return true
            }
            okx.loggedIn[client.id] = entry.account
            reply(client, #"{"event":"login","code":"0","msg":"","connId":"\#(connection)"}"#)
        case "subscribe":
            guard okx.loggedIn[client.id] != nil else {
                reply(client, #"{"event":"error","code":"60011","msg":"Please log in","connId":"\#(connection)"}"#)
                return true
            }
            let args = object["args"] as? [[String: Any]] ?? []
            guard let arg = args.first, arg["channel"] as? String == "orders", ["SPOT", "ANY"].contains(arg["instType"] as? String ?? "") else {
                reply(client, #"{"event":"error","code":"60012","msg":"Invalid request: only the orders channel is simulated","connId":"\#(connection)"}"#)
                return true
            }
            okx.subscribed.insert(client.id)
            let id = (object["id"] as? String).map { #""id":"\#($0)","# } ?? ""
            reply(client, #"{\#(id)"event":"subscribe","arg":{"channel":"orders","instType":"\#(arg["instType"] as? String ?? "SPOT")"},"connId":"\#(connection)"}"#)
        case "order", "cancel-order": okxWSOrder(client, op, object)
        default: return false
        }
        return true
    }

    /// An `orders` push to the account's logged-in subscribers.
    func okxPush(_ r: OKXOrderRecord, fill: Bool = false) {
        for (clientId, account) in okx.loggedIn where account == r.account && okx.subscribed.contains(clientId) {
            guard let client = clients.first(where: { $0.id == clientId && !$0.gone }) else { continue }
            let inst = books[r.book].instrument
            var order = okxOrderJSON(r)
            order.removeLast()
            let fillFee = r.lastFillSz > 0 && r.lastFillFee > 0 ? "-" + FixedPoint.string(r.lastFillFee, scale: inst.priceScale + inst.quantityScale, trimTrailingZeros: true) : "0"
            order += #","fillFee":"\#(fillFee)","fillFeeCcy":"\#(inst.quoteAsset)","execType":"\#(r.lastFillMaker ? "M" : "T")","lastPx":"\#(FixedPoint.string(books[r.book].tradeStats.last, scale: inst.priceScale, trimTrailingZeros: true))","code":"0","msg":""}"#
            privateSend(client, #"{"arg":{"channel":"orders","instType":"SPOT","instId":"\#(inst.symbol)","uid":"\#(r.account)"},"data":[\#(order)]}"#, fill: fill)
        }
    }
}
