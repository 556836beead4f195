"""Where real deliveries may go: the host policy behind `hooksim serve --allow-hosts`.

A served platform sends requests to URLs its users typed, so it must not become a way into
the machine's own neighbourhood: link-local addresses and cloud metadata services are refused
by default, and an allow-list can narrow deliveries to named hosts. The host name is resolved
and *every* address is checked; the HTTP transport then connects only to the addresses that
were checked (no second lookup an attacker's DNS could answer differently).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "HostPolicy",
    "HostRefused",
    "embedded_ipv4",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
AddrInfo = tuple[Any, ...]  # one getaddrinfo row: (family, type, proto, canonname, sockaddr)
Resolver = Callable[..., Sequence[AddrInfo]]

_LINK_LOCAL: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
#: Cloud metadata services (AWS IPv4 and IPv6, GCP, Azure, Alibaba Cloud).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_HOSTS: frozenset[str] = frozenset({"metadata.google.internal", "metadata.goog"})

# IPv6 addresses that carry an IPv4 address a router or the host's stack may deliver to: a
# refused IPv4 address must not get through inside one.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215, RFC 6052 at /48
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 (deprecated, still routed)
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)  # RFC 5214 interface identifiers, any prefix


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries: IPv4-mapped, IPv4-compatible, NAT64
    (well-known and local-use prefixes), 6to4, Teredo (server and client), ISATAP."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE and value > 1:  # not :: nor ::1
        found.append(low32)
    if address in _NAT64_WELL_KNOWN:
        found.append(low32)
    if address in _NAT64_LOCAL_USE:
        # Bits 48-63 and 72-87 (bits 64-71 are the reserved "u" octet).
        found.append(ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if (value >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        found.append(low32)
    return found


class HostRefused(Exception):
    """A delivery may not go to this host; the message says why (it is logged)."""


class HostPolicy:
    """Decides whether a delivery may connect to a host, and to which of its addresses.

    `allow`: host names (`hooks.example.com`), wildcards (`*.example.com` matches its
    subdomains), IP addresses or networks (`10.0.0.0/8`). Empty or None: any host, except
    link-local and metadata addresses (unless `refuse_link_local` is False). An address
    or network listed explicitly is allowed even when it is link-local.
    """

    def __init__(
        self,
        allow: Iterable[str] | None = None,
        *,
        refuse_link_local: bool = True,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[IPNetwork] = []
        for raw in allow or ():
            self._add(raw)
        self.refuse_link_local = refuse_link_local
        self._resolver = resolver

    @classmethod
    def parse(cls, text: str | None, **kwargs: Any) -> HostPolicy:
        """From the `--allow-hosts` value: comma-separated entries."""
        entries = [part.strip() for part in (text or "").split(",") if part.strip()]
        return cls(entries, **kwargs)

    def _add(self, raw: str) -> None:
        entry = raw.strip().lower().rstrip(".")
        if entry.startswith("[") and entry.endswith("]"):
            entry = entry[1:-1]
        if not entry:
            raise ValueError("an allowed host may not be empty")
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        if entry.startswith("*."):
            self._suffixes.append(entry[1:])  # ".example.com"
        elif "/" in entry or ":" in entry or " " in entry or "*" in entry:
            raise ValueError(f"{raw!r} is not a host name, *.domain, IP address or network")
        else:
            self._names.add(entry)

    @property
    def restricted(self) -> bool:
        """True when an allow-list limits deliveries to some hosts."""
        return bool(self._names or self._suffixes or self._networks)

    def describe(self) -> str:
        parts = sorted(self._names) + ["*" + s for s in self._suffixes]
        parts += [str(n) for n in self._networks]
        allowed = ", ".join(parts) if parts else "any host"
        if self.refuse_link_local:
            allowed += " (link-local and cloud metadata addresses refused)"
        return allowed

    # decisions ----------------------------------------------------------------------
    def _name_allowed(self, host: str) -> bool:
        return host in self._names or any(host.endswith(s) for s in self._suffixes)

    def _listed(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self._networks)

    def address_refusal(self, host: str, address: IPAddress, *, by_name: bool) -> str | None:
        """Why `host` may not be reached at `address`, or None when it may. An IPv6 address
        is judged with every IPv4 address it carries (`embedded_ipv4`)."""
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            address = mapped
        if self._listed(address):
            return None
        where = f"address {address}" if host == str(address) else f"host {host} ({address})"
        if self.refuse_link_local:
            for candidate in (address, *embedded_ipv4(address)):
                inside = "" if candidate is address else f", which carries {candidate},"
                if candidate in METADATA_ADDRESSES:
                    return f"{where}{inside} is a cloud metadata address"
                if any(candidate.version == n.version and candidate in n for n in _LINK_LOCAL):
                    return f"{where}{inside} is a link-local address"
        if self.restricted and not by_name:
            return f"{where} is not in the allowed hosts: {self.describe()}"
        return None

    def resolve(self, host: str, port: int) -> list[AddrInfo]:
        """The addresses a delivery to `host:port` may connect to: all of them are checked.

        Raises `HostRefused` (with the reason) or `socket.gaierror` (the lookup failed).
        """
        name = host.strip("[]").lower().rstrip(".")
        if self.refuse_link_local and name in METADATA_HOSTS:
            raise HostRefused(f"host {name} is a cloud metadata service")
        by_name = self._name_allowed(name)
        if self.restricted and not by_name and not self._networks:
            raise HostRefused(f"host {name} is not in the allowed hosts: {self.describe()}")
        infos = list(self._resolver(name, port, type=socket.SOCK_STREAM))
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, "no addresses")
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            reason = self.address_refusal(name, address, by_name=by_name)
            if reason is not None:
                raise HostRefused(reason)
        return infos
