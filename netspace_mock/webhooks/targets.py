"""Where the mock may send a webhook: http(s) only, no credentials in the URL, only to the hosts the
setting `webhook_allowed_hosts` allows (never link-local or cloud-metadata addresses unless listed by
that very address), never to the mock's own API; checked on the URL text, on its resolved addresses,
and again by the HTTP client on every call, since a name may resolve differently later."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from netspace_mock.errors import InvalidRequest
from netspace_mock.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

WALLET_PATH = "/operator/webhook"  # the built-in reference wallet: the one path of the mock a webhook may use
# Link-local (169.254/16 holds the cloud metadata services), the unspecified addresses (they reach this
# machine), and metadata addresses that sit inside an allowed range (AWS's IPv6 one is in fc00::/7).
NEVER = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128", "fd00:ec2::254/128", "100.100.100.200/32")
)
NEVER_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal"})
HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*")
RESOLVE_LIMIT = 2.0  # seconds a name may take to resolve when a URL is saved


class RefusedTarget(aiohttp.ClientConnectionError):
    """A call the policy does not allow; the client records it as a transport error with this reason."""


def ipv4_spelling(host: str) -> str | None:
    """The dotted form of an IPv4 address written as inet_aton reads it (0x7f000001, 2130706433,
    0177.0.0.1, 127.1), so that every spelling of an address is checked as that address; None when
    `host` is not one."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    numbers = []
    for part in parts:
        lowered = part.lower()
        try:
            if lowered.startswith("0x"):
                numbers.append(int(lowered[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            elif part.isdigit():
                numbers.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value << 8 | n
    value = value << 8 * (5 - len(numbers)) | last
    return str(ipaddress.IPv4Address(value))


def as_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally (any IPv4 spelling, IPv6, IPv4-mapped IPv6), or None."""
    host = host.strip("[]")
    dotted = ipv4_spelling(host)
    try:
        address = ipaddress.ip_address(dotted or host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class HostPolicy:
    """The allowed hosts: networks and names, and whether `*` lets every other address through."""

    networks: tuple[IPNetwork, ...]
    names: frozenset[str]
    anything: bool = False

    @classmethod
    def parse(cls, spec: str) -> HostPolicy:
        """`spec` is a comma-separated list of CIDRs, addresses and host names, or `*`; ValueError names
        an entry that is none of these."""
        networks, names, anything = [], set(), False
        for entry in (e.strip().lower() for e in spec.split(",")):
            if not entry:
                continue
            if entry == "*":
                anything = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not HOST_NAME.fullmatch(entry.rstrip(".")):
                raise ValueError(
                    f"webhook_allowed_hosts: {entry!r} is neither a CIDR (10.0.0.0/8), an address nor a host name"
                )
            names.add(entry.rstrip("."))
        return cls(tuple(networks), frozenset(names), anything)

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why a call to this address is refused (a noun phrase), or None when it is allowed."""
        if any(address in n and n.num_addresses == 1 for n in self.networks):
            return None  # listed as that very address: the operator asked for it
        if any(address in n for n in NEVER):
            return "a link-local, unspecified or cloud-metadata address, never a webhook"
        if self.anything or any(address in n for n in self.networks):
            return None
        return "an address not among the allowed hosts (setting webhook_allowed_hosts)"

    def name_refusal(self, name: str) -> str | None:
        """Why a host name is refused before it is even resolved, or None."""
        if name in self.names:
            return None
        if name in NEVER_NAMES:
            return f"points at {name}, a cloud-metadata host, never a webhook"
        return None

    def listed(self, name: str) -> bool:
        return name in self.names


def url_refusal(url: str, policy: HostPolicy) -> str | None:
    """What is wrong with a webhook URL as text (no DNS), or None."""
    try:
        parsed = URL(url)
        host = (parsed.host or "").lower().rstrip(".")
    except ValueError as exc:  # a host IDNA cannot encode (UnicodeError), a bad port
        return f"is not a valid URL ({str(exc)[:120]})"
    if parsed.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if parsed.user is not None or parsed.password is not None:
        return (
            "must not carry credentials (user:password@): every call is signed with your secret key instead"
        )
    if not host:
        return "has no host"
    address = as_address(host)
    if address is not None:
        why = policy.address_refusal(address)
        if why is None:
            return None
        return f"points at {host}, {why}" if str(address) == host else f"points at {host} ({address}), {why}"
    return policy.name_refusal(host)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses a name resolves to now; [] when it does not resolve (in time)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_LIMIT):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return []
    found = [as_address(str(info[4][0])) for info in infos]
    return [a for a in found if a is not None]


def first_refusal(addresses: Iterable[IPAddress], policy: HostPolicy, host: str) -> str | None:
    for address in addresses:
        why = policy.address_refusal(address)
        if why is not None:
            return f"points at {host}, which resolves to {address}, {why}"
    return None


class GuardedResolver(AbstractResolver):
    """aiohttp's own resolver, keeping only the addresses the policy allows: a name that resolves to
    a refused address when a call is made (DNS changed since the URL was saved) is never connected to."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.inner = aiohttp.DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        results = await self.inner.resolve(host, port, family)
        name = host.lower().rstrip(".")
        if self.policy.listed(name):
            return results
        kept = [r for r in results if self._allowed(r["host"])]
        if not kept:
            why = self.policy.name_refusal(name) or first_refusal(
                filter(None, (as_address(r["host"]) for r in results)), self.policy, host
            )
            why = why or f"points at {host}, which resolves to no allowed address"
            raise RefusedTarget(f"webhook refused: it {why}")
        return kept

    def _allowed(self, text: str) -> bool:
        address = as_address(text)
        return address is not None and self.policy.address_refusal(address) is None

    async def close(self) -> None:
        await self.inner.close()


def client_middleware(policy: HostPolicy):
    """Checks each call's URL before it is sent: the resolver never sees a host that is an address.
    A URL's verdict depends on its text and the policy alone (no DNS here), so it is worked out once
    per URL; the addresses a name resolves to are checked on every call, by GuardedResolver."""
    refusal = lru_cache(maxsize=1024)(lambda url: url_refusal(url, policy))

    async def check(request: aiohttp.ClientRequest, handler):
        why = refusal(str(request.url))
        if why is not None:
            raise RefusedTarget(f"webhook refused: it {why}")
        return await handler(request)

    return check


@dataclass(frozen=True)
class Targets:
    """The host policy and the mock's own address: what a webhook URL is checked against when saved."""

    policy: HostPolicy
    host: str
    port: int
    public_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        return cls(
            HostPolicy.parse(settings.webhook_allowed_hosts),
            settings.host,
            settings.port,
            settings.public_url,
        )

    async def check(self, url: str) -> None:
        """INVALID_REQUEST on `$.webhook_url` saying what to fix, unless the mock may call `url`."""
        why = url_refusal(url, self.policy) or await self._host_refusal(URL(url))
        if why is not None:
            raise InvalidRequest.at(
                "$.webhook_url",
                f"{why}; give your wallet's URL (or leave it empty for the built-in reference wallet)",
            )

    async def _host_refusal(self, parsed: URL) -> str | None:
        """Why the host of a well-formed URL may not be called (what it resolves to, the mock itself)."""
        host = (parsed.host or "").lower().rstrip(".")
        resolved: list[IPAddress] = []
        if as_address(host) is None and not self.policy.listed(host):
            # A name that does not resolve now is accepted: every call checks it again.
            resolved = await resolve(host, parsed.port or 0)
            why = first_refusal(resolved, self.policy, host)
            if why is not None:
                return why
        return await self._self_refusal(parsed, host, resolved)

    async def _self_refusal(self, parsed: URL, host: str, resolved: list[IPAddress]) -> str | None:
        """Why `parsed` is this mock's own API or portal (a call there would loop), or None."""
        why = (
            f"points at this mock itself ({parsed.path[:80]}): a webhook there would call the mock's own "
            f"routes in a loop; only {WALLET_PATH} (the built-in reference wallet) is allowed on the mock"
        )
        if self.public_url:
            public = URL(self.public_url)
            if host == (public.host or "").lower() and parsed.port == public.port:
                return None if parsed.path == public.path.rstrip("/") + WALLET_PATH else why
        if parsed.port != self.port or parsed.path == WALLET_PATH:
            return None
        return why if await self._is_own_host(host, resolved) else None

    async def _is_own_host(self, host: str, resolved: list[IPAddress]) -> bool:
        address = as_address(host)
        addresses = [address] if address is not None else resolved
        listen = as_address(self.host)
        every_interface = self.host in ("", "0.0.0.0", "::")
        local: list[IPAddress] = []
        if every_interface:
            local = await resolve(socket.gethostname(), 0)
        return (
            host in ("localhost", socket.gethostname().lower())
            or any(a.is_loopback or a.is_unspecified for a in addresses)
            or (listen is not None and listen in addresses)
            or any(a in local for a in addresses)
        )
