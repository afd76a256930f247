import Foundation
import GantryCore

// Binance spot order entry, as documented (rest-api/trading-endpoints, account-endpoints, errors, enums):
// SIGNED `POST /api/v3/order` (LIMIT with timeInForce GTC/IOC/FOK, quantity and price; MARKET with quantity),
// `DELETE /api/v3/order`, `GET /api/v3/order`, `GET /api/v3/openOrders`, `GET /api/v3/account`; responses ACK,
// RESULT or FULL (the default for LIMIT and MARKET); errors as `{"code":…,"msg":…}` with HTTP 400 (401 for a
// bad key). Fills reach the account's user data stream, subscribed on the WebSocket API (`/ws-api/v3`) with
// `userDataStream.subscribe.signature`, as `{"subscriptionId":…,"event":{executionReport | outboundAccountPosition}}`.
//
// Simplifications, stated: commissions are charged in the quote asset on both sides. Balances are the venue's
// one ledger (`SimLedger`), shared by its symbols.

/// An order as the Binance venue reports it.
struct BinanceOrderRecord {
    var book: Int
    var orderId: UInt64
    var clientOrderId: String
    var account: Int
    var side: Side
    var type: OrderType
    var timeInForce: TimeInForce
    /// Raw at the symbol's scales; `cumQuote` at price scale + quantity scale.
    var price: Int64
    var origQty: Int64
    var executedQty: Int64 = 0
    var cumQuote: Int64 = 0
    var status = "NEW"
    var time: Int64
    var updateTime: Int64
    /// When it went on the book (-1: never).
    var workingTime: Int64 = -1
    var limitMaker = false
    /// A market order by quote: the amount asked for (price + quantity scale), else 0.
    var origQuoteOrderQty: Int64 = 0
    /// Its trades, as the user data stream reported them.
    var trades: [SimTrade] = []
    var typeText: String { type == .market ? "MARKET" : limitMaker ? "LIMIT_MAKER" : "LIMIT" }

    var isOpen: Bool { status == "NEW" || status == "PARTIALLY_FILLED" }
}

/// A Binance venue's accounts, orders and user data stream subscriptions.
public struct BinanceVenueState {
    public var auth = BinanceAuth([])
    var orders: [BookOrder: BinanceOrderRecord] = [:]
    /// Open user data stream subscriptions: client, account, subscription id.
    var streams: [(client: Int, account: Int, subscription: Int)] = []
    var nextSubscription: [Int: Int] = [:]
    var nextTradeEvent: Int64 = 1

    struct BookOrder: Hashable {
        var book: Int
        var id: UInt64
    }
}

extension SimVenue {
    /// An account that can trade: its API key and secret, and what it starts with, by asset (decimal
    /// text, e.g. ["BTC": "2", "USDT": "300000"]). - Throws: `SimLedgerError` for an asset the venue does not trade.
    public func addAccount(_ credentials: BinanceCredentials, deposits: [String: String] = [:]) throws(SimLedgerError) {
        precondition(credentials.account > 0, "account 0 is the market's")
        try deposit(account: credentials.account, deposits)
        binance.auth.credentials.append(credentials)
    }

    // MARK: - REST

    /// The SIGNED order and account endpoints; nil if `request` is not one of them.
    func binanceTrading(_ request: SimHTTPRequest) -> SimHTTPResponse? {
        let routes: Set<String> = [
            "POST /api/v3/order", "DELETE /api/v3/order", "GET /api/v3/order", "GET /api/v3/openOrders", "GET /api/v3/account", "GET /api/v3/myTrades",
            "DELETE /api/v3/openOrders",
        ]
        let route = "\(request.method) \(request.path)"
        guard routes.contains(route) else { return nil }
        let signed = binance.auth.verify(
            query: request.query, body: String(decoding: request.body, as: UTF8.self), apiKey: request.header("X-MBX-APIKEY"),
            serverTimeMs: venueMilliseconds)
        let r: BinanceSignedRequest
        switch signed {
        case .failure(let e): return SimHTTPResponse(status: e.status, json: e.json)
        case .success(let ok): r = ok
        }
        let result: Result<String, BinanceAPIError>
        switch route {
        case "POST /api/v3/order": result = binancePlace(r.account, r.parameters)
        case "DELETE /api/v3/order": result = binanceCancel(r.account, r.parameters)
        case "GET /api/v3/order": result = binanceQuery(r.account, r.parameters)
        case "GET /api/v3/openOrders": result = binanceOpenOrders(r.account, r.parameters)
        case "DELETE /api/v3/openOrders": result = binanceCancelAll(r.account, r.parameters)
        case "GET /api/v3/myTrades": result = binanceMyTrades(r.account, r.parameters)
        default: result = .success(binanceAccount(r.account, omitZero: r.parameters["omitZeroBalances"] == "true"))
        }
        switch result {
        case .success(let json): return SimHTTPResponse(status: 200, json: json)
        case .failure(let e): return SimHTTPResponse(status: e.status, json: e.json)
        }
    }

