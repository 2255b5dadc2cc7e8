"""The one HTTP client for every call Lazo makes (pushes to contact centres, platform API fetches).

- **Vetted at connect time.** Its network backend resolves the host itself, vets every address
  it gets (shared.egress) and connects to a vetted address, so a name that answers differently
  the second time (DNS rebinding) gains nothing; TLS still verifies the certificate against the
  host *name*. A refusal is `RefusedTarget`, before any byte is sent.
- **No redirects**, no proxies from the environment (a proxy would connect on our behalf).
- **Bounded**: a total deadline per exchange (a server that drip-feeds is a timeout too), and at
  most `max_bytes` of an answer are read: the body is streamed and reading stops there (the
  rest is never taken off the socket). Compressed answers are not asked for; a gzip or deflate
  one is inflated to the same bound at most.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import typing
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpcore
import httpx

from shared.egress import Egress, url_problem

Resolver = Callable[[str, int], Awaitable[list[str]]]


class RefusedTarget(httpx.TransportError):
    """The call would reach an address Lazo must not call; nothing was sent."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a name, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


async def resolve_and_vet(
    host: str, port: int, egress: Egress, resolver: Resolver, timeout_s: float | None
) -> list[str]:
    """The addresses to connect to, every one of them vetted; RefusedTarget when the name or any of
    its addresses is refused (a name that also points inward is not trusted for its other answers)."""
    why = egress.host_refusal(host)
    if why:
        raise RefusedTarget(f"refused: {why}")
    try:
        async with asyncio.timeout(timeout_s):
            addresses = await resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    for address in addresses:
        why = egress.address_refusal(address.split("%", 1)[0])
        if why:
            raise RefusedTarget(
                f"refused: {host} resolves to {address}: {why}" if address != host else f"refused: {why}"
            )
    return addresses


class VettingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, but every TCP connection goes to an address vetted just now."""

    def __init__(self, egress: Egress, resolver: Resolver = system_resolver):
        self._egress = egress
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_and_vet(host, port, self._egress, self._resolver, timeout)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedTarget("refused: Lazo makes no calls over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _VettingTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on the vetting backend (httpx takes no backend argument yet, so the pool
    it would use is replaced by the same pool on our backend)."""

    def __init__(self, backend: VettingBackend, ssl_context: ssl.SSLContext, limits: httpx.Limits):
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: httpx.Headers
    body: bytes  # at most max_bytes
    complete: bool  # False: the answer was longer than max_bytes (or undecodable) and was cut

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


class OutboundClient:
    def __init__(
        self,
        egress: Egress,
        *,
        timeout_s: float,
        user_agent: str,
        max_bytes: int = 1 << 20,
        resolver: Resolver = system_resolver,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.egress = egress
        self.max_bytes = max_bytes
        self._timeout_s = timeout_s
        transport = _VettingTransport(
            VettingBackend(egress, resolver),
            ssl_context or httpx.create_ssl_context(),
            httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": user_agent, "accept-encoding": "identity"},
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        max_bytes: int | None = None,
    ) -> Reply:
        """One exchange within the timeout; raises httpx.HTTPError (RefusedTarget included) or
        TimeoutError for what the network or the target does, never more than `max_bytes` read."""
        why = url_problem(url, self.egress)  # and again at connect, for every address the name has then
        if why:
            raise RefusedTarget(f"refused: {why}")
        limit = self.max_bytes if max_bytes is None else max_bytes
        async with asyncio.timeout(self._timeout_s + 1):
            async with self._http.stream(method, url, headers=headers, content=content) as response:
                body, complete = await _read_capped(response, limit)
        return Reply(response.status_code, response.headers, body, complete)

    async def aclose(self) -> None:
        await self._http.aclose()


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", False  # not worth a byte: we would stop reading anyway
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw, True
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return b"", False
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        body = inflate.decompress(raw, limit + 1)
    except zlib.error:
        return b"", False
    return (body, True) if len(body) <= limit and not inflate.unconsumed_tail else (b"", False)


async def target_refusal(
    url: str, egress: Egress, *, resolver: Resolver = system_resolver, timeout_s: float = 2.0
) -> str | None:
    """Why a URL about to be stored must be refused now (its host, or what its name resolves to
    today), or None. A name that cannot be resolved now passes: it is vetted again at each connect."""
    why = url_problem(url, egress)
    if why:
        return why
    parsed = httpx.URL(url)
    try:
        await resolve_and_vet(
            parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80), egress, resolver, timeout_s
        )
    except RefusedTarget as exc:
        return str(exc).removeprefix("refused: ")
    except (httpcore.ConnectError, httpcore.ConnectTimeout):
        return None
    return None
