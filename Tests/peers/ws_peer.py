"""An independent WebSocket peer for Gantry's conformance tests: the Python `websockets` library.

    ws_peer.py server [--tls CERT KEY]

prints the port it listens on, then serves until stdin closes. Each connection echoes every message, and
answers a few text commands:
  "fragmented"  -> sends "frag" "men" "ted" as one fragmented text message
  "ping"        -> pings the client, waits for its pong, then sends "pong-ok"
  "close"       -> closes with 4001 "bye"
  "big N"       -> sends a binary message of N bytes (byte i = i % 251)
"""
import asyncio
import ssl
import sys

from websockets.asyncio.server import serve


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
    async with serve(handler, "127.0.0.1", 0, ssl=context, compression=None, max_size=2**24) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


asyncio.run(main())
