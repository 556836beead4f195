"""The effects probe: `fetch_effects` reads it strictly, and `check-receiver --effects-url`
runs `idempotent-effects` and `no-effects-when-rejected` against a receiver over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import hooksim.scenarios._effects as effects_module  # the reader the kit wraps
import pytest
from click.testing import CliRunner
from hooksim.simulator import InvalidInput
from kit_receivers import (
    SECRET,
    CorrectReceiver,
    DoubleProcesses,
    ProcessesBeforeVerifying,
    Serve,
)

import hooksim
from hooksim import EffectsProbeError, fetch_effects
from hooksim._kit._effects import parse_effects
from hooksim.cli import main

pytestmark = [pytest.mark.served, pytest.mark.clause("AT-LEAST-ONCE", "SIGN-HMAC")]

PROBE = "/test/effects"
Answer = tuple[int, bytes, dict[str, str]]


class Probe:
    """A WSGI effects probe answering `answers` in turn (the last one from then on)."""

    def __init__(self, *answers: Answer | bytes, delay: float = 0.0) -> None:
        self.answers = [a if isinstance(a, tuple) else (200, a, {}) for a in answers]
        self.requests: list[dict[str, str]] = []
        self.delay = delay
        self.gate = threading.Event()  # set by the `serve` fixture when it stops

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.requests.append({"method": environ["REQUEST_METHOD"],
                              "accept": environ.get("HTTP_ACCEPT", "")})  # fmt: skip
        if self.delay:
            self.gate.wait(self.delay)
        status, body, headers = self.answers[min(len(self.requests), len(self.answers)) - 1]
        start_response(f"{status} X", [("Content-Type", "application/json"), *headers.items()])
        return [body]


class WithProbe:
    """A kit receiver and its effects probe on one server, as a test build serves them."""

    def __init__(self, receiver: CorrectReceiver, probe: Callable[..., Iterable[bytes]] | None):
        self.receiver = receiver
        self.probe = probe or self.counts

    def counts(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"effects": self.receiver.count_effects()}).encode()]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        app = self.probe if environ["PATH_INFO"] == PROBE else self.receiver
        return app(environ, start_response)


def check(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["check-receiver", url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


# fetch_effects --------------------------------------------------------------------------------
def test_fetch_effects_reads_the_counts(serve: Serve) -> None:
    probe = Probe(b'{"effects": {"evt-1": 1, "evt-2": 0, "evt-3": 2}, "service": "orders"}')
    with serve(probe, PROBE) as url:
        assert fetch_effects(url) == {"evt-1": 1, "evt-2": 0, "evt-3": 2}
    assert probe.requests == [{"method": "GET", "accept": "application/json"}]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((404, b"not found", {}), "answered 404; expected 200"),
        ((302, b"", {"Location": "/login"}), "answered 302 (a redirect to /login"),
        ((500, b'{"effects": {}}', {}), "answered 500"),
    ],
)
def test_fetch_effects_refuses_an_answer_that_is_not_a_2xx(
    serve: Serve, answer: Answer, words: str
) -> None:
    with serve(Probe(answer), PROBE) as url, pytest.raises(EffectsProbeError) as caught:
        fetch_effects(url)
    assert caught.value.kind == "status"
    assert words in caught.value.message
    assert f"the effects probe ({url})" in caught.value.message


@pytest.mark.parametrize(
    ("body", "kind", "words"),
    [
        (b"<!doctype html><p>Hello", "not-json", "did not answer JSON"),
        (b"", "not-json", "answered an empty body"),
        (b'{"effects": {"\xe9": 1}}', "not-json", "not UTF-8"),
        (b'{"effects": {"a": NaN}}', "not-json", "NaN is not JSON"),
        (b'{"effects": {"a": 1, "a": 2}}', "not-json", "key 'a' appears twice"),
        (b'[{"evt-1": 1}]', "shape", "answered a list"),
        (b'{"counts": {"evt-1": 1}}', "shape", "no \"effects\" key (keys: 'counts')"),
        (b'{"effects": [["evt-1", 1]]}', "shape", '"effects" is a list'),
        (b'{"effects": {"evt-1": "1"}}', "shape", "['evt-1'] is a string"),
        (b'{"effects": {"evt-1": 1.0}}', "shape", "is a number with a fraction"),
        (b'{"effects": {"evt-1": true}}', "shape", "is a boolean"),
        (b'{"effects": {"evt-1": null}}', "shape", "is null"),
        (b'{"effects": {"evt-1": -1}}', "shape", "is -1, expected a whole number"),
        (b'{"effects": {"": 1}}', "shape", "an empty data.id"),
    ],
)
def test_a_bad_probe_answer_is_refused_clearly(body: bytes, kind: str, words: str) -> None:
    with pytest.raises(EffectsProbeError) as caught:
        parse_effects(body, "the effects probe (http://127.0.0.1:5000/test/effects)")
    assert caught.value.kind == kind
    assert words in caught.value.message
    assert caught.value.message.startswith("the effects probe (http://127.0.0.1:5000/")


def test_a_good_probe_answer_is_read_whole() -> None:
    many = {f"evt-{n}": n % 3 for n in range(50_000)}
    assert parse_effects(json.dumps({"effects": many}).encode()) == many
    assert parse_effects(b'{"effects": {}}') == {}


def test_fetch_effects_refuses_an_answer_too_large(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(effects_module, "EFFECTS_PROBE_CAP", 64)
    body = json.dumps({"effects": {f"evt-{n}": 1 for n in range(20)}}).encode()
    with serve(Probe(body), PROBE) as url, pytest.raises(EffectsProbeError) as caught:
        fetch_effects(url)
    assert caught.value.kind == "too-large"


def test_fetch_effects_unreachable_slow_and_bad_urls(serve: Serve, refused_url: str) -> None:
    with pytest.raises(EffectsProbeError, match="is unreachable: connection refused") as caught:
        fetch_effects(refused_url)
    assert caught.value.kind == "unreachable"
    slow = Probe(b'{"effects": {}}', delay=5)
    with (
        serve(slow, PROBE) as url,
        pytest.raises(EffectsProbeError, match="did not answer within 0.2 s") as caught,
    ):
        fetch_effects(url, timeout=0.2)
    assert caught.value.kind == "timeout"
    with pytest.raises(EffectsProbeError, match="bad effects probe URL 'ftp://x/'") as caught:
        fetch_effects("ftp://x/")
    assert caught.value.kind == "bad-url"


def test_fetch_effects_never_shows_the_urls_credentials(serve: Serve) -> None:
    with serve(Probe((403, b"no", {})), PROBE) as url:
        guarded = url.replace("http://", "http://probe:pa55word@") + "?token=t0k3n"
        with pytest.raises(EffectsProbeError) as caught:
            fetch_effects(guarded)
    assert url in caught.value.message
    assert "pa55word" not in caught.value.message and "t0k3n" not in caught.value.message


def test_the_probe_names_are_public() -> None:
    for name in ("fetch_effects", "EffectsProbeError"):
        assert name in hooksim.__all__
    assert issubclass(EffectsProbeError, hooksim.KitError)


# check_receiver(effects_url=...) and the command line ------------------------------------------
def test_check_receiver_with_an_effects_url_runs_the_effect_checks(serve: Serve) -> None:
    app = WithProbe(CorrectReceiver(), None)
    with serve(app, "/hooks") as url:
        result = hooksim.check_receiver(url, secret=SECRET, effects_url=url + "/.." + PROBE)
    assert result["idempotent-effects"].status == "pass"
    assert result["no-effects-when-rejected"].status == "pass"
    result.assert_passed()


def test_check_receiver_refuses_two_sources_of_effects() -> None:
    with pytest.raises(InvalidInput, match="count_effects or effects_url, not both"):
        hooksim.check_receiver(
            "http://127.0.0.1:9/hook", secret=SECRET, count_effects=dict,
            effects_url="http://127.0.0.1:9/test/effects",
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="bad effects probe URL"):
        hooksim.check_receiver("http://127.0.0.1:9/hook", secret=SECRET, effects_url="probe")


@pytest.mark.parametrize(
    ("receiver", "failing"),
    [
        (CorrectReceiver, set()),
        (DoubleProcesses, {"idempotent-effects"}),
        (ProcessesBeforeVerifying, {"no-effects-when-rejected"}),
    ],
)
def test_the_command_grades_effects_through_the_probe(
    serve: Serve, receiver: type[CorrectReceiver], failing: set[str], tmp_path: Any
) -> None:
    results = tmp_path / "results.json"
    with serve(WithProbe(receiver(), None), "/hooks") as url:
        probe = url.removesuffix("/hooks") + PROBE
        code, output = check(
            url, "--secret", SECRET, "--effects-url", probe, "--json", str(results)
        )
    assert code == (1 if failing else 0), output
    statuses = {c["id"]: c["status"] for c in json.loads(results.read_text())["checks"]}
    assert {check_id for check_id, status in statuses.items() if status == "fail"} == failing
    assert statuses["idempotent-effects"] != "skip"


@pytest.mark.parametrize(
    ("probe", "words"),
    [
        (None, "the effects probe"),  # nothing listens at the probe's port
        (Probe((404, b"", {})), "answered 404"),
        (Probe(b'{"effects": {"evt-1": "one"}}'), "is a string, expected a whole number"),
        (Probe(b"OK"), "did not answer JSON"),
    ],
)
def test_an_unusable_probe_stops_the_command_with_exit_2(
    serve: Serve, refused_url: str, probe: Probe | None, words: str
) -> None:
    receiver = CorrectReceiver()
    if probe is None:
        with serve(receiver, "/hooks") as url:
            code, output = check(url, "--secret", SECRET, "--effects-url", refused_url)
        assert "is unreachable: connection refused" in output
    else:
        with serve(WithProbe(receiver, probe), "/hooks") as url:
            probe_url = url.removesuffix("/hooks") + PROBE
            code, output = check(url, "--secret", SECRET, "--effects-url", probe_url)
    assert code == 2, output
    assert words in output and "Traceback" not in output
    assert receiver.count_effects() == {}, "nothing may be sent before the probe is usable"


@pytest.mark.parametrize(
    ("later", "words"),
    [
        ((503, b"", {}), "answered 503"),
        ((200, f"<p>secret={SECRET}</p>".encode(), {}), "did not answer JSON"),
    ],
)
def test_a_probe_that_breaks_during_the_run_fails_the_effect_checks(
    serve: Serve, later: Answer, words: str
) -> None:
    probe = Probe(b'{"effects": {}}', later)
    with serve(WithProbe(CorrectReceiver(), probe), "/hooks") as url:
        code, output = check(
            url, "--secret", SECRET, "--effects-url", url.removesuffix("/hooks") + PROBE
        )
    assert code == 1, output
    assert "after the deliveries, the effects probe" in output and words in output
    assert SECRET not in output


def test_the_secret_never_shows_in_a_probe_error(serve: Serve) -> None:
    leaky = Probe(f"config: secret={SECRET}".encode())
    with serve(WithProbe(CorrectReceiver(), leaky), "/hooks") as url:
        code, output = check(
            url, "--secret", SECRET, "--effects-url", url.removesuffix("/hooks") + PROBE
        )
    assert code == 2
    assert "did not answer JSON" in output and "[secret]" in output and SECRET not in output


def test_without_a_probe_the_effect_checks_say_how_to_enable_them(serve: Serve) -> None:
    with serve(CorrectReceiver(), "/hooks") as url:
        code, output = check(url, "--secret", SECRET)
    assert code == 0, output
    assert "--effects-url URL" in output


def test_a_short_secret_leaves_words_and_urls_that_contain_it_alone(serve: Serve) -> None:
    # `--secret test` with the README's probe path: the message names the path as it is
    # (it was "/[secret]/effects").
    missing = Probe((404, b"", {}))
    with serve(WithProbe(CorrectReceiver(), missing), "/hooks") as url:
        code, output = check(
            url, "--secret", "test", "--effects-url", url.removesuffix("/hooks") + PROBE
        )
    assert code == 2, output
    assert f"{PROBE}) answered 404" in output and "[secret]" not in output
