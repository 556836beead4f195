"""When many checks fail for one reason, the kit says the reason once: a WSGI app called at a
path it does not serve (`path=`), a URL without the receiver's path, a receiver that refuses
every correctly signed body because it verifies re-serialised JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from kit_receivers import SECRET, CorrectReceiver, Serve
from werkzeug.wrappers import Request, Response

import hooksim
from hooksim.cli import main

ROUTE = "/hooks/atomic"


class Routed(CorrectReceiver):
    """A receiver whose app serves its webhook at one route, as a Flask app does."""

    def handle(self, request: Request) -> Response:
        if request.path != ROUTE:
            return Response("not found", 404)
        return super().handle(request)


class VerifiesJsonDumps(CorrectReceiver):
    """Verifies `json.dumps(request.json)` (Python's default spacing): every body fails."""

    def verify(self, body: bytes, signature: str | None) -> bool:
        return super().verify(json.dumps(json.loads(body)).encode(), signature)


def test_a_wsgi_app_called_where_it_has_no_route_gets_the_path_option_named() -> None:
    result = hooksim.check_receiver(Routed(), secret=SECRET)
    failed = {check.id for check in result.failed}
    assert len(failed) >= 6
    (hint,) = result.hints
    assert hint.startswith(f"{len(failed)} of {len(result.checks)} checks failed with 404")
    assert "path='/hooks/atomic'" in hint and "hooksim_check_receiver(app" in hint
    assert "the app was called at path '/'" in hint
    assert f"hint: {hint}" in result.explain().splitlines()[1]
    assert result.to_dict()["hints"] == [hint]
    assert "path=" in result["accepts-valid-signature"].reason


def test_given_the_path_the_same_app_passes() -> None:
    result = hooksim.check_receiver(Routed(), secret=SECRET, path=ROUTE)
    assert result.passed, result.explain()
    assert result.hints == ()


@pytest.mark.served
def test_a_url_without_the_receivers_path_gets_told_to_give_it(serve: Serve) -> None:
    with serve(Routed(), ROUTE) as url:
        root = url.removesuffix(ROUTE) + "/"
        result = hooksim.check_receiver(root, secret=SECRET)
        shown = CliRunner().invoke(
            main, ["check-receiver", root, "--timeout", "5"],
            env={"HOOKSIM_RECEIVER_SECRET": SECRET, "COLUMNS": "300"},
        )  # fmt: skip
    (hint,) = result.hints
    assert "is / the path the receiver serves?" in hint
    assert "full URL, path included" in hint
    assert shown.exit_code == 1
    assert f"hint: {hint}" in " ".join(shown.output.split())


def test_a_receiver_verifying_re_serialised_json_is_told_so() -> None:
    result = hooksim.check_receiver(VerifiesJsonDumps(), secret=SECRET)
    valid = result["accepts-valid-signature"]
    raw = result["verifies-raw-bytes"]
    assert valid.status == raw.status == "fail"
    for check in (valid, raw):
        assert "every correctly signed body is refused" in check.reason
        assert "re-serialised copy of the JSON (json.dumps(request.json)" in check.reason
    assert raw.reason.startswith("expected 2xx")
    assert result.hints == ()  # 401s, not 404s


def test_failures_of_other_kinds_get_no_404_hint() -> None:
    result = hooksim.check_receiver(CorrectReceiver(secret="another"), secret=SECRET)
    assert result.failed and result.hints == ()
