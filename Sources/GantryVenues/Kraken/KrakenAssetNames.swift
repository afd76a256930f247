// Kraken's asset names in its REST answers (Balance, BalanceEx, Ledgers, Assets) and the common names the
// configuration uses. Facts from docs.kraken.com (api-reference/market-data/get-asset-info, account-data/
// get-account-balance) and support.kraken.com ("API symbols and tickers", "Bitcoin currency code: XBT vs BTC"):
// - the assets Kraken listed first keep a legacy four-letter name, X-prefixed for crypto and Z-prefixed for fiat
//   (XXBT, XETH, XXDG, ZUSD, ZEUR, …), whose `altname` drops the prefix (XBT, ETH, XDG, USD, EUR); every later
//   asset is named plainly (USDT, SOL, DOT), and some of those begin with X or Z too (XTZ, ZRX): no prefix is
//   stripped but the listed ones';
// - Kraken names Bitcoin XBT and Dogecoin XDG in its API; elsewhere they are BTC and DOGE;
// - a suffix marks a balance that is not the spot wallet's: `.S` staked, `.M` opt-in rewards, `.B` yield-bearing,
//   `.F` earning in Kraken Rewards, `.T` tokenized, `.HOLD` held (e.g. "XBT.M", "USDT.F", "USD.HOLD"); these are
//   read-only, traded through the base asset.

/// Maps Kraken's REST asset names to the common names the configuration uses.
public enum KrakenAssetNames {
    /// The legacy X/Z-prefixed names and their altnames (the Assets endpoint's `altname`).
    static let legacy: [String: String] = [
        "XETC": "ETC", "XETH": "ETH", "XLTC": "LTC", "XMLN": "MLN", "XREP": "REP", "XXBT": "XBT", "XXDG": "XDG", "XXLM": "XLM",
        "XXMR": "XMR", "XXRP": "XRP", "XZEC": "ZEC", "ZAUD": "AUD", "ZCAD": "CAD", "ZCHF": "CHF", "ZEUR": "EUR", "ZGBP": "GBP",
        "ZJPY": "JPY", "ZUSD": "USD",
    ]

    /// Kraken's own names where the common name differs (after the legacy prefix is dropped).
    static let renamed: [String: String] = ["XBT": "BTC", "XDG": "DOGE"]

    /// The common name of a Kraken asset name: a legacy name without its prefix ("XXBT" → "BTC", "ZUSD" → "USD"),
    /// XBT as BTC and XDG as DOGE, any other name as it is ("USDT", "XTZ"). A suffix stays on the mapped name
    /// ("XBT.M" → "BTC.M", "USD.HOLD" → "USD.HOLD"), so a staked or reward balance is never taken for the spot one.
    public static func common(_ kraken: String) -> String {
        let dot = kraken.firstIndex(of: ".") ?? kraken.endIndex
        let base = String(kraken[..<dot])
        let altname = legacy[base] ?? base
        return (renamed[altname] ?? altname) + kraken[dot...]
    }
}