    static func binanceError(_ code: Int, _ msg: String) -> BinanceAPIError { BinanceAPIError(status: 400, code: code, msg: msg) }

    /// `symbol` → the book's index, or -1102 / -1121.
    func binanceSymbol(_ p: [String: String]) -> Result<Int, BinanceAPIError> {
        guard let s = p["symbol"], !s.isEmpty else { return .failure(.mandatory("symbol")) }
        guard let i = book(s) else { return .failure(Self.binanceError(-1121, "Invalid symbol.")) }
        return .success(i)
    }

    /// A decimal parameter at `scale` that must be a positive multiple of `step`: -1100 if it is not a number,
    /// -1013 with the filter's name if it breaks the step.
    func binanceDecimal(_ p: [String: String], _ name: String, scale: Int, step: Int64, filter: String) -> Result<Int64, BinanceAPIError> {
        guard let text = p[name], !text.isEmpty else { return .failure(.mandatory(name)) }
        guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), text.filter({ $0 == "." }).count <= 1 else {
            return .failure(Self.binanceError(-1100, "Illegal characters found in parameter '\(name)'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."))
        }
        let raw: Int64
        do throws(DecimalError) {
            raw = try FixedPoint.parse(text, scale: scale)
        } catch {
            return .failure(Self.binanceError(-1013, "Filter failure: \(filter)"))
        }
        guard raw > 0, raw % step == 0 else { return .failure(Self.binanceError(-1013, "Filter failure: \(filter)")) }
        return .success(raw)
    }

    func binancePlace(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        let i: Int
        switch binanceSymbol(p) {
        case .failure(let e): return .failure(e)
        case .success(let b): i = b
        }
        let inst = books[i].instrument
        guard let sideText = p["side"], !sideText.isEmpty else { return .failure(.mandatory("side")) }
        guard let side: Side = sideText == "BUY" ? .buy : sideText == "SELL" ? .sell : nil else {
            return .failure(Self.binanceError(-1117, "Invalid side."))
        }
        guard let typeText = p["type"], !typeText.isEmpty else { return .failure(.mandatory("type")) }
        // LIMIT_MAKER: a limit order that rests or is refused, never takes.
        let maker = typeText == "LIMIT_MAKER"
        guard let type: OrderType = typeText == "LIMIT" || maker ? .limit : typeText == "MARKET" ? .market : nil else {
            if ["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"].contains(typeText) {
                // Valid at Binance, not simulated: said plainly rather than called invalid.
                return .failure(BinanceAPIError(status: 400, code: -1000, msg: "An unknown error occurred while processing the request. (\(typeText) is not simulated)"))
            }
            return .failure(Self.binanceError(-1116, "Invalid orderType."))
        }
        var tif = TimeInForce.ioc
        var price: Int64 = 0
        if maker {
            if p["timeInForce"] != nil { return .failure(Self.binanceError(-1106, "Parameter 'timeInForce' sent when not required.")) }
            tif = .gtc
            switch binanceDecimal(p, "price", scale: inst.priceScale, step: inst.tick, filter: "PRICE_FILTER") {
            case .failure(let e): return .failure(e)
            case .success(let v): price = v
            }
            if let opposite = books[i].engine.best(side.opposite), side == .buy ? price >= opposite.raw : price <= opposite.raw {
                return .failure(Self.binanceError(-2010, "Order would immediately match and take."))
            }
        } else if type == .limit {
            guard let t = p["timeInForce"], !t.isEmpty else { return .failure(.mandatory("timeInForce")) }
            guard let parsed: TimeInForce = t == "GTC" ? .gtc : t == "IOC" ? .ioc : t == "FOK" ? .fok : nil else {
                return .failure(Self.binanceError(-1115, "Invalid timeInForce."))
            }
            tif = parsed
            switch binanceDecimal(p, "price", scale: inst.priceScale, step: inst.tick, filter: "PRICE_FILTER") {
            case .failure(let e): return .failure(e)
            case .success(let v): price = v
            }
        } else {
            for name in ["timeInForce", "price"] where p[name] != nil {
                return .failure(Self.binanceError(-1106, "Parameter '\(name)' sent when not required."))
            }
            if p["quoteOrderQty"] != nil && p["quantity"] != nil {
                return .failure(Self.binanceError(-1106, "Parameter 'quoteOrderQty' sent when not required."))
            }
        }
        var quantity: Int64
        var quoteOrderQty: Int64 = 0
        if type == .market, p["quantity"] == nil, p["quoteOrderQty"] != nil {
            // By quote: the quantity the amount takes from the book (a buy walks the asks, a sell the bids).
            switch binanceDecimal(p, "quoteOrderQty", scale: inst.priceScale + inst.quantityScale, step: 1, filter: "NOTIONAL") {
            case .failure(let e): return .failure(e)
            case .success(let v): quoteOrderQty = v
            }
            quantity = baseFor(value: quoteOrderQty, book: i, side: side)
            guard quantity > 0 else { return .failure(Self.binanceError(-1013, "Filter failure: NOTIONAL")) }
        } else {
            if type == .market && p["quantity"] == nil {
                return .failure(BinanceAPIError(status: 400, code: -1102, msg: "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"))
            }
            switch binanceDecimal(p, "quantity", scale: inst.quantityScale, step: inst.lot, filter: type == .market ? "MARKET_LOT_SIZE" : "LOT_SIZE") {
            case .failure(let e): return .failure(e)
            case .success(let v): quantity = v
            }
        }
        let respType = p["newOrderRespType"] ?? "FULL"
        guard ["ACK", "RESULT", "FULL"].contains(respType) else {
            return .failure(Self.binanceError(-1100, "Illegal characters found in parameter 'newOrderRespType'."))
        }
        let clientOrderId = p["newClientOrderId"] ?? generatedClientOrderId()
        guard (1...36).contains(clientOrderId.count), clientOrderId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:/_-".contains($0)) }) else {
            return .failure(Self.binanceError(-1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."))
        }
        if binance.orders.values.contains(where: { $0.account == account && $0.clientOrderId == clientOrderId && $0.isOpen }) {
            return .failure(Self.binanceError(-2010, "Duplicate order sent."))
        }
        if faults.take(.reject, elapsed: elapsed) {
            return .failure(Self.binanceError(-2010, "Market is closed."))
        }
        // A partial-fill fault lets an IOC or market order trade at most half its quantity (the rest expires).
        var matchable = quantity
        if (type == .market || tif == .ioc) && faults.take(.partialFill, elapsed: elapsed) {
            matchable = max(inst.lot, quantity / 2 / inst.lot * inst.lot)
        }
        let (result, changes) = books[i].submit(
            account: account, side: side, type: type, timeInForce: tif, price: Price(raw: price), quantity: Quantity(raw: matchable))
        let now = venueMilliseconds
        if case .rejected(let why) = result.order.status {
            switch why {
            case .insufficientBalance: return .failure(Self.binanceError(-2010, "Account has insufficient balance for requested action."))
            default: return .failure(Self.binanceError(-1013, "Filter failure: LOT_SIZE"))
            }
        }
        publish(book: i, changes: changes)
        publishTrades(book: i)
        var record = BinanceOrderRecord(
            book: i, orderId: result.order.id, clientOrderId: clientOrderId, account: account, side: side, type: type, timeInForce: tif,
            price: price, origQty: quantity, time: now, updateTime: now)
        record.limitMaker = maker
        record.origQuoteOrderQty = quoteOrderQty
        binanceEvent(record, execution: "NEW", fill: nil)
        for f in result.fills {
            record.executedQty += f.quantity.raw
            record.cumQuote += f.price.raw * f.quantity.raw
            record.status = record.executedQty == record.origQty ? "FILLED" : "PARTIALLY_FILLED"
            record.trades.append(SimTrade(f, maker: false, time: venueTime))
            binanceEvent(record, execution: "TRADE", fill: (f, f.takerFee, false))
            binanceMakerFilled(f, book: i)
        }
        switch result.order.status {
        case .new, .partiallyFilled:
            record.workingTime = now
        case .filled where record.executedQty == record.origQty: break
        default:
            record.status = "EXPIRED"
            binanceEvent(record, execution: "EXPIRED", fill: nil)
        }
        binance.orders[.init(book: i, id: record.orderId)] = record
        binancePosition(account, book: i)
        return .success(binanceOrderJSON(record, kind: respType, fills: result.fills))
    }

    /// A client's resting order traded (against another client's order or the market's): its record, its report.
    func binanceMakerFilled(_ f: SimFill, book i: Int) {
        guard f.makerAccount != SimulatedBook.marketAccount, var maker = binance.orders[.init(book: i, id: f.makerOrder)] else { return }
        maker.executedQty += f.quantity.raw
        maker.cumQuote += f.price.raw * f.quantity.raw
        maker.status = maker.executedQty == maker.origQty ? "FILLED" : "PARTIALLY_FILLED"
        maker.updateTime = venueMilliseconds
        maker.trades.append(SimTrade(f, maker: true, time: venueTime))
        binance.orders[.init(book: i, id: f.makerOrder)] = maker
        binanceEvent(maker, execution: "TRADE", fill: (f, f.makerFee, true))
        binancePosition(maker.account, book: i)
    }

    /// Clients' resting orders the market's own moves traded against (called after each step).
    func binanceMarketFills(book i: Int) {
        for f in books[i].takeClientFills() { binanceMakerFilled(f, book: i) }
    }

    /// The order named by `orderId` or `origClientOrderId` among the account's orders of the symbol.
    func binanceFind(_ account: Int, _ i: Int, _ p: [String: String]) -> BinanceOrderRecord? {
        if let id = p["orderId"].flatMap(UInt64.init) {
            return binance.orders[.init(book: i, id: id)].flatMap { $0.account == account ? $0 : nil }
        }
        if let c = p["origClientOrderId"] {
            return binance.orders.values.filter { $0.book == i && $0.account == account && $0.clientOrderId == c }.max { $0.time < $1.time }
        }
        return nil
    }

    func binanceCancel(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        let i: Int
        switch binanceSymbol(p) {
        case .failure(let e): return .failure(e)
        case .success(let b): i = b
        }
        guard p["orderId"] != nil || p["origClientOrderId"] != nil else {
            return .failure(Self.binanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"))
        }
        guard var record = binanceFind(account, i, p), record.isOpen, books[i].engine.order(record.orderId) != nil else {
            return .failure(Self.binanceError(-2011, "Unknown order sent."))
        }
        let (_, changes) = books[i].cancel(record.orderId)
        publish(book: i, changes: changes)
        let original = record.clientOrderId
        record.status = "CANCELED"
        record.updateTime = venueMilliseconds
        binance.orders[.init(book: i, id: record.orderId)] = record
        binanceEvent(record, execution: "CANCELED", fill: nil)
        binancePosition(account, book: i)
        let inst = books[i].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        let json = #"{"symbol":"\#(inst.symbol)","origClientOrderId":"\#(original)","orderId":\#(record.orderId),"orderListId":-1,"clientOrderId":"\#(p["newClientOrderId"] ?? generatedClientOrderId())","transactTime":\#(record.updateTime),"price":"\#(FixedPoint.string(record.price, scale: ps))","origQty":"\#(FixedPoint.string(record.origQty, scale: qs))","executedQty":"\#(FixedPoint.string(record.executedQty, scale: qs))","origQuoteOrderQty":"0","cummulativeQuoteQty":"\#(FixedPoint.string(record.cumQuote, scale: ps + qs))","status":"CANCELED","timeInForce":"\#(Self.tifText(record.timeInForce))","type":"\#(record.typeText)","side":"\#(record.side == .buy ? "BUY" : "SELL")","selfTradePreventionMode":"NONE"}"#
        return .success(json)
    }

    func binanceQuery(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        let i: Int
        switch binanceSymbol(p) {
        case .failure(let e): return .failure(e)
        case .success(let b): i = b
        }
        guard let record = binanceFind(account, i, p) else { return .failure(Self.binanceError(-2013, "Order does not exist.")) }
        return .success(binanceQueryJSON(record))
    }

    func binanceOpenOrders(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        var only: Int? = nil
        if p["symbol"] != nil {
            switch binanceSymbol(p) {
            case .failure(let e): return .failure(e)
            case .success(let b): only = b
            }
        }
        let open = binance.orders.values.filter { $0.account == account && $0.isOpen && (only == nil || $0.book == only) }
            .sorted { ($0.time, $0.orderId) < ($1.time, $1.orderId) }
        return .success("[" + open.map(binanceQueryJSON).joined(separator: ",") + "]")
    }

    /// The account's commissions and balances (`omitZero`: only the assets it holds).
    func binanceAccount(_ account: Int, omitZero: Bool = false) -> String {
        let now = venueMilliseconds
        var balances: [String] = []
        for (asset, free, locked, scale) in self.balances(account) where !omitZero || free + locked != 0 {
            balances.append(#"{"asset":"\#(asset)","free":"\#(FixedPoint.string(free, scale: scale))","locked":"\#(FixedPoint.string(locked, scale: scale))"}"#)
        }
        let fees = books.first?.engine.fees ?? FeeSchedule(makerCentiBasisPoints: 0, takerCentiBasisPoints: 0)
        // Commission in basis points (Binance's integer fields) and as rates (its strings).
        let maker = fees.makerCentiBasisPoints / 100
        let taker = fees.takerCentiBasisPoints / 100
        let makerRate = FixedPoint.string(fees.makerCentiBasisPoints, scale: 6)
        let takerRate = FixedPoint.string(fees.takerCentiBasisPoints, scale: 6)
        return #"{"makerCommission":\#(maker),"takerCommission":\#(taker),"buyerCommission":0,"sellerCommission":0,"commissionRates":{"maker":"\#(makerRate)","taker":"\#(takerRate)","buyer":"0.00000000","seller":"0.00000000"},"canTrade":true,"canWithdraw":true,"canDeposit":true,"brokered":false,"requireSelfTradePrevention":false,"preventSor":false,"updateTime":\#(now),"accountType":"SPOT","balances":[\#(balances.joined(separator: ","))],"permissions":["SPOT"],"uid":\#(account)}"#
    }

    // MARK: - JSON

    static func tifText(_ t: TimeInForce) -> String {
        switch t {
        case .gtc: "GTC"
        case .ioc: "IOC"
        case .fok: "FOK"
        }
    }

    /// 22 characters of letters and digits, as Binance generates them.
    func generatedClientOrderId() -> String { randomText(22, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") }

    /// The ACK, RESULT or FULL response of a new order, fields in Binance's documented order.
    func binanceOrderJSON(_ r: BinanceOrderRecord, kind: String, fills: [SimFill]) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        var json = #"{"symbol":"\#(inst.symbol)","orderId":\#(r.orderId),"orderListId":-1,"clientOrderId":"\#(r.clientOrderId)","transactTime":\#(r.time)"#
        if kind != "ACK" {
            json += #","price":"\#(FixedPoint.string(r.price, scale: ps))","origQty":"\#(FixedPoint.string(r.origQty, scale: qs))","executedQty":"\#(FixedPoint.string(r.executedQty, scale: qs))","origQuoteOrderQty":"\#(FixedPoint.string(r.origQuoteOrderQty, scale: ps + qs))","cummulativeQuoteQty":"\#(FixedPoint.string(r.cumQuote, scale: ps + qs))","status":"\#(r.status)","timeInForce":"\#(Self.tifText(r.timeInForce))","type":"\#(r.typeText)","side":"\#(r.side == .buy ? "BUY" : "SELL")""#
            if r.workingTime >= 0 { json += #","workingTime":\#(r.workingTime)"# }
            json += #","selfTradePreventionMode":"NONE""#
        }
        if kind == "FULL" {
            let list = fills.map {
                #"{"price":"\#(FixedPoint.string($0.price.raw, scale: ps))","qty":"\#(FixedPoint.string($0.quantity.raw, scale: qs))","commission":"\#(FixedPoint.string($0.takerFee, scale: ps + qs))","commissionAsset":"\#(inst.quoteAsset)","tradeId":\#($0.tradeId)}"#
            }
            json += #","fills":[\#(list.joined(separator: ","))]"#
        }
        return json + "}"
    }

    /// An order as `GET /api/v3/order` and `openOrders` show it.
    func binanceQueryJSON(_ r: BinanceOrderRecord) -> String {
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        return #"{"symbol":"\#(inst.symbol)","orderId":\#(r.orderId),"orderListId":-1,"clientOrderId":"\#(r.clientOrderId)","price":"\#(FixedPoint.string(r.price, scale: ps))","origQty":"\#(FixedPoint.string(r.origQty, scale: qs))","executedQty":"\#(FixedPoint.string(r.executedQty, scale: qs))","cummulativeQuoteQty":"\#(FixedPoint.string(r.cumQuote, scale: ps + qs))","status":"\#(r.status)","timeInForce":"\#(Self.tifText(r.timeInForce))","type":"\#(r.typeText)","side":"\#(r.side == .buy ? "BUY" : "SELL")","stopPrice":"0","icebergQty":"0","time":\#(r.time),"updateTime":\#(r.updateTime),"isWorking":\#(r.workingTime >= 0),"workingTime":\#(r.workingTime),"origQuoteOrderQty":"\#(FixedPoint.string(r.origQuoteOrderQty, scale: ps + qs))","selfTradePreventionMode":"NONE"}"#
    }

    // MARK: - User data stream

    /// An `executionReport` to the account's user data stream subscriptions.
    func binanceEvent(_ r: BinanceOrderRecord, execution: String, fill: (SimFill, Int64, Bool)?) {
        let subs = binance.streams.filter { $0.account == r.account }
        guard !subs.isEmpty else { return }
        let inst = books[r.book].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        let now = venueMilliseconds
        let lastQty = fill.map { $0.0.quantity.raw } ?? 0
        let lastPrice = fill.map { $0.0.price.raw } ?? 0
        let executionId = binance.nextTradeEvent
        binance.nextTradeEvent += 1
        let event = #"{"e":"executionReport","E":\#(now),"s":"\#(inst.symbol)","c":"\#(r.clientOrderId)","S":"\#(r.side == .buy ? "BUY" : "SELL")","o":"\#(r.typeText)","f":"\#(Self.tifText(r.timeInForce))","q":"\#(FixedPoint.string(r.origQty, scale: qs))","p":"\#(FixedPoint.string(r.price, scale: ps))","P":"0","F":"0","g":-1,"C":"","x":"\#(execution)","X":"\#(r.status)","r":"NONE","i":\#(r.orderId),"l":"\#(FixedPoint.string(lastQty, scale: qs))","z":"\#(FixedPoint.string(r.executedQty, scale: qs))","L":"\#(FixedPoint.string(lastPrice, scale: ps))","n":"\#(FixedPoint.string(fill?.1 ?? 0, scale: ps + qs))","N":\#(fill == nil ? "null" : #""\#(inst.quoteAsset)""#),"T":\#(now),"t":\#(fill.map { Int64($0.0.tradeId) } ?? -1),"I":\#(executionId),"w":\#(r.isOpen && (r.workingTime >= 0 || (execution == "NEW" && r.timeInForce == .gtc))),"m":\#(fill?.2 ?? false),"M":false,"O":\#(r.time),"Z":"\#(FixedPoint.string(r.cumQuote, scale: ps + qs))","Y":"\#(FixedPoint.string(lastPrice * lastQty, scale: ps + qs))","Q":"0","W":\#(r.workingTime >= 0 ? r.workingTime : r.time),"V":"NONE"}"#
        for s in subs { binanceStreamSend(s.client, s.subscription, event, fill: fill != nil) }
    }

    /// An `outboundAccountPosition` with the account's balances of the book's two assets (the venue's one balance
    /// of each, at the asset's ledger scale).
    func binancePosition(_ account: Int, book i: Int) {
        let subs = binance.streams.filter { $0.account == account }
        guard !subs.isEmpty else { return }
        let inst = books[i].instrument
        let now = venueMilliseconds
        let assets = [inst.baseAsset, inst.quoteAsset].map { asset -> String in
            let a = ledger.index(of: asset)!
            let b = ledger.balance(account, asset: a)
            let scale = ledger.scales[a]
            return #"{"a":"\#(asset)","f":"\#(FixedPoint.string(b.free, scale: scale))","l":"\#(FixedPoint.string(b.locked, scale: scale))"}"#
        }
        let event = #"{"e":"outboundAccountPosition","E":\#(now),"u":\#(now),"B":[\#(assets.joined(separator: ","))]}"#
        for s in subs { binanceStreamSend(s.client, s.subscription, event) }
    }

    func binanceStreamSend(_ clientId: Int, _ subscription: Int, _ event: String, fill: Bool = false) {
        guard let client = clients.first(where: { $0.id == clientId && !$0.gone }) else { return }
        privateSend(client, #"{"subscriptionId":\#(subscription),"event":\#(event)}"#, fill: fill)
    }
}
