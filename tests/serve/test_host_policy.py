"""Where deliveries may go: link-local and metadata refused by default, --allow-hosts."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import pytest
from _serve_helpers import Receiver
from hooksim.simulator import Outcome, OutgoingRequest
from hooksim.simulator._hosts import HostPolicy, HostRefused
from hooksim.simulator._http_transport import HttpTransport
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.served


def fake_dns(table: dict[str, list[str]]) -> Callable[..., list[tuple]]:
    """A resolver answering from `table` (every test stays on 127.0.0.1 for real traffic)."""

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if host not in table:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = [host]
        else:
            addresses = table[host]
        rows = []
        for address in addresses:
            if ":" in address:
                rows.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                rows.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return rows

    return resolve


def post(url: str) -> OutgoingRequest:
    return OutgoingRequest("POST", url, {"Content-Type": "application/json"}, b"{}", 5.0)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
        ("http://169.254.10.20:8080/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
        ("http://[64:ff9b::a9fe:a9fe]/", "carries 169.254.169.254, is a cloud metadata"),
        ("http://[::a9fe:a9fe]/", "carries 169.254.169.254, is a cloud metadata"),
        ("http://[2002:a9fe:a9fe::1]/", "carries 169.254.169.254, is a cloud metadata"),
    ],
)
def test_link_local_and_metadata_are_refused_by_default(url: str, why: str) -> None:
    with HttpTransport() as transport:
        result = transport.send(post(url))
    assert result.outcome is Outcome.REFUSED
    assert result.error is not None and why in result.error
    assert result.status_code is None


def test_every_resolved_address_is_checked() -> None:
    dns = fake_dns({"sneaky.test": ["127.0.0.1", "169.254.169.254"]})
    with HttpTransport(hosts=HostPolicy(resolver=dns)) as transport:
        result = transport.send(post("http://sneaky.test/"))
    assert result.outcome is Outcome.REFUSED
    assert result.error == (
        "host not allowed: host sneaky.test (169.254.169.254) is a cloud metadata address"
    )


def test_dns_failure_is_refused_with_the_reason() -> None:
    with HttpTransport(hosts=HostPolicy(resolver=fake_dns({}))) as transport:
        result = transport.send(post("http://nowhere.test/"))
    assert result.outcome is Outcome.REFUSED
    assert result.error is not None
    assert result.error.startswith("DNS lookup of nowhere.test failed")


def test_allowed_hosts_deliver_and_others_are_refused_at_once(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    dns = fake_dns({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    policy = HostPolicy.parse("hooks.test, *.example.test", resolver=dns)
    with HttpTransport(hosts=policy) as transport:
        allowed = transport.send(post(f"http://hooks.test:{port}/in"))
        other = transport.send(post(f"http://other.test:{port}/in"))
        by_ip = transport.send(post(f"http://127.0.0.1:{port}/in"))
    assert allowed.outcome is Outcome.SUCCESS
    assert other.outcome is Outcome.REFUSED and by_ip.outcome is Outcome.REFUSED
    assert other.error is not None and "not in the allowed hosts" in other.error
    assert len(receiver.requests) == 1  # refused attempts never reached the receiver


def test_allowed_networks(receiver: Receiver) -> None:
    with HttpTransport(hosts=HostPolicy(["127.0.0.0/8"])) as transport:
        assert transport.send(post(receiver.url)).outcome is Outcome.SUCCESS
        refused = transport.send(post("http://10.1.2.3/"))
    assert refused.outcome is Outcome.REFUSED


def test_policy_decisions() -> None:
    dns = fake_dns({"a.example.test": ["10.0.0.1"], "example.test": ["10.0.0.2"]})
    policy = HostPolicy(["*.example.test"], resolver=dns)
    assert policy.resolve("a.example.test", 80)
    with pytest.raises(HostRefused):
        policy.resolve("example.test", 80)  # a wildcard matches subdomains only
    assert policy.restricted and not HostPolicy().restricted
    # A link-local network listed explicitly is allowed; metadata names are refused by name.
    explicit = HostPolicy(["169.254.0.0/16"], resolver=dns)
    assert explicit.resolve("169.254.1.1", 80)
    with pytest.raises(HostRefused, match="metadata"):
        HostPolicy(resolver=dns).resolve("METADATA.google.internal.", 80)
    assert HostPolicy(refuse_link_local=False, resolver=dns).resolve("169.254.169.254", 80)


@pytest.mark.parametrize("bad", ["http://x", "a b", "*bad*", ""])
def test_bad_allow_entries_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        HostPolicy([bad])


#: IPv6 forms that carry an IPv4 address, each with 169.254.169.254 (metadata) inside, and
#: the same form around a link-local and around a public address.
EMBEDDINGS = {
    "ipv4-mapped": ("::ffff:a9fe:a9fe", "::ffff:a9fe:101", "::ffff:808:808"),
    "nat64-well-known": ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:101", "64:ff9b::808:808"),
    "nat64-local-use": (
        "64:ff9b:1:a9fe:a9:fe00::",
        "64:ff9b:1:a9fe:1:100::",
        "64:ff9b:1:808:8:800::",
    ),
    "ipv4-compatible": ("::a9fe:a9fe", "::a9fe:101", "::808:808"),
    "6to4": ("2002:a9fe:a9fe::1", "2002:a9fe:101::1", "2002:808:808::1"),
    "teredo-client": (
        "2001:0:4136:e378:8000:63bf:5601:5601",
        "2001:0:4136:e378:8000:63bf:5601:fefe",
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    ),
    "teredo-server": ("2001:0:a9fe:a9fe::1", "2001:0:a9fe:101::1", None),
    "isatap": ("2001:db8::5efe:a9fe:a9fe", "2001:db8::200:5efe:a9fe:101", "2001:db8::5efe:808:808"),
}


@pytest.mark.parametrize("form", list(EMBEDDINGS))
def test_a_name_resolving_to_an_ipv6_form_of_a_refused_ipv4_address_is_refused(form: str) -> None:
    metadata, link_local, public = EMBEDDINGS[form]
    dns = fake_dns({"meta.test": [metadata], "local.test": [link_local]})
    policy = HostPolicy(resolver=dns)
    with pytest.raises(
        HostRefused, match="carries 169.254.169.254, is a cloud metadata|cloud metadata"
    ):
        policy.resolve("meta.test", 80)
    with pytest.raises(HostRefused, match="link-local"):
        policy.resolve("local.test", 80)
    if public is not None:  # an ordinary address inside the same form is no reason to refuse
        public_dns = fake_dns({"public.test": [public]})
        assert HostPolicy(resolver=public_dns).resolve("public.test", 80)


def test_one_refused_address_among_several_refuses_the_name() -> None:
    dns = fake_dns({"mixed.test": ["203.0.113.7", "2001:db8::1", "64:ff9b::a9fe:a9fe"]})
    with pytest.raises(HostRefused, match="64:ff9b::a9fe:a9fe"):
        HostPolicy(resolver=dns).resolve("mixed.test", 443)


def test_an_explicitly_allowed_network_still_reaches_its_addresses() -> None:
    dns = fake_dns({"nat64.test": ["64:ff9b::a9fe:a9fe"]})
    policy = HostPolicy(["64:ff9b::/96"], resolver=dns)
    assert policy.resolve("nat64.test", 80)


def _forms(v4: ipaddress.IPv4Address) -> dict[str, str]:
    """Every IPv6 form that carries `v4`, the rest of each address ordinary."""
    n = int(v4)
    hi, lo = n >> 16, n & 0xFFFF
    return {
        "mapped": f"::ffff:{hi:x}:{lo:x}",
        "compatible": f"::{hi:x}:{lo:x}",
        "nat64": f"64:ff9b::{hi:x}:{lo:x}",
        "nat64-local": f"64:ff9b:1:{hi:x}:{lo >> 8:x}:{(lo & 0xFF) << 8:x}::",
        "6to4": f"2002:{hi:x}:{lo:x}::1",
        "teredo-server": f"2001:0:{hi:x}:{lo:x}:8000:63bf:f7f7:f7f7",  # client 8.8.8.8
        "teredo-client": f"2001:0:808:808:8000:63bf:{hi ^ 0xFFFF:x}:{lo ^ 0xFFFF:x}",
        "isatap": f"2001:db8::5efe:{hi:x}:{lo:x}",
    }


@pytest.mark.fuzz
@settings.get_profile("hooksim-fuzz")
@given(
    inside=st.integers(0, 0xFFFF).map(lambda low: ipaddress.IPv4Address(0xA9FE0000 | low)),
    form=st.sampled_from(list(_forms(ipaddress.IPv4Address("1.2.3.4")))),
)
def test_any_link_local_ipv4_inside_any_ipv6_form_is_refused(
    inside: ipaddress.IPv4Address, form: str
) -> None:
    dns = fake_dns({"x.test": [_forms(inside)[form]]})
    with pytest.raises(HostRefused, match=str(inside)):
        HostPolicy(resolver=dns).resolve("x.test", 80)
