import Foundation
import GantryVenues
import Testing
import VenueSim

@Suite("Binance SIGNED requests: HMAC-SHA256 as documented, timing window, error codes")
struct BinanceAuthTests {
    // The example of Binance's request-security documentation.
    static let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    static let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    static let expected = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    static let key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"

    let auth = BinanceAuth([BinanceCredentials(apiKey: key, secret: secret, account: 7)])

    @Test("the documented signature, in the query string, in the body, or split between them")
    func documentedExample() {
        #expect(BinanceSigning.signature(secret: Array(Self.secret.utf8), payload: Array(Self.query.utf8)) == Self.expected)
        let now: Int64 = 1_499_827_319_600
        let inQuery = auth.verify(query: Self.query + "&signature=" + Self.expected, body: "", apiKey: Self.key, serverTimeMs: now)
        #expect((try? inQuery.get())?.account == 7)
        #expect((try? inQuery.get())?.parameters["price"] == "0.1")
        let inBody = auth.verify(query: "", body: Self.query + "&signature=" + Self.expected, apiKey: Self.key, serverTimeMs: now)
        #expect((try? inBody.get())?.parameters["symbol"] == "LTCBTC")
        // Mixed: the signature is over the query string then the body, with no '&' between them.
        let q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
        let b = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        let mixed = BinanceSigning.signature(secret: Array(Self.secret.utf8), payload: Array((q + b).utf8))
        #expect(mixed == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77")
        #expect((try? auth.verify(query: q, body: b + "&signature=" + mixed, apiKey: Self.key, serverTimeMs: now).get()) != nil)
        // Hex case does not matter.
        #expect((try? auth.verify(query: Self.query + "&signature=" + Self.expected.uppercased(), body: "", apiKey: Self.key, serverTimeMs: now).get()) != nil)
    }

    @Test("each refusal has Binance's code, message and HTTP status")
    func refusals() {
        let now: Int64 = 1_499_827_319_600
        let signed = Self.query + "&signature=" + Self.expected
        func code(_ r: Result<BinanceSignedRequest, BinanceAPIError>) -> Int? {
            if case .failure(let e) = r { return e.code }
            return nil
        }
        #expect(code(auth.verify(query: signed, body: "", apiKey: nil, serverTimeMs: now)) == -2014)
        #expect(code(auth.verify(query: signed, body: "", apiKey: "unknownKey123", serverTimeMs: now)) == -2015)
        #expect(code(auth.verify(query: Self.query, body: "", apiKey: Self.key, serverTimeMs: now)) == -1102)
        // One byte of the payload changed.
        #expect(code(auth.verify(query: signed.replacingOccurrences(of: "price=0.1", with: "price=0.2"), body: "", apiKey: Self.key, serverTimeMs: now)) == -1022)
        // 1000 ms or more ahead of the server is refused; exactly the window behind is still accepted.
        #expect(code(auth.verify(query: signed, body: "", apiKey: Self.key, serverTimeMs: 1_499_827_318_559)) == -1021)
        #expect(code(auth.verify(query: signed, body: "", apiKey: Self.key, serverTimeMs: 1_499_827_318_560)) == nil)
        #expect(code(auth.verify(query: signed, body: "", apiKey: Self.key, serverTimeMs: 1_499_827_324_559)) == nil)
        #expect(code(auth.verify(query: signed, body: "", apiKey: Self.key, serverTimeMs: 1_499_827_324_560)) == -1021)
        let wide = "symbol=LTCBTC&recvWindow=60001&timestamp=1499827319559"
        let wideSig = BinanceSigning.signature(secret: Array(Self.secret.utf8), payload: Array(wide.utf8))
        #expect(code(auth.verify(query: wide + "&signature=" + wideSig, body: "", apiKey: Self.key, serverTimeMs: now)) == -1131)
        if case .failure(let e) = auth.verify(query: signed.replacingOccurrences(of: "price=0.1", with: "price=0.2"), body: "", apiKey: Self.key, serverTimeMs: now) {
            #expect(e.status == 400 && e.json == #"{"code":-1022,"msg":"Signature for this request is not valid."}"#)
        }
    }
}
