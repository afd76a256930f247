import GantryCore

// OKX v5 public data "Get instruments", as documented (public-data-rest-api-get-instruments, the error codes):
// `GET /api/v5/public/instruments?instType=SPOT[&instId=…]`, public (unsigned), answered
// `{"code":"0","msg":"","data":[{instType, instId, …, baseCcy, quoteCcy, …, tickSz, lotSz, minSz, …, state, …,
// instIdCode}]}`; `instIdCode` is an integer (a JSON number, not a string), the code WebSocket order operations
// take in place of `instId`; `instType` missing is HTTP 400 code 50014 "Parameter instType can not be empty.", an
// unknown one HTTP 400 code 51000 "Parameter instType error"; an `instId` the venue does not list is code 51001.
//
// Simplifications, stated: the simulator lists spot only (any other instrument type is answered with no
// instruments); each item carries the fields a spot client reads (instType, instId, baseCcy, quoteCcy, tickSz,
// lotSz, minSz, state, instIdCode) in the documented order, not the derivatives' and limits' fields; every
// instrument is `live`; the minimum order size is one lot (as the matching engine takes it).
extension SimVenue {
    /// The instrument ID code the simulator gives `symbol` (OKX's `instIdCode`), nil if the venue does not list it.
    public func okxInstIdCode(_ symbol: String) -> Int? { book(symbol).map(okxInstIdCode(book:)) }

    /// The instIdCode of the venue's book at index `i`.
    func okxInstIdCode(book i: Int) -> Int { 1_000_000 + i }

    /// `GET /api/v5/public/instruments`: the venue's spot instruments, or the one `instId` names.
    func okxInstruments(_ request: SimHTTPRequest) -> SimHTTPResponse {
        let p = request.parameters
        guard let type = p["instType"], !type.isEmpty else {
            return SimHTTPResponse(status: 400, json: #"{"code":"50014","msg":"Parameter instType can not be empty.","data":[]}"#)
        }
        guard ["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS"].contains(type) else {
            return SimHTTPResponse(status: 400, json: #"{"code":"51000","msg":"Parameter instType error","data":[]}"#)
        }
        var listed = type == "SPOT" ? Array(books.indices) : []
        if let instId = p["instId"], !instId.isEmpty {
            guard let i = book(instId), type == "SPOT" else {
                return SimHTTPResponse(status: 200, json: #"{"code":"51001","msg":"Instrument ID, Instrument ID code or Spread ID doesn't exist.","data":[]}"#)
            }
            listed = [i]
        }
        var w = SimWriter(capacity: 256 * (listed.count + 1))
        w.raw(#"{"code":"0","msg":"","data":["#)
        for (k, i) in listed.enumerated() {
            let inst = books[i].instrument
            if k > 0 { w.raw(",") }
            w.raw(#"{"instType":"SPOT","instId":"#)
            w.quoted(inst.symbol)
            w.raw(#","baseCcy":"#)
            w.quoted(inst.baseAsset)
            w.raw(#","quoteCcy":"#)
            w.quoted(inst.quoteAsset)
            w.raw(#","tickSz":""#)
            w.decimal(inst.tick, scale: inst.priceScale, trim: true)
            w.raw(#"","lotSz":""#)
            w.decimal(inst.lot, scale: inst.quantityScale, trim: true)
            w.raw(#"","minSz":""#)
            w.decimal(inst.lot, scale: inst.quantityScale, trim: true)
            w.raw(#"","state":"live","instIdCode":"#)
            w.int(okxInstIdCode(book: i))
            w.raw("}")
        }
        w.raw("]}")
        return SimHTTPResponse(status: 200, json: String(decoding: w.bytes, as: UTF8.self))
    }
}
