"""Bytes on the wire, counted by a loopback TCP proxy between a client and its server.

A client's own count is of the messages it sends and receives; WebSocket framing and
compression (permessage-deflate, which the goaltui relay accepts and the official
server does not) happen below it. The proxy counts what actually crosses the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

__all__ = ["WireCount", "counted"]


@dataclass
class WireCount:
    """TCP payload bytes each way through the proxy, every connection summed."""

    to_server: int = 0
    to_client: int = 0

    @property
    def total(self) -> int:
        return self.to_server + self.to_client


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: WireCount, way: str
) -> None:
    try:
        while data := await reader.read(65536):
            setattr(count, way, getattr(count, way) + len(data))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def counted(url: str) -> AsyncIterator[tuple[str, WireCount]]:
    """A proxy in front of ``url`` (ws://host:port/...): yields its URL and the counts."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = WireCount()
    tasks: set[asyncio.Task[None]] = set()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        pumps = [
            asyncio.ensure_future(_pump(client_r, server_w, count, "to_server")),
            asyncio.ensure_future(_pump(server_r, client_w, count, "to_client")),
        ]
        tasks.update(pumps)
        await asyncio.gather(*pumps)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    proxy_port = server.sockets[0].getsockname()[1]
    proxied = urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy_port}"))
    try:
        yield proxied, count
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
