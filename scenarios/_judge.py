"""The delivery judge: every request that reached a receiver, checked against the contract by
code of its own.

The scenario library's expectations say what should have happened; the judge says whether
each request the platform sent was a request the contract allows. It never calls the
platform's signing or envelope code: the signature is computed here with `hmac`/`hashlib`
(`_judge_signature.py`), the envelope is read with `json` and validated against the payload
schema file (`contracts/webhook-payload.schema.json`) with a JSON Schema validator.

It works on plain records, so it can judge any implementation:
- `SeenRequest`: what one receiver saw (method, headers as received, raw body, arrival time);
- `SubscriptionFacts`: what the management API answered about a subscription, and when
  (`facts_from_answer` reads them from any answer of the Webhooks API);
- the ids of the events the scenario published, and when (`DeliveryJudge.published`).

Each `Violation` names the contract clause it breaks, the request (receiver, number, time)
and what was expected and found. Requests that did not come from the platform (forged ones,
replays) are the caller's to leave out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hooksim.simulator import format_duration

from ._judge_schema import PayloadSchema
from ._judge_signature import judge_signature

__all__ = [
    "DeliveryJudge",
    "SeenRequest",
    "SubscriptionFacts",
    "Verdict",
    "Violation",
    "facts_from_answer",
    "receiver_for_url",
]

ENVELOPE_FIELDS = ("requestId", "environmentId", "webhookId", "isBatched", "data")
TEST_ID_PREFIX = "test-"
# Two records at the same instant may come in either order (an API answer and a request
# made at that instant): time comparisons allow this much.
_SAME_INSTANT = 1e-6
# A JSON string, written as "unrolled" loops: several times faster than an alternation.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_WHITESPACE = re.compile(rb"[ \t\r\n]")
_DATA_KEY = b',"data":'


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One request as a receiver saw it."""

    receiver: str  # the scenario's name for the receiver
    number: int  # 1-based, in arrival order at that receiver
    t: float  # arrival time, seconds since the scenario started
    method: str
    headers: tuple[tuple[str, str], ...]  # as received, in order, names as sent
    body: bytes


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    """A subscription as the management API showed it at time `t`."""

    id: str
    secret: str
    receiver: str | None  # the receiver its url leads to (None: none of the scenario's)
    t: float = 0.0
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    types: tuple[str, ...] = ()
    card_template_id: str | None = None
    action_flow_config_id: str | None = None
    mapped: bool = False  # a payload mapping: signed, but not the envelope
    batched: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class Violation:
    clause: str  # the contract clause broken
    receiver: str
    request: int  # the request's number at the receiver
    t: float
    check: str  # what was looked at: "signature", "method", "header X-Team", ...
    expected: str
    got: str
    subscription: str | None = None

    def describe(self) -> str:
        return (
            f"request {self.request} at {self.receiver} (+{format_duration(self.t)}) "
            f"[{self.clause}] {self.check}: expected {self.expected}, got {self.got}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "receiver": self.receiver,
            "request": self.request,
            "t": round(self.t, 6),
            "check": self.check,
            "expected": self.expected,
            "got": self.got,
            "subscription": self.subscription,
        }


@dataclass(slots=True)
class Verdict:
    judged: int  # requests looked at
    violations: list[Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def clauses(self) -> list[str]:
        """The clauses broken, each once, in the order first broken."""
        return list(dict.fromkeys(v.clause for v in self.violations))


def receiver_for_url(url: str, receivers: Mapping[str, str]) -> str | None:
    """The receiver (name -> base URL) a subscription's `url` leads to: the longest base URL
    that is the url itself or a path above it."""
    best: tuple[int, str] | None = None
    for name, base in receivers.items():
        base = base.rstrip("/")
        below = url == base or url.startswith((base + "/", base + "?"))
        if below and (best is None or len(base) > best[0]):
            best = (len(base), name)
    return best[1] if best else None


def facts_from_answer(
    body: Any, *, t: float, receivers: Mapping[str, str]
) -> list[SubscriptionFacts]:
    """The subscriptions shown in a management API answer (`{"data": subscription}` or
    `{"data": [subscriptions]}`): anything with an id, a secret, a url and types."""
    data = body.get("data") if isinstance(body, dict) else None
    shown = data if isinstance(data, list) else [data]
    facts = []
    for item in shown:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) for key in ("id", "secret", "url")
        ):
            continue
        if not isinstance(item.get("types"), list):
            continue
        headers = item["headers"] if isinstance(item.get("headers"), dict) else {}
        facts.append(
            SubscriptionFacts(
                id=item["id"],
                secret=item["secret"],
                receiver=receiver_for_url(item["url"], receivers),
                t=t,
                method=str(item.get("method") or "POST"),
                headers=tuple((str(k), str(v)) for k, v in headers.items()),
                types=tuple(str(x) for x in item["types"]),
                card_template_id=_optional_text(item.get("cardTemplateId")),
                action_flow_config_id=_optional_text(item.get("actionFlowConfigId")),
                mapped=item.get("mapping") is not None,
                batched=item.get("batch") is not None,
                active=item.get("status", "active") == "active",
            )
        )
    return facts


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class _Copy:
    """The first copy of an event's data seen, to compare the others with."""

    data: bytes
    receiver: str
    request: int


