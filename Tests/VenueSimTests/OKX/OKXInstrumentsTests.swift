import Foundation
import GantryCore
import GantryNet
import Testing
import VenueSim

@Suite("OKX Get instruments: the public spot list with each instrument's instIdCode, as OKX documents it", .serialized)
struct OKXInstrumentsTests {
    /// An unsigned GET on the venue's REST port: (status, body as JSON, body text).
    static func get(_ sim: VenueSimulator, _ venue: SimVenue, _ target: String) -> (Int, [String: Any], String) {
        let r = rest(sim, port: venue.restPort!, "GET", target)
        let text = r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        return (r?.status ?? 0, json(text), text)
    }

    @Test("instType=SPOT lists every book, unsigned: instId, baseCcy, quoteCcy, tickSz, lotSz, minSz, state in order, instIdCode a JSON integer")
    func list() throws {
        let (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT", "ETH-USDC"], priceScale: 1, restPort: 0)
        let (status, body, text) = Self.get(sim, venue, "/api/v5/public/instruments?instType=SPOT")
        #expect(status == 200 && body["code"] as? String == "0" && body["msg"] as? String == "", "\(text)")
        let data = body["data"] as? [[String: Any]] ?? []
        #expect(data.map { $0["instId"] as? String } == ["BTC-USDT", "ETH-USDC"])
        #expect(data.map { $0["instIdCode"] as? Int } == [venue.okxInstIdCode("BTC-USDT"), venue.okxInstIdCode("ETH-USDC")])
        #expect(Set(data.compactMap { $0["instIdCode"] as? Int }).count == 2, "each instrument its own code")
        #expect(
            text.hasPrefix(
                #"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC","quoteCcy":"USDT","tickSz":"0.1","lotSz":"0.00001","minSz":"0.00001","state":"live","instIdCode":\#(venue.okxInstIdCode("BTC-USDT")!)}"#),
            "the documented fields in the documented order, the code unquoted: \(text)")
        #expect(shape(text).contains("instIdCode:n"), "instIdCode is a number, not a string")
        #expect(data[1]["baseCcy"] as? String == "ETH" && data[1]["quoteCcy"] as? String == "USDC")
    }

    @Test("instId filters to that instrument; one the venue does not list is code 51001; another instType lists nothing")
    func filter() throws {
        let (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT", "ETH-USDC"], priceScale: 1, restPort: 0)
        let (_, one, _) = Self.get(sim, venue, "/api/v5/public/instruments?instType=SPOT&instId=ETH-USDC")
        let data = one["data"] as? [[String: Any]] ?? []
        #expect(data.count == 1 && data.first?["instId"] as? String == "ETH-USDC" && data.first?["instIdCode"] as? Int == venue.okxInstIdCode("ETH-USDC"))
        let (status, missing, text) = Self.get(sim, venue, "/api/v5/public/instruments?instType=SPOT&instId=DOGE-USDT")
        #expect(status == 200 && missing["code"] as? String == "51001" && (missing["data"] as? [Any])?.isEmpty == true, "\(text)")
        #expect(missing["msg"] as? String == "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        let (_, swap, _) = Self.get(sim, venue, "/api/v5/public/instruments?instType=SWAP")
        #expect(swap["code"] as? String == "0" && (swap["data"] as? [Any])?.isEmpty == true, "the simulator lists spot only")
    }

    @Test("instType missing is HTTP 400 code 50014; an unknown one HTTP 400 code 51000")
    func refusals() throws {
        let (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT"], priceScale: 1, restPort: 0)
        let (s1, none, _) = Self.get(sim, venue, "/api/v5/public/instruments")
        #expect(s1 == 400 && none["code"] as? String == "50014" && none["msg"] as? String == "Parameter instType can not be empty.")
        let (s2, bad, _) = Self.get(sim, venue, "/api/v5/public/instruments?instType=spot")
        #expect(s2 == 400 && bad["code"] as? String == "51000" && bad["msg"] as? String == "Parameter instType error")
    }

    @Test("the listed code is the one WebSocket orders take: an IOC naming only that instIdCode fills")
    func listedCodeTrades() throws {
        let d = try OKXWSDesk()
        let (_, body, _) = Self.get(d.desk.sim, d.desk.venue, "/api/v5/public/instruments?instType=SPOT&instId=BTC-USDT")
        let code = try #require(OKXDesk.first(body)["instIdCode"] as? Int)
        let px = OKXDesk.price(d.desk.bestAsk + 30)
        let r = d.op("l1", "order", #""instIdCode":\#(code),"tdMode":"cash","side":"buy","ordType":"ioc","sz":"0.01","px":"\#(px)","clOrdId":"g00000000000000l1""#)
        #expect(r["code"] as? String == "0" && OKXDesk.first(r)["sCode"] as? String == "0", "\(r)")
        let wrong = d.op("l2", "order", #""instIdCode":\#(code + 7),"tdMode":"cash","side":"buy","ordType":"ioc","sz":"0.01","px":"\#(px)","clOrdId":"g00000000000000l2""#)
        #expect(OKXDesk.first(wrong)["sCode"] as? String == "51001", "a code the venue does not list names no instrument")
    }
}
