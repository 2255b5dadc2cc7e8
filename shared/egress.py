"""Where Lazo may send a request: the rules every outbound call obeys (pure, no I/O).

A manager's push subscription or an admin's platform URL must never make Lazo reach inward:
the host's own loopback, the private network around it, a cloud's metadata service. So every
address is vetted, by the edge (a 422 when a URL names one) and again by the outbound client at
connect time, after DNS, where no later change of a name's answer can slip past
(shared.outbound).

Two kinds of refusal:
- *inward* (loopback, RFC 1918, CGNAT, IPv6 ULA, local names such as `localhost` or a single
  label): refused unless `LAZO_ALLOW_PRIVATE_TARGETS` is set, for a contact centre on premises
  (and the tests' local receivers);
- *never* (cloud metadata addresses and names, link-local, multicast, unspecified, reserved and
  documentation ranges, tunnelling addresses): refused whatever the setting.
An IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4) is judged by the
IPv4 address inside it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SETTING = "LAZO_ALLOW_PRIVATE_TARGETS"

_net = ipaddress.ip_network
# Reachable only from inside: allowed with the setting.
_INWARD = tuple(_net(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
# Instance metadata services (AWS, GCP, Azure, OpenStack; ECS task metadata; Alibaba; Oracle; AWS over IPv6).
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)
METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
# Names that only ever mean this machine or its own network (RFC 6761, RFC 6762, RFC 8375, ICANN .internal).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan", ".intranet")
# Public DNS names known to answer 127.0.0.1 for themselves and every subdomain, and services that
# answer the address written in the name (10.0.0.1.nip.io, 127-0-0-1.sslip.io): judged without DNS.
_LOOPBACK_DOMAINS = ("localtest.me", "lvh.me", "vcap.me", "fuf.me", "lacolhost.com")
_ECHO_DOMAINS = ("nip.io", "sslip.io", "xip.io", "traefik.me", "backname.io")
_ECHOED = re.compile(r"(?:^|[.-])((?:\d{1,3}[.-]){3}\d{1,3})$")
_NAT64 = _net("64:ff9b::/96")
_COMPATIBLE = _net("::/96")
_TEREDO = _net("2001::/32")


@dataclass(frozen=True)
class Egress:
    """The target rules of one process. `allow_private`: LAZO_ALLOW_PRIVATE_TARGETS."""

    allow_private: bool = False

    def address_refusal(self, ip: IPAddress | str) -> str | None:
        """Why Lazo must not connect to this address, or None."""
        if isinstance(ip, str):
            ip = ipaddress.ip_address(ip)
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = self.address_refusal(inner)
            return f"{why} (inside {ip})" if why else None
        if ip in _METADATA:
            return f"{ip} is a cloud metadata address"
        if isinstance(ip, ipaddress.IPv6Address) and ip in _TEREDO:
            return f"{ip} is a tunnelling (Teredo) address"
        if ip.is_unspecified:
            return f"{ip} is the unspecified address"
        if ip.is_multicast:
            return f"{ip} is a multicast address"
        if ip.is_link_local:
            return f"{ip} is a link-local address"
        if ip.is_loopback:
            return None if self.allow_private else f"{ip} is a loopback address ({SETTING} is off)"
        if any(ip in net for net in _INWARD if net.version == ip.version):
            return None if self.allow_private else f"{ip} is a private address ({SETTING} is off)"
        if ip.is_reserved or not ip.is_global or getattr(ip, "is_site_local", False):
            return f"{ip} is a reserved address, not reachable on the internet"
        return None

    def host_refusal(self, host: str) -> str | None:
        """Why Lazo must not call this host (an IP literal or a name), judged before any DNS."""
        name = host.strip().lower().rstrip(".")
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        if not name:
            return "the URL names no host"
        try:
            return self.address_refusal(ipaddress.ip_address(name))
        except ValueError:
            pass
        if name in METADATA_HOSTS:
            return f"{name} is a cloud metadata host"
        echoed = _echoed_address(name)
        if echoed is not None:
            why = self.address_refusal(echoed)
            return f"{name} resolves to {echoed}: {why}" if why else None
        if any(name == d or name.endswith("." + d) for d in _LOOPBACK_DOMAINS):
            return None if self.allow_private else f"{name} resolves to loopback ({SETTING} is off)"
        if name == "localhost" or name.endswith(_LOCAL_SUFFIXES) or "." not in name:
            return None if self.allow_private else f"{name} is a local network name ({SETTING} is off)"
        return None

    def is_local(self, host: str) -> bool:
        """A host on this machine or its own network (and allowed only because the setting is on)."""
        return Egress(False).host_refusal(host) is not None and self.host_refusal(host) is None


def _echoed_address(name: str) -> ipaddress.IPv4Address | None:
    for domain in _ECHO_DOMAINS:
        if name.endswith("." + domain):
            found = _ECHOED.search(name[: -len(domain) - 1])
            if found:
                try:
                    return ipaddress.IPv4Address(found.group(1).replace("-", "."))
                except ValueError:
                    return None
    return None


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and not (ip.is_unspecified or ip.is_loopback)):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


# --- URLs -----------------------------------------------------------------------------------------


def url_problem(url: str, egress: Egress) -> str | None:
    """What is wrong with a URL Lazo is asked to store and call, or None: http(s), a host, no
    credentials in it, and a host the rules allow (names are resolved and vetted again at connect)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "not a valid URL"
    if parsed.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if parsed.userinfo:
        return "credentials embedded in a URL are not allowed (user:password@); send them otherwise"
    if not parsed.host:
        return "the URL names no host"
    return egress.host_refusal(parsed.host)


def host_of(url: str) -> str:
    """The host of a valid URL as the client will see it: lower case, IPv6 without brackets."""
    return httpx.URL(url).host


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL already checked to be just an origin."""
    parsed = httpx.URL(url)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}" + (f":{parsed.port}" if parsed.port else "")


def origin_problem(url: str) -> str | None:
    """A base URL must be an origin only: no path, query, fragment or credentials, so that nothing in
    it can turn the fixed path Lazo appends into a query string or lead it elsewhere."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "must be an http(s) URL with a host"
    if parsed.userinfo:
        return "credentials embedded in a URL are not allowed (user:password@)"
    if parsed.query or "?" in url:
        return "must have no query string (?…)"
    if parsed.fragment or "#" in url:
        return "must have no fragment (#…)"
    if parsed.raw_path not in (b"", b"/"):
        return "must have no path: give only the scheme and host, e.g. https://api.example.com"
    return None


class UnsafePath(ValueError):
    """A path segment that would leave the fixed path (empty, `.` or `..`)."""


def join_url(base: str, *segments: str) -> str:
    """`base` + one path segment per argument, each percent-encoded whole (`/`, `?`, `#` and `%`
    included), so no value can add a segment, a query or a fragment, or climb out of the base."""
    problem = origin_problem(base)
    if problem:
        raise UnsafePath(f"base URL {problem}")
    parts = []
    for seg in segments:
        if seg in ("", ".", ".."):
            raise UnsafePath(f"path segment {seg!r} is not allowed")
        parts.append(quote(seg, safe=""))
    origin = httpx.URL(origin_of(base))
    joined = origin.copy_with(raw_path=("/" + "/".join(parts)).encode("ascii"))
    if (
        (joined.scheme, joined.host, joined.port) != (origin.scheme, origin.host, origin.port)
        or joined.query
        or joined.fragment
    ):
        raise UnsafePath("the joined URL left its base")  # pragma: no cover - guarded above
    return str(joined)
