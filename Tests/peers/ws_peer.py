"""An independent WebSocket peer for Gantry's conformance tests: the Python `websockets` library.

    ws_peer.py server [--tls CERT KEY] [--compress]

prints the port it listens on, then serves until stdin closes. Each connection echoes every message, and
answers a few text commands:
  "fragmented"  -> sends "frag" "men" "ted" as one fragmented text message
  "ping"        -> pings the client, waits for its pong, then sends "pong-ok"
  "close"       -> closes with 4001 "bye"
  "big N"       -> sends a binary message of N bytes (byte i = i % 251)

    ws_peer.py client URL [--ca CAFILE] [--compress]

connects to an echo server (Gantry's), checks that text, a fragmented message, a 100 kB binary message and
a ping come back, closes with 1000, prints "ok" and exits 0 (non-zero with the reason otherwise).

--compress offers (client) or accepts (server) permessage-deflate (RFC 7692); the client then checks that
the server agreed to it.
"""
import asyncio
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


COMPRESSION = "deflate" if "--compress" in sys.argv else None


async def client(url, ca):
    context = None
    if ca:
        context = ssl.create_default_context(cafile=ca)
    async with connect(url, ssl=context, compression=COMPRESSION, max_size=2**24,
                       server_hostname="venue.test" if ca else None) as ws:
        if COMPRESSION:
            names = [e.name for e in ws.protocol.extensions]
            assert names == ["permessage-deflate"], f"negotiated extensions {names}"
        await ws.send("hello κόσμε")
        assert await ws.recv() == "hello κόσμε", "text echo"
        await ws.send(iter(["frag", "men", "ted"]))
        assert await ws.recv() == "fragmented", "fragmented echo"
        big = bytes(i % 251 for i in range(100_000))
        await ws.send(big)
        assert await ws.recv() == big, "binary echo"
        pong = await ws.ping(b"gantry?")
        await asyncio.wait_for(pong, 5)
        await ws.close(1000, "done")
        assert ws.close_code == 1000, f"close code {ws.close_code}"
    print("ok", flush=True)


async def handler(ws):
    async for message in ws:
        if message == "fragmented":
            await ws.send(iter(["frag", "men", "ted"]))
        elif message == "ping":
            waiter = await ws.ping(b"gantry?")
            await asyncio.wait_for(waiter, 5)
            await ws.send("pong-ok")
        elif message == "close":
            await ws.close(4001, "bye")
            return
        elif isinstance(message, str) and message.startswith("big "):
            n = int(message.split()[1])
            await ws.send(bytes(i % 251 for i in range(n)))
        else:
            await ws.send(message)


async def main():
    context = None
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    async with serve(handler, "127.0.0.1", 0, ssl=context, compression=COMPRESSION, max_size=2**24) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


if sys.argv[1] == "client":
    asyncio.run(client(sys.argv[2], sys.argv[sys.argv.index("--ca") + 1] if "--ca" in sys.argv else None))
else:
    asyncio.run(main())
