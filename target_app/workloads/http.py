"""A call to an external API through one shared, pooled client (sync and async)."""

from __future__ import annotations

import httpx


class HttpWork:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.url = base_url.rstrip("/") + "/delay"
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        self.client = httpx.Client(timeout=timeout_s, limits=limits)
        self.async_client = httpx.AsyncClient(timeout=timeout_s, limits=limits)

    def run_sync(self, ms: float) -> int:
        response = self.client.get(self.url, params={"ms": ms})
        response.raise_for_status()
        return response.status_code

    async def run_async(self, ms: float) -> int:
        response = await self.async_client.get(self.url, params={"ms": ms})
        response.raise_for_status()
        return response.status_code

    async def close(self) -> None:
        await self.async_client.aclose()
        self.client.close()
