import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// The best three ask levels of the venue's first book: the price of the third and their total quantity, so an
/// IOC buy at that price for that quantity fills in several trades.
func sweepLevels(_ venue: SimVenue) -> (price: Int64, quantity: Int64, prices: Set<Int64>) {
    let asks = venue.books[0].engine.depth(.sell, levels: 3)
    return (asks.last!.price.raw, asks.reduce(0) { $0 + $1.quantity.raw }, Set(asks.map(\.price.raw)))
}

/// A decimal text at `scale` as raw (tests).
func raw(_ text: Any?, _ scale: Int) throws -> Int64 { try FixedPoint.parse(text as? String ?? "", scale: scale) }

@Suite("Trade history: each venue lists an order's trades as its user stream reported them; an unknown order as the venue answers it", .serialized)
struct TradeHistoryTests {
    @Test("Binance myTrades (REST and WebSocket API): an IOC through three levels lists exactly the FULL response's fills; an unknown orderId none")
    func binance() throws {
        let desk = try BinanceOrderDesk()
        let sweep = sweepLevels(desk.venue)
        let (_, placed, text) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=\(FixedPoint.string(sweep.quantity, scale: 8))&price=\(BinanceOrderDesk.price(sweep.price))&newOrderRespType=FULL")
        let fills = placed["fills"] as? [[String: Any]] ?? []
        #expect(fills.count >= 3, "\(text)")
        let id = placed["orderId"] as? Int ?? -1
        let (status, _, listed) = desk.call("GET", "/api/v3/myTrades", "symbol=BTCUSDT&orderId=\(id)")
        let trades = (try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]]) ?? []
        #expect(status == 200 && trades.count == fills.count, "\(listed)")
        #expect(trades.map { $0["id"] as? Int } == fills.map { $0["tradeId"] as? Int })
        for (t, f) in zip(trades, fills) {
            #expect(t["price"] as? String == f["price"] as? String && t["qty"] as? String == f["qty"] as? String && t["commission"] as? String == f["commission"] as? String)
            #expect(t["orderId"] as? Int == id && t["isBuyer"] as? Bool == true && t["isMaker"] as? Bool == false && t["commissionAsset"] as? String == "USDT")
        }
        #expect(listed.hasPrefix(#"[{"symbol":"BTCUSDT","id":"#) && listed.contains(#""orderListId":-1,"price":"#), "fields in the documented order")
        let (_, _, none) = desk.call("GET", "/api/v3/myTrades", "symbol=BTCUSDT&orderId=999999")
        #expect(none == "[]")
        let (s2, missing, _) = desk.call("GET", "/api/v3/myTrades", "orderId=\(id)")
        #expect(s2 == 400 && missing["code"] as? Int == -1102)
        // The WebSocket API answers myTrades with the same list.
        let ws = try TestClient(port: desk.venue.port, path: "/ws-api/v3")
        var params = "apiKey=\(BinanceOrderDesk.key)&orderId=\(id)&symbol=BTCUSDT&timestamp=\(WallClock.now().raw / 1_000_000)"
        let signature = BinanceSigning.signature(secret: Array(BinanceOrderDesk.secret.utf8), payload: Array(params.utf8))
        params = #"{"apiKey":"\#(BinanceOrderDesk.key)","orderId":\#(id),"symbol":"BTCUSDT","timestamp":\#(WallClock.now().raw / 1_000_000),"signature":"\#(signature)"}"#
        let answer = json(ws.request(desk.sim, #"{"id":"t1","method":"myTrades","params":\#(params)}"#).first ?? "")
        #expect((answer["result"] as? [[String: Any]])?.map { $0["id"] as? Int } == fills.map { $0["tradeId"] as? Int }, "\(answer)")
    }

    @Test("OKX trade/fills: one orders push per fill with its own fee; the fills list those trades, fees adding up to the order's; an unknown ordId none")
    func okx() throws {
        let desk = try OKXDesk()
        let sweep = sweepLevels(desk.venue)
        let (_, placed, text) = desk.call("POST", "/api/v5/trade/order", body: #"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"ioc","sz":"\#(FixedPoint.string(sweep.quantity, scale: 8))","px":"\#(OKXDesk.price(sweep.price))","clOrdId":"sweep1"}"#)
        let ordId = OKXDesk.first(placed)["ordId"] as? String ?? ""
        #expect(!ordId.isEmpty, "\(text)")
        let (_, listed, listText) = desk.call("GET", "/api/v5/trade/fills?instType=SPOT&instId=BTC-USDT&ordId=\(ordId)")
        let fills = listed["data"] as? [[String: Any]] ?? []
        #expect(listed["code"] as? String == "0" && fills.count >= 3, "\(listText)")
        #expect(Set(fills.compactMap { $0["tradeId"] as? String }).count == fills.count)
        #expect(try fills.reduce(0) { $0 + (try raw($1["fillSz"], 8)) } == sweep.quantity)
        #expect(try fills.allSatisfy { sweep.prices.contains(try raw($0["fillPx"], 1)) && $0["execType"] as? String == "T" && $0["clOrdId"] as? String == "sweep1" })
        let (_, order, _) = desk.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=\(ordId)")
        #expect(try fills.reduce(0) { $0 + (try raw($1["fee"], 9)) } == (try raw(OKXDesk.first(order)["fee"], 9)), "the fills' fees are the order's")
        #expect(listText.contains(#"{"instType":"SPOT","instId":"BTC-USDT","tradeId":"#), "fields in the documented order")
        let (_, none, _) = desk.call("GET", "/api/v5/trade/fills?instType=SPOT&instId=BTC-USDT&ordId=1")
        #expect(none["code"] as? String == "0" && (none["data"] as? [Any])?.isEmpty == true)
    }

    @Test("Bybit execution/list: the executions of an IOC through three levels, by orderId and orderLinkId, fees in feeCurrency adding up to cumExecFee")
    func bybit() throws {
        let desk = try BybitDesk()
        try desk.venue.deposit(account: 1, ["USDT": "5000000"])
        let sweep = sweepLevels(desk.venue)
        let (_, placed, text) = desk.create(#""side":"Buy","orderType":"Limit","qty":"\#(FixedPoint.string(sweep.quantity, scale: 6))","price":"\#(BybitDesk.price(sweep.price))","timeInForce":"IOC","orderLinkId":"sweep-1""#)
        let orderId = (placed["result"] as? [String: Any])?["orderId"] as? String ?? ""
        #expect(!orderId.isEmpty, "\(text)")
        let (_, listed, listText) = desk.call("GET", "/v5/execution/list", query: "category=spot&symbol=BTCUSDT&orderId=\(orderId)")
        let list = (listed["result"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(listed["retCode"] as? Int == 0 && list.count >= 3, "\(listText)")
        #expect(try list.reduce(0) { $0 + (try raw($1["execQty"], 6)) } == sweep.quantity)
        #expect(list.allSatisfy { $0["feeCurrency"] as? String == "USDT" && $0["orderLinkId"] as? String == "sweep-1" && $0["isMaker"] as? Bool == false })
        let ids = list.compactMap { ($0["execId"] as? String).flatMap { Int($0) } }
        #expect(ids == ids.sorted(by: >), "newest first")
        let (_, order, _) = desk.call("GET", "/v5/order/realtime", query: "category=spot&symbol=BTCUSDT&orderId=\(orderId)")
        let cum = ((order["result"] as? [String: Any])?["list"] as? [[String: Any]])?.first?["cumExecFee"]
        #expect(try list.reduce(0) { $0 + (try raw($1["execFee"], 8)) } == (try raw(cum, 8)))
        let (_, byLink, _) = desk.call("GET", "/v5/execution/list", query: "category=spot&orderLinkId=sweep-1")
        #expect(((byLink["result"] as? [String: Any])?["list"] as? [[String: Any]])?.count == list.count)
        let (_, none, _) = desk.call("GET", "/v5/execution/list", query: "category=spot&orderId=42")
        #expect(none["retCode"] as? Int == 0 && ((none["result"] as? [String: Any])?["list"] as? [Any])?.isEmpty == true)
    }

    @Test("Kraken: QueryOrders with trades=true names the trade txids, QueryTrades gives their fills, fees adding up to the order's; unknown ids refused")
    func kraken() throws {
        let desk = try KrakenDesk()
        let sweep = sweepLevels(desk.venue)
        let added = desk.call("AddOrder", "pair=XBTUSD&type=buy&ordertype=limit&volume=\(FixedPoint.string(sweep.quantity, scale: 8))&price=\(KrakenDesk.price(sweep.price))&timeinforce=IOC")
        let txid = ((added["result"] as? [String: Any])?["txid"] as? [String])?.first ?? ""
        #expect(!txid.isEmpty, "\(added)")
        let orders = desk.call("QueryOrders", "txid=\(txid)&trades=true")
        let info = (orders["result"] as? [String: Any])?[txid] as? [String: Any] ?? [:]
        let tradeIds = info["trades"] as? [String] ?? []
        #expect(tradeIds.count >= 3 && tradeIds.allSatisfy { $0.hasPrefix("T") && $0.count == 19 }, "\(orders)")
        #expect(desk.call("QueryOrders", "txid=\(txid)")["result"].map { ($0 as? [String: Any])?[txid] as? [String: Any] }??["trades"] == nil, "only when asked")
        let trades = desk.call("QueryTrades", "txid=\(tradeIds.joined(separator: ","))")
        let result = trades["result"] as? [String: [String: Any]] ?? [:]
        #expect(Set(result.keys) == Set(tradeIds), "\(trades)")
        #expect(try result.values.reduce(0) { $0 + (try raw($1["vol"], 8)) } == sweep.quantity)
        #expect(try result.values.reduce(0) { $0 + (try raw($1["fee"], 9)) } == (try raw(info["fee"], 9)))
        #expect(result.values.allSatisfy { $0["ordertxid"] as? String == txid && $0["pair"] as? String == "XXBTZUSD" && $0["type"] as? String == "buy" && $0["maker"] as? Bool == false })
        #expect(KrakenDesk.errors(desk.call("QueryTrades", "txid=TAAAAA-BBBBB-CCCCCC")) == ["EOrder:Invalid order"])
        #expect(KrakenDesk.errors(desk.call("QueryOrders", "txid=OAAAAA-BBBBB-CCCCCC&trades=true")) == ["EOrder:Invalid order"])
    }

    @Test("Coinbase historical/fills: as many fills as number_of_fills, their sizes and commissions adding up to the order's; an unknown order none")
    func coinbase() throws {
        let desk = try CoinbaseDesk()
        let sweep = sweepLevels(desk.venue)
        let (_, placed, text) = try desk.order("BUY", #"{"sor_limit_ioc":{"base_size":"\#(FixedPoint.string(sweep.quantity, scale: 8))","limit_price":"\#(CoinbaseDesk.price(sweep.price))"}}"#)
        let orderId = (placed["success_response"] as? [String: Any])?["order_id"] as? String ?? ""
        #expect(!orderId.isEmpty, "\(text)")
        let (status, listed, listText) = try desk.call("GET", "/api/v3/brokerage/orders/historical/fills?order_ids=\(orderId)")
        let fills = listed["fills"] as? [[String: Any]] ?? []
        #expect(status == 200 && fills.count >= 3, "\(listText)")
        let (_, order, _) = try desk.call("GET", "/api/v3/brokerage/orders/historical/\(orderId)")
        let o = order["order"] as? [String: Any] ?? [:]
        #expect(o["number_of_fills"] as? String == String(fills.count))
        #expect(try fills.reduce(0) { $0 + (try raw($1["size"], 8)) } == (try raw(o["filled_size"], 8)))
        #expect(try fills.reduce(0) { $0 + (try raw($1["commission"], 10)) } == (try raw(o["total_fees"], 10)))
        let times = fills.compactMap { $0["sequence_timestamp"] as? String }
        #expect(times == times.sorted(by: >) && Set(times).count == times.count, "newest first, each its own sequence timestamp")
        #expect(Set(fills.compactMap { $0["trade_id"] as? String }).count == fills.count && fills.allSatisfy { $0["order_id"] as? String == orderId })
        let (_, none, _) = try desk.call("GET", "/api/v3/brokerage/orders/historical/fills?order_ids=00000000-0000-4000-8000-000000000000")
        #expect((none["fills"] as? [Any])?.isEmpty == true)
    }
}
