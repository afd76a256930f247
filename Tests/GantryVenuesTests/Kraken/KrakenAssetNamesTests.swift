import GantryVenues
import Testing

@Suite("Kraken asset names: the legacy X/Z names and XBT/XDG made common, every other name kept, suffixes kept apart")
struct KrakenAssetNamesTests {
    @Test(
        "Kraken's names in Balance map to the configuration's",
        arguments: [
            ("XXBT", "BTC"), ("XBT", "BTC"), ("ZUSD", "USD"), ("ZEUR", "EUR"), ("ZGBP", "GBP"), ("ZJPY", "JPY"), ("ZCAD", "CAD"), ("ZAUD", "AUD"),
            ("XETH", "ETH"), ("XXDG", "DOGE"), ("XXRP", "XRP"), ("XXLM", "XLM"), ("XXMR", "XMR"), ("XZEC", "ZEC"), ("XLTC", "LTC"), ("XETC", "ETC"),
            ("USDT", "USDT"), ("USDC", "USDC"), ("SOL", "SOL"), ("DOT", "DOT"),
        ])
    func names(kraken: String, common: String) {
        #expect(KrakenAssetNames.common(kraken) == common)
    }

    @Test("names that merely begin with X or Z keep their letters (XTZ, ZRX, XCN); an unknown four-letter X name is not cut")
    func noGenericPrefix() {
        for name in ["XTZ", "ZRX", "XCN", "XDGX", "ZETA"] { #expect(KrakenAssetNames.common(name) == name) }
    }

    @Test("a staked, reward, yield, tokenized or held balance keeps its suffix on the mapped name, never taken for the spot balance")
    func suffixes() {
        #expect(KrakenAssetNames.common("XBT.M") == "BTC.M")
        #expect(KrakenAssetNames.common("XXBT.F") == "BTC.F")
        #expect(KrakenAssetNames.common("USD.HOLD") == "USD.HOLD")
        #expect(KrakenAssetNames.common("USDT.F") == "USDT.F")
        #expect(KrakenAssetNames.common("ETH2.S") == "ETH2.S")
        #expect(KrakenAssetNames.common("XDG.S") == "DOGE.S")
    }
}
