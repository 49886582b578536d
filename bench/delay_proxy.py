#!/usr/bin/env python3
"""A TCP proxy on loopback that delays every byte by half a round trip in each direction.

Usage: bench/delay_proxy.py LISTEN_HOST:PORT TARGET_HOST:PORT RTT_MS

Both legs are loopback sockets, so TCP's own window never limits: what a client sees is a link
of RTT_MS round trip with no bandwidth cap, where only the application's flow control (HTTP/2
stream and connection windows for gRPC) decides the throughput, as over a real WAN with large
socket buffers. Data waits in the proxy's queue until its due time, so up to bandwidth x delay
bytes are in flight. Runs until killed.
"""
import asyncio
import collections
import sys
import time


async def pump(reader, writer, delay):
    queue = collections.deque()
    arrived = asyncio.Event()
    done = False

    async def read():
        nonlocal done
        try:
            while True:
                data = await reader.read(256 * 1024)
                if not data:
                    break
                queue.append((time.monotonic() + delay, data))
                arrived.set()
        except (ConnectionError, OSError):
            pass
        done = True
        arrived.set()

    async def write():
        try:
            while True:
                while not queue:
                    if done:
                        return
                    arrived.clear()
                    await arrived.wait()
                due, data = queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.write_eof()
            except (ConnectionError, OSError, RuntimeError):
                pass

    await asyncio.gather(read(), write())


async def main():
    listen, target, rtt_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    lhost, lport = listen.rsplit(":", 1)
    thost, tport = target.rsplit(":", 1)
    delay = rtt_ms / 2000.0

    async def serve(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(thost, int(tport))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, delay), pump(server_reader, client_writer, delay))
        client_writer.close()
        server_writer.close()

    server = await asyncio.start_server(serve, lhost, int(lport))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
