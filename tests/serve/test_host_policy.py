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
