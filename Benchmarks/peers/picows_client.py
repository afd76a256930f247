"""picows, measured the way gantry-net-bench measures Gantry: same server, same messages, same CPU.

    picows_client.py throughput --port P [--ca FILE] [--count 200000] [--cpu 0]
    picows_client.py rtt --port P [--count 20000] [--size 64] [--cpu 0]

Prints one JSON line. Runs on uvloop when it is installed (as picows' own benchmarks do).
"""
import argparse
import asyncio
import json
import os
import ssl
import time

from picows import WSListener, WSMsgType, ws_connect

try:
    import uvloop
except ImportError:  # pragma: no cover - the install script installs it
    uvloop = None


class Stream(WSListener):
    """Counts the messages of one stream request until `done`."""

    def __init__(self, count):
        self.count = count
        self.messages = 0
        self.bytes = 0
        self.start = 0.0
        self.seconds = 0.0
        self.finished = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport):
        self.start = time.perf_counter()
        transport.send(WSMsgType.TEXT, b"stream %d" % self.count)

    def on_ws_frame(self, transport, frame):
        if frame.msg_type != WSMsgType.TEXT:
            return
        payload = frame.get_payload_as_memoryview()
        if len(payload) == 4 and payload == b"done":
            self.seconds = time.perf_counter() - self.start
            if not self.finished.done():
                self.finished.set_result(None)
            return
        self.messages += 1
        self.bytes += len(payload)


class Echo(WSListener):
    """Sends a message, waits for its echo, records the round trip."""

    def __init__(self, count, size, warmup):
        self.payload = bytes(0x61 + i % 26 for i in range(size))
        self.count = count
        self.warmup = warmup
        self.samples = []
        self.sent_at = 0
        self.received = 0
        self.finished = asyncio.get_running_loop().create_future()

    def send(self, transport):
        self.sent_at = time.perf_counter_ns()
        transport.send(WSMsgType.BINARY, self.payload)

    def on_ws_connected(self, transport):
        self.send(transport)

    def on_ws_frame(self, transport, frame):
        if frame.msg_type != WSMsgType.BINARY:
            return
        now = time.perf_counter_ns()
        if self.received >= self.warmup:
            self.samples.append(now - self.sent_at)
        self.received += 1
        if self.received >= self.count + self.warmup:
            if not self.finished.done():
                self.finished.set_result(None)
            return
        self.send(transport)


def percentile(sorted_ns, p):
    index = min(len(sorted_ns) - 1, max(0, int(round(p / 100 * len(sorted_ns) + 0.5)) - 1))
    return round(sorted_ns[index] / 1000, 2)


async def throughput(args):
    context = None
    url = f"ws://127.0.0.1:{args.port}/"
    if args.ca:
        context = ssl.create_default_context(cafile=args.ca)
        url = f"wss://localhost:{args.port}/"
    result = None
    for n in (min(args.count, 20_000), args.count):  # warm-up, then the measured run
        transport, listener = await ws_connect(lambda: Stream(n), url, ssl_context=context, max_frame_size=1 << 20)
        await listener.finished
        transport.disconnect()
        await transport.wait_disconnected()
        result = listener
    if result.messages != args.count:
        raise SystemExit(f"picows received {result.messages} of {args.count} messages")
    return {
        "client": "picows",
        "test": "throughput",
        "transport": "tls" if args.ca else "plain",
        "messages": result.messages,
        "bytes": result.bytes,
        "seconds": result.seconds,
        "msgs_per_s": int(result.messages / result.seconds),
        "mb_per_s": result.bytes / result.seconds / 1e6,
        "cpu": args.cpu,
    }


async def rtt(args):
    warmup = min(2_000, args.count // 10)
    transport, listener = await ws_connect(
        lambda: Echo(args.count, args.size, warmup), f"ws://127.0.0.1:{args.port}/"
    )
    await listener.finished
    transport.disconnect()
    await transport.wait_disconnected()
    samples = sorted(listener.samples)
    return {
        "client": "picows",
        "test": "rtt",
        "mode": "epoll",
        "count": args.count,
        "size": args.size,
        "p50_us": percentile(samples, 50),
        "p99_us": percentile(samples, 99),
        "p999_us": percentile(samples, 99.9),
        "max_us": round(samples[-1] / 1000, 2),
        "cpu": args.cpu,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("test", choices=["throughput", "rtt"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca")
    parser.add_argument("--count", type=int)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)))
    args = parser.parse_args()
    if args.count is None:
        args.count = 200_000 if args.test == "throughput" else 20_000
    os.sched_setaffinity(0, {args.cpu})
    run = throughput if args.test == "throughput" else rtt
    if uvloop is not None:
        result = uvloop.run(run(args))
    else:
        result = asyncio.run(run(args))
    result["loop"] = "uvloop" if uvloop is not None else "asyncio"
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
