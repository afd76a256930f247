import GantryCore

// What every venue's trade-history decoder shares: a trade as a fill update, the order and instrument taken from
// the request when the answer does not name them, and the venue's refusal as `DecodeError.venue`.

extension OrderFields {
    /// A trade of a trade-history answer as `decodeTrades` hands it out: status `.partiallyFilled` (a trade says
    /// nothing of the order's state), no cumulative quantity, the client order id of the request in `context`
    /// where the answer has none.
    /// - Throws: `.missingField` for a trade without a quantity, and what `update` throws.
    func trade(venue: VenueId, instruments: OrderInstruments, _ context: ReplyContext, defaultFeeAsset: FeeAsset = .quote) throws(DecodeError) -> OrderUpdate {
        guard let quantity = lastQuantity, !quantity.isEmpty, !Self.isZero(quantity) else { throw .missingField("trade quantity") }
        var f = self
        f.status = .partiallyFilled
        f.cumulativeQuantity = nil
        f.orderQuantity = nil
        f.leavesQuantity = nil
        let request = context.request
        var u = try f.update(venue: venue, instruments: instruments, defaultFeeAsset: defaultFeeAsset, fallback: request?.instrument ?? .none)
        if u.report.clientOrderId.raw == 0, let request { u.report.clientOrderId = request.clientOrderId }
        return u
    }
}

extension ReplyContext {
    /// The venue's refusal of the request this context describes, as `decodeTrades` throws it.
    func refusal(requestId: UInt64 = 0, code: Int64, httpStatus: Int? = nil, message: UnsafeRawBufferPointer?) -> DecodeError {
        let request = self.request
        let status: Int
        if let httpStatus { status = httpStatus } else if case .rest(_, let s) = self { status = s } else { status = 0 }
        return .venue(
            VenueOrderError(
                requestId: requestId != 0 ? requestId : request?.requestId ?? 0,
                clientOrderId: request.flatMap { $0.clientOrderId.raw == 0 ? nil : $0.clientOrderId }, code: code, httpStatus: status,
                message: message))
    }

    /// The HTTP status of a REST answer (200 for a WebSocket one).
    var httpStatus: Int {
        if case .rest(_, let s) = self { return s }
        return 200
    }
}