class _Request:
    """One request being judged: its headers by lower-case name, its body parsed once."""

    __slots__ = ("seen", "headers", "payload", "parse_error")

    def __init__(self, seen: SeenRequest) -> None:
        self.seen = seen
        self.headers: dict[str, list[str]] = {}
        for name, value in seen.headers:
            self.headers.setdefault(name.lower(), []).append(value)
        self.payload: Any = None
        self.parse_error: str | None = None
        try:
            self.payload = json.loads(seen.body.decode("utf-8"))
        except UnicodeDecodeError:
            self.parse_error = "a body that is not UTF-8"
        except ValueError as exc:
            self.parse_error = f"a body that is not JSON ({exc})"


class DeliveryJudge:
    """Judges the requests receivers saw against the contract and what the API said.

    Feed it, in any order, the subscriptions as the management API answered them (`learn`,
    or `learn_answer` with any API answer) and the events the scenario published
    (`published`); then `judge` the requests. It keeps no state between `judge` calls.
    """

    def __init__(
        self,
        *,
        signature_header: str = "X-Atomic-Signature",
        environment_id: str | None = None,
        receivers: Mapping[str, str] | None = None,
    ) -> None:
        self.signature_header = signature_header
        self.environment_id = environment_id
        self.receivers = dict(receivers or {})  # name -> base URL, for `learn_answer`
        self._facts: dict[str, list[SubscriptionFacts]] = {}
        self._published: dict[str, float] = {}
        self._schema = PayloadSchema.shared()

    # what the judge is told ------------------------------------------------------------
    def learn(self, facts: SubscriptionFacts) -> None:
        versions = self._facts.setdefault(facts.id, [])
        if versions and versions[-1] == facts:
            return
        versions.append(facts)
        versions.sort(key=lambda f: f.t)

    def learn_answer(self, body: Any, *, t: float) -> None:
        """Whatever subscriptions a management API answer shows (non-subscriptions are
        ignored), and the event ids a simulation control's publish answer lists."""
        for facts in facts_from_answer(body, t=t, receivers=self.receivers):
            self.learn(facts)
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and isinstance(data.get("eventIds"), list):
            self.published((str(i) for i in data["eventIds"]), t=t)

    def published(self, event_ids: Iterable[str], *, t: float) -> None:
        for event_id in event_ids:
            self._published.setdefault(event_id, t)

    @property
    def subscriptions(self) -> list[str]:
        return list(self._facts)

    # judging -------------------------------------------------------------------------
    def judge(self, requests: Iterable[SeenRequest]) -> Verdict:
        ordered = sorted(requests, key=lambda r: (r.t, r.receiver, r.number))
        run = _Run(self)
        for seen in ordered:
            run.judge(seen)
        return Verdict(len(ordered), run.violations)

    def versions_at(self, subscription_id: str, t: float) -> list[SubscriptionFacts]:
        """The API's views of a subscription that may have held at `t` (the last one shown
        at or before `t`, and any shown at that same instant); the first view when `t` is
        before the subscription was first shown."""
        versions = self._facts.get(subscription_id, [])
        if len(versions) <= 1:  # the usual case: the API showed it once
            return versions
        held = [
            v
            for i, v in enumerate(versions)
            if v.t <= t + _SAME_INSTANT
            and (i + 1 == len(versions) or versions[i + 1].t >= t - _SAME_INSTANT)
        ]
        return held or [versions[0]]

    def candidates(self, receiver: str, t: float) -> list[str]:
        """Subscriptions whose url led to `receiver` at time `t`."""
        return [
            sub_id
            for sub_id in self._facts
            if any(v.receiver == receiver for v in self.versions_at(sub_id, t))
        ]

    def published_at(self, event_id: str) -> float | None:
        return self._published.get(event_id)


