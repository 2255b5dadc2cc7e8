"""The one outbound client against real local servers: it refuses inward targets at connect time
(after its own DNS resolution, so a name that changes its answer gains nothing), follows no
redirect, stops reading a long answer, and still verifies TLS against the host name."""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.egress import Egress
from shared.outbound import OutboundClient, RefusedTarget, target_refusal
from tests.support import poll

MiB = 1 << 20


class Server:
    """A local HTTP server whose every answer is `answer(handler)`; counts connections and bytes sent."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None], tls: ssl.SSLContext | None = None):
        self.requests: list[str] = []
        self.sent = 0
        self.finished = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.owner = outer
                outer.requests.append(self.path)
                try:
                    answer(self)
                except OSError:  # the client hung up: it stopped reading
                    pass
                finally:
                    outer.finished.set()

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"

    def write(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        self.sent += len(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("content-length", "2")
    handler.end_headers()
    handler.wfile.write(b"ok")


@pytest.fixture
def servers():
    started: list[Server] = []

    def _start(answer=ok, **kw) -> Server:
        started.append(Server(answer, **kw))
        return started[-1]

    yield _start
    for s in started:
        s.close()


def resolver_of(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = table[host]
        return answer.pop(0) if answer and isinstance(answer[0], list) else answer

    return resolve


def client(allow_private: bool = False, **kw) -> OutboundClient:
    return OutboundClient(Egress(allow_private), timeout_s=5, user_agent="lazo-test", **kw)


async def test_loopback_and_names_resolving_inward_are_refused_before_anything_is_sent(servers):
    server = servers()
    http = client(
        resolver=resolver_of({"cc.example.com": ["127.0.0.1"], "twice.example.com": ["93.184.216.34", "10.0.0.7"]})
    )
    try:
        for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "cc.example.com", "twice.example.com"):
            with pytest.raises(RefusedTarget) as refused:
                await http.request("POST", server.url(host), content=b"{}")
            assert "refused" in str(refused.value), host
        assert "resolves to 127.0.0.1" in str(await _refusal(http, server.url("cc.example.com")))
    finally:
        await http.aclose()
    assert server.requests == []


async def _refusal(http: OutboundClient, url: str) -> Exception:
    try:
        await http.request("GET", url)
    except Exception as exc:  # noqa: BLE001 - the test reads the exception
        return exc
    raise AssertionError("not refused")


async def test_a_name_vetted_when_stored_is_vetted_again_at_connect_dns_rebinding(servers):
    server = servers()
    # The first answer is on the internet (when the URL is stored), the next ones point home.
    resolve = resolver_of({"rebind.example.com": [["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]]})
    url = server.url("rebind.example.com")
    assert await target_refusal(url, Egress(False), resolver=resolve) is None
    http = client(resolver=resolve)
    try:
        with pytest.raises(RefusedTarget, match="rebind.example.com resolves to 127.0.0.1"):
            await http.request("POST", url, content=b"{}")
    finally:
        await http.aclose()
    assert server.requests == []


async def test_metadata_targets_are_refused_even_with_private_targets_allowed():
    http = client(allow_private=True, resolver=resolver_of({"meta.example.com": ["169.254.169.254"]}))
    try:
        for url in (
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://[fd00:ec2::254]/",
            "http://meta.example.com/",
            "http://[::ffff:169.254.169.254]/",
        ):
            with pytest.raises(RefusedTarget):
                await http.request("GET", url)
    finally:
        await http.aclose()


async def test_the_edge_check_resolves_names_and_lets_unresolvable_ones_wait_for_connect():
    resolve = resolver_of({"home.example.com": ["192.168.0.10"], "cc.example.com": ["93.184.216.34"]})
    strict = Egress(False)
    assert "192.168.0.10" in await target_refusal("https://home.example.com/x", strict, resolver=resolve)
    assert await target_refusal("https://cc.example.com/x", strict, resolver=resolve) is None
    assert await target_refusal("https://unknown.example.com/x", strict, resolver=resolve) is None
    assert "credentials" in await target_refusal("https://u:p@cc.example.com/x", strict, resolver=resolve)
    assert await target_refusal("https://home.example.com/x", Egress(True), resolver=resolve) is None


async def test_with_private_targets_allowed_a_local_server_is_called(servers):
    server = servers()
    http = client(allow_private=True)
    try:
        reply = await http.request("POST", server.url(), content=b"{}")
        assert (reply.status_code, reply.body, reply.complete) == (200, b"ok", True)
        reply = await http.request("GET", server.url("localhost"))
        assert reply.ok
    finally:
        await http.aclose()


async def test_redirects_are_not_followed(servers):
    second = servers()

    def redirect(handler):
        handler.send_response(307)
        handler.send_header("location", second.url())
        handler.send_header("content-length", "0")
        handler.end_headers()

    first = servers(redirect)
    http = client(allow_private=True)
    try:
        reply = await http.request("POST", first.url(), content=b"{}")
    finally:
        await http.aclose()
    assert reply.status_code == 307 and first.requests == ["/hook"]
    assert second.requests == []


def stream(total: int, declare: bool):
    def answer(handler):
        handler.send_response(200)
        if declare:
            handler.send_header("content-length", str(total))
        handler.end_headers()
        chunk = b"x" * (256 << 10)
        while handler.owner.sent < total:
            handler.owner.write(handler, chunk)

    return answer


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "until-close"])
async def test_a_48_mib_answer_is_not_read_past_the_cap(servers, declare):
    server = servers(stream(48 * MiB, declare))
    http = client(allow_private=True, max_bytes=MiB)
    try:
        reply = await http.request("GET", server.url())
    finally:
        await http.aclose()
    assert reply.status_code == 200 and not reply.complete and reply.body == b""
    await poll(server.finished.is_set, timeout=30, what="the server to notice the client left")
    assert server.sent < 48 * MiB  # the client hung up long before the end


async def test_a_compressed_answer_is_inflated_to_the_cap_at_most(servers):
    bomb = gzip.compress(b"\0" * (48 * MiB))  # ~48 KiB on the wire

    def answer(handler):
        handler.send_response(200)
        handler.send_header("content-encoding", "gzip")
        handler.send_header("content-length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    server = servers(answer)
    small = gzip.compress(b'{"ok": true}')

    def fine(handler):
        handler.send_response(200)
        handler.send_header("content-encoding", "gzip")
        handler.send_header("content-length", str(len(small)))
        handler.end_headers()
        handler.wfile.write(small)

    other = servers(fine)
    http = client(allow_private=True, max_bytes=MiB)
    try:
        reply = await http.request("GET", server.url())
        assert not reply.complete and reply.body == b""
        reply = await http.request("GET", other.url())
        assert reply.complete and reply.body == b'{"ok": true}'
    finally:
        await http.aclose()


async def test_a_server_that_never_answers_times_out(servers):
    def hang(handler):
        server.finished.wait(30)

    server = servers(hang)
    http = OutboundClient(Egress(True), timeout_s=0.5, user_agent="lazo-test")
    try:
        with pytest.raises((httpx.TimeoutException, TimeoutError)):
            await http.request("POST", server.url(), content=b"{}")
    finally:
        server.finished.set()
        await http.aclose()


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


async def test_tls_is_verified_against_the_host_name_while_connecting_to_the_vetted_address(servers, tmp_path):
    cert, key = _certificate(tmp_path, "cc.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = servers(tls=tls)
    trust = ssl.create_default_context(cafile=cert)
    resolve = resolver_of({"cc.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    http = client(allow_private=True, resolver=resolve, ssl_context=trust)
    try:
        reply = await http.request("POST", server.url("cc.test", "https"), content=b"{}")
        assert reply.ok
        with pytest.raises(httpx.ConnectError, match="(?i)certificate|hostname"):
            await http.request("POST", server.url("other.test", "https"), content=b"{}")
    finally:
        await http.aclose()
    assert server.requests == ["/hook"]
