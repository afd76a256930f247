"""The decode peers, on the messages gantry-decode-bench wrote: orjson and pysimdjson decoding Binance depth
diffs, and nautilus_trader's L2 order book applying the same deltas (decoded with orjson). Each figure is the
median of ROUNDS rounds of COUNT messages, ns per message. Prints one JSON line per peer.

    decode_peers.py DIR [COUNT] [ROUNDS]
"""
import json
import statistics
import sys
import time

import orjson
import simdjson
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import BookOrder, OrderBookDelta
from nautilus_trader.model.enums import BookAction, BookType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity

folder = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
with open(f"{folder}/binance_diffs.jsonl", "rb") as f:
    messages = [line for line in f.read().split(b"\n") if line]
with open(f"{folder}/binance_snapshot.json", "rb") as f:
    snapshot = orjson.loads(f.read())
n = len(messages)


def measure(body):
    results = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for i in range(count):
            body(messages[i % n])
        results.append((time.perf_counter_ns() - start) / count)
    return statistics.median(results), min(results)


def report(peer, what, median, best):
    print(json.dumps({"client": peer, "test": what, "ns_per_message": round(median, 1), "best_ns": round(best, 1),
                      "messages": count, "rounds": rounds}))


# orjson: the whole message to Python objects (levels stay strings).
def orjson_decode(m):
    d = orjson.loads(m)["data"]
    return len(d["b"]) + len(d["a"])


report("orjson", "decode", *measure(orjson_decode))

# pysimdjson: parse, then read every level's two strings (its lazy proxies are materialised per access).
parser = simdjson.Parser()


def simdjson_decode(m):
    d = parser.parse(m)["data"]
    k = 0
    for side in ("b", "a"):
        for level in d[side]:
            k += len(level[0]) + len(level[1])
    return k


report("pysimdjson", "decode", *measure(simdjson_decode))

# nautilus_trader: its L2 (MBP) book; snapshot loaded, then each diff's levels applied as deltas.
instrument = InstrumentId.from_str("BTCUSDT.BINANCE")
book = OrderBook(instrument, BookType.L2_MBP)


def delta(side, price, size, sequence):
    p = Price.from_str(price)
    q = Quantity.from_str(size)
    action = BookAction.DELETE if q.as_double() == 0 else BookAction.UPDATE
    return OrderBookDelta(instrument, action, BookOrder(side, p, q, 0), 0, sequence, 0, 0)


for price, size in snapshot["bids"]:
    book.apply_delta(delta(OrderSide.BUY, price, size, 1))
for price, size in snapshot["asks"]:
    book.apply_delta(delta(OrderSide.SELL, price, size, 1))
decoded = [orjson.loads(m)["data"] for m in messages]
prepared = [[delta(OrderSide.BUY, p, q, d["u"]) for p, q in d["b"]] + [delta(OrderSide.SELL, p, q, d["u"]) for p, q in d["a"]]
            for d in decoded]
k = 0


def apply_only(_m):
    global k
    for dl in prepared[k % n]:
        book.apply_delta(dl)
    k += 1


report("nautilus_trader", "book apply (deltas prebuilt)", *measure(apply_only))


def decode_and_apply(m):
    d = orjson.loads(m)["data"]
    u = d["u"]
    for p, q in d["b"]:
        book.apply_delta(delta(OrderSide.BUY, p, q, u))
    for p, q in d["a"]:
        book.apply_delta(delta(OrderSide.SELL, p, q, u))


report("nautilus_trader", "decode (orjson) + deltas + book apply", *measure(decode_and_apply))
best_bid, best_ask = book.best_bid_price(), book.best_ask_price()
assert best_bid < best_ask, "the peer's book crossed"