class _Run:
    """One pass over the requests: what needs memory across requests lives here."""

    #: The rules of one request (a platform profile's judge puts its own here).
    checks: type[_Checks]

    def __init__(self, judge: DeliveryJudge) -> None:
        self.j = judge
        self.violations: list[Violation] = []
        self.request_ids: dict[str, tuple[str, int]] = {}
        self.copies: dict[str, _Copy] = {}

    def judge(self, seen: SeenRequest) -> None:
        request = _Request(seen)
        sub_id = self._attribute(request)
        if sub_id is None:
            return
        versions = self.j.versions_at(sub_id, seen.t)
        # Judged against the view of the subscription it agrees with best (an update made
        # at the very instant of the request may or may not apply to it).
        best: list[Violation] | None = None
        for facts in versions:
            found = self.checks(self.j, request, facts).run()
            if best is None or len(found) < len(best):
                best = found
            if not found:
                break
        self.violations.extend(best or [])
        if not versions[0].mapped:
            self._across_requests(request, sub_id)

    # which subscription sent it ---------------------------------------------------------
    def _attribute(self, request: _Request) -> str | None:
        seen = request.seen
        payload = request.payload
        named = payload.get("webhookId") if isinstance(payload, dict) else None
        if isinstance(named, str) and self.j.versions_at(named, seen.t):
            if not any(v.receiver == seen.receiver for v in self.j.versions_at(named, seen.t)):
                self._add(
                    request,
                    "DELIVERY-ENVELOPE",
                    "webhookId",
                    f"a subscription whose url leads to receiver {seen.receiver}",
                    f"{named!r}, a subscription whose url leads elsewhere",
                    named,
                )
            return named
        candidates = self.j.candidates(seen.receiver, seen.t)
        signatures = request.headers.get(self.j.signature_header.lower(), [])
        if not candidates and not signatures and not isinstance(named, str):
            return None  # not a delivery: e.g. a delivery credential's token request
        for sub_id in candidates:
            secret = self.j.versions_at(sub_id, seen.t)[0].secret
            if signatures and judge_signature(signatures[0], secret, seen.body) is None:
                return sub_id
        if len(candidates) == 1:
            return candidates[0]
        if isinstance(named, str):
            got = f"{named!r}, which no subscription the API showed has"
        else:
            got = "no webhookId, and no signature that one of their secrets verifies"
        shown = ", ".join(candidates) or "none"
        self._add(
            request,
            "DELIVERY-ENVELOPE",
            "webhookId",
            f"the id of a subscription pointing at {seen.receiver} (the API showed: {shown})",
            got,
            None,
        )
        return None

    # rules across requests ------------------------------------------------------------
    def _across_requests(self, request: _Request, sub_id: str) -> None:
        payload = request.payload
        if not isinstance(payload, dict):
            return
        seen = request.seen
        request_id = payload.get("requestId")
        if isinstance(request_id, str):
            earlier = self.request_ids.get(request_id)
            if earlier is not None:
                self._add(
                    request,
                    "DELIVERY-ENVELOPE",
                    "requestId",
                    "a requestId no earlier request had",
                    f"{request_id!r}, already sent as request {earlier[1]} at {earlier[0]}",
                    sub_id,
                )
            else:
                self.request_ids[request_id] = (seen.receiver, seen.number)
        for data_id, raw in _data_copies(seen.body, payload):
            if self.j.published_at(data_id) is None and not data_id.startswith(TEST_ID_PREFIX):
                self._add(
                    request,
                    "DELIVERY-ENVELOPE",
                    "data.id",
                    "the id of an event the scenario published (or test-... for a test)",
                    repr(data_id),
                    sub_id,
                )
                continue
            first = self.copies.get(data_id)
            if first is None:
                self.copies[data_id] = _Copy(raw, seen.receiver, seen.number)
            elif first.data != raw:
                self._add(
                    request,
                    "AT-LEAST-ONCE",
                    f"data of {data_id}",
                    f"the same bytes as its first copy (request {first.request} at "
                    f"{first.receiver})",
                    f"{len(raw)} bytes that differ{_first_difference(first.data, raw)}",
                    sub_id,
                )

    def _add(
        self,
        request: _Request,
        clause: str,
        check: str,
        expected: str,
        got: str,
        sub_id: str | None,
    ) -> None:
        seen = request.seen
        self.violations.append(
            Violation(clause, seen.receiver, seen.number, seen.t, check, expected, got, sub_id)
        )


class _Checks:
    """The rules of one request against one view of its subscription."""

    def __init__(self, judge: DeliveryJudge, request: _Request, facts: SubscriptionFacts) -> None:
        self.j = judge
        self.request = request
        self.facts = facts
        self.found: list[Violation] = []

    def run(self) -> list[Violation]:
        self._signature()
        self._method_and_headers()
        if self.request.parse_error is not None:
            clause = "MAPPING" if self.facts.mapped else "DELIVERY-ENVELOPE"
            self._add(clause, "body", "JSON in UTF-8", self.request.parse_error)
        elif not self.facts.mapped:
            self._envelope()
        return self.found

    def _add(self, clause: str, check: str, expected: str, got: str) -> None:
        seen = self.request.seen
        sub_id = self.facts.id
        self.found.append(
            Violation(clause, seen.receiver, seen.number, seen.t, check, expected, got, sub_id)
        )

    def _signature(self) -> None:
        name = self.j.signature_header
        values = self.request.headers.get(name.lower(), [])
        if not values:
            self._add("SIGN-HMAC", f"header {name}", "the signature", self._missing_signature())
            return
        if len(values) > 1:
            self._add("SIGN-HMAC", f"header {name}", "sent once", f"{len(values)} times")
        problem = judge_signature(values[0], self.facts.secret, self.request.seen.body)
        if problem is not None:
            self._add(problem.clause, f"header {name}", problem.expected, problem.got)

    def _missing_signature(self) -> str:
        """Where the signature went, if another header holds it."""
        for lower, values in self.request.headers.items():
            for value in values:
                if judge_signature(value, self.facts.secret, self.request.seen.body) is None:
                    return f"no such header; the signature came in {lower!r}"
        return "no such header"

    def _method_and_headers(self) -> None:
        seen = self.request.seen
        if seen.method != self.facts.method:
            self._add("DELIVERY-METHOD", "method", self.facts.method, seen.method)
        headers = self.request.headers
        for name, value in self.facts.headers:
            got = headers.get(name.lower(), [])
            if got != [value]:
                shown = "nothing" if not got else ", ".join(repr(v) for v in got)
                self._add("DELIVERY-HEADERS", f"header {name}", repr(value), shown)
        content_type = headers.get("content-type", [])
        media = content_type[0].split(";")[0].strip().lower() if len(content_type) == 1 else ""
        if media != "application/json":
            shown = ", ".join(repr(v) for v in content_type) or "nothing"
            self._add("DELIVERY-HEADERS", "header Content-Type", "'application/json'", shown)

    def _envelope(self) -> None:
        payload = self.request.payload
        body = self.request.seen.body
        facts = self.facts
        if not isinstance(payload, dict):
            self._add("DELIVERY-ENVELOPE", "body", "a JSON object", type(payload).__name__)
            return
        keys = list(payload)
        if keys != list(ENVELOPE_FIELDS):
            self._add("DELIVERY-ENVELOPE", "fields", ", ".join(ENVELOPE_FIELDS), ", ".join(keys))
        if _WHITESPACE.search(_STRING.sub(b"", body)):
            self._add("DELIVERY-ENVELOPE", "body", "compact JSON", "whitespace between JSON tokens")
        problem = self._schema_problem(payload)
        if problem is not None:
            self._add("DELIVERY-ENVELOPE", "payload schema", "a valid webhook body", problem)
        batched = payload.get("isBatched")
        if batched is not facts.batched:
            clause = "BATCHING" if facts.batched or batched is True else "DELIVERY-ENVELOPE"
            self._add(clause, "isBatched", json.dumps(facts.batched), json.dumps(batched))
        environment = payload.get("environmentId")
        if self.j.environment_id is not None and environment != self.j.environment_id:
            self._add(
                "DELIVERY-ENVELOPE", "environmentId", repr(self.j.environment_id), repr(environment)
            )
        webhook = payload.get("webhookId")
        if webhook != facts.id:
            self._add("DELIVERY-ENVELOPE", "webhookId", repr(facts.id), repr(webhook))
        self._event_rules(payload)

    def _schema_problem(self, payload: dict[str, Any]) -> str | None:
        return self.j._schema.problem(payload)

    def _event_rules(self, payload: dict[str, Any]) -> None:
        """The events carried: a test delivery is of the subscription's first type; a
        published event matched the subscription when it was published, and reaches it
        only while it is enabled."""
        data = self._carried(payload)
        items = data if isinstance(data, list) else [data]
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            data_id = item["id"]
            published = self.j.published_at(data_id)
            if published is None:
                if data_id.startswith(TEST_ID_PREFIX) and self.facts.types:
                    wanted = self.facts.types[0]
                    if item.get("analyticsEvent") != wanted:
                        self._add(
                            "API-TEST",
                            "data.analyticsEvent",
                            f"{wanted!r}, the subscription's first type",
                            repr(item.get("analyticsEvent")),
                        )
                continue
            self._filters(item, published)
            if not self.facts.active:
                self._add(
                    "DISABLE-STOPS-DELIVERY",
                    "subscription status",
                    "no delivery while the subscription is disabled",
                    f"event {data_id} sent after the API showed it disabled "
                    f"(+{format_duration(self.facts.t)})",
                )

    def _carried(self, payload: dict[str, Any]) -> Any:
        """The event data the body carries (one, or a batch's list)."""
        return payload.get("data")

    def _filters(self, item: dict[str, Any], published: float) -> None:
        at_publication = self.j.versions_at(self.facts.id, published)
        first_shown = at_publication[0].t if at_publication else published
        if first_shown > published + _SAME_INSTANT:
            self._add(
                "NOTHING-LOST",
                f"event {item['id']}",
                "only events published after the subscription was created",
                f"an event published at +{format_duration(published)}, before the API first "
                f"showed the subscription (+{format_duration(first_shown)})",
            )
            return
        problems = [_filter_problem(v, item) for v in at_publication]
        if all(problems):
            clause, expected, got = problems[0]  # type: ignore[misc]
            self._add(clause, f"event {item['id']}", expected, got)


def _filter_problem(facts: SubscriptionFacts, item: dict[str, Any]) -> tuple[str, str, str] | None:
    """Why the subscription (as it was then) would not have asked for this event."""
    if not facts.active:
        return (
            "DISABLED-NOT-ATTEMPTED",
            "no delivery of an event published while the subscription was disabled",
            "it was disabled when the event was published",
        )
    event_type = item.get("analyticsEvent")
    if facts.types and event_type not in facts.types:
        return ("FILTER-TYPES", f"one of {list(facts.types)}", repr(event_type))
    if facts.card_template_id is not None:
        card = item["cardContext"] if isinstance(item.get("cardContext"), dict) else {}
        template = card.get("cardTemplateId")
        if str(template) != facts.card_template_id:
            return (
                "FILTER-CARD-TEMPLATE",
                f"cardContext.cardTemplateId {facts.card_template_id!r}",
                repr(template),
            )
    if facts.action_flow_config_id is not None:
        context = item.get("platformContext")
        flow = context.get("flowConfigId") if isinstance(context, dict) else None
        if str(flow) != facts.action_flow_config_id:
            return (
                "FILTER-ACTION-FLOW",
                f"platformContext.flowConfigId {facts.action_flow_config_id!r}",
                repr(flow),
            )
    return None


def _data_copies(body: bytes, payload: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Each event id in the body with the exact bytes of its `data` (batched: of each
    element), for comparing copies. Empty when the envelope is not one to compare."""
    data = payload.get("data")
    at = body.find(_DATA_KEY)
    if at < 0 or not body.endswith(b"}"):
        return []
    raw = body[at + len(_DATA_KEY) : -1]
    if isinstance(data, dict):
        data_id = data.get("id")
        return [(data_id, raw)] if isinstance(data_id, str) else []
    if isinstance(data, list):
        return _elements(raw, data)
    return []


def _elements(raw: bytes, data: Sequence[Any]) -> list[tuple[str, bytes]]:
    decoder = json.JSONDecoder()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []
    found: list[tuple[str, bytes]] = []
    position = 1  # after "["
    for item in data:
        try:
            _, end = decoder.raw_decode(text, position)
        except ValueError:
            return found
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            found.append((item["id"], text[position:end].encode("utf-8")))
        position = end + 1  # the comma
    return found


def _first_difference(a: bytes, b: bytes) -> str:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f" from byte {index} ({a[index : index + 24]!r} vs {b[index : index + 24]!r})"
    return f" in length ({len(a)} vs {len(b)} bytes)"


_Run.checks = _Checks
