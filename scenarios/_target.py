"""Target mode: scenarios against an implementation of the platform that hooksim did not
write, reached over HTTP only (`hooksim run --target URL`).

The target serves the management API (`openapi.yaml`) and, in its test build, the control
contract (`control.yaml`, `CONTROL.md`): each scenario starts with `POST /_sim/reset`,
publishes through `/_sim/events` and moves time through `/_sim/clock/advance`. Receivers are
real HTTP servers on 127.0.0.1 (`_listener.py`), scripted on the target's clock as
`GET /_sim/clock` tells it.

What happened to deliveries is judged from what those receivers saw (arrival time, answer,
raw bytes), never from what the target says about itself: its delivery log and delivery
states add detail (the log's redacted headers; why something ended undelivered) and are
checked against the receivers, but decide nothing on their own.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import requests
from hooksim.simulator import (
    CONTRACT_NAME,
    ApiClient,
    AttemptRecord,
    Delivery,
    DeliveryState,
    Outcome,
    Profile,
    Settings,
    classify_status,
    format_time,
    parse_time,
)

from ._backend import BackendHooks, SubscriptionState, WSGIApp, subscription_from_api
from ._errors import NotApplicable, ScenarioError, StepFailed
from ._gateway import USER_AGENT, ApiGateway, HttpGateway, basic_auth
from ._listener import HttpReceiver, ReceiverListener
from ._receivers import Received
from ._requirements import Needs
from ._results import ExpectationResult, TargetInfo

__all__ = ["TargetBackend", "TargetError", "TargetSession"]

#: At most this many events per `POST /_sim/events` and seconds per advance (control.yaml).
_PUBLISH_CHUNK = 1000
_ADVANCE_CHUNK = 366 * 86400.0
_TIMEOUT = 600.0
_DEFAULTS = Settings()
CONSISTENCY = "the target's delivery records agree with what its receivers saw"


class TargetError(ScenarioError):
    """The target cannot be driven at all (unreachable, wrong credentials, no control
    contract): a usage problem, reported before any scenario runs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TargetSession:
    """One implementation under test for a whole run."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        environment: str | None = None,
        start: float | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.start = start
        self._http = requests.Session()
        # Only what hooksim means to send: a scenario may leave out a header on purpose.
        self._http.headers.clear()
        self._caller = ApiClient(client_id, client_secret, "workbench", environment or "")
        self._token = self._login()
        capabilities = self._capabilities()
        self.operations = set(capabilities.get("operations", []))
        self.features = set(capabilities.get("features", []))
        self.settings = set(capabilities.get("settings", []))
        implementation = capabilities.get("implementation") or {}
        self.info = TargetInfo(
            self.url,
            f"{implementation.get('name', 'unknown')} {implementation.get('version', '?')}".strip(),
            str(capabilities.get("contract")),
        )
        self.environment = environment
        # The client's id and secret stay out: the reproduce command is printed and written
        # to reports; `hooksim run` reads them from HOOKSIM_CLIENT_ID/SECRET.
        self.options = ("--target", self.url) + (
            ("--environment", environment) if environment else ()
        )
        self._listener: ReceiverListener | None = None
        self._scenarios = itertools.count(1)
        self._run = uuid.uuid4().hex[:8]

    # talking to the target's control contract ------------------------------------------
    def _login(self) -> str:
        try:
            answer = self._http.post(
                self.url + "/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers={
                    "User-Agent": USER_AGENT,
                    "Authorization": basic_auth(self._caller.client_id, self._caller.secret),
                },
                timeout=30,
            )
        except requests.RequestException as exc:
            raise TargetError(
                f"--target {self.url}: cannot reach it ({type(exc).__name__}); is it running?"
            ) from None
        if answer.status_code in (400, 401, 403):
            raise TargetError(
                f"--target {self.url}: POST /oauth2/token answered {answer.status_code}: check "
                "--client-id and --client-secret (a client of role workbench)"
            )
        if answer.status_code != 200:
            # Not a refusal of the client: the URL is likely not the platform's API root.
            raise TargetError(
                f"--target {self.url}: POST /oauth2/token answered {answer.status_code}: is "
                "this the root of the platform's API (where /oauth2/token and /_sim are)?"
            )
        try:
            return str(answer.json()["access_token"])
        except (ValueError, KeyError, TypeError):
            raise TargetError(
                f"--target {self.url}: POST /oauth2/token gave no access_token"
            ) from None

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A control-contract call with the caller's own token (a fresh one if it expired)."""
        for _ in range(2):
            headers = {"User-Agent": USER_AGENT, "Authorization": f"Bearer {self._token}"}
            try:
                answer = self._http.request(
                    method, self.url + path, headers=headers, timeout=_TIMEOUT, **kwargs
                )
            except requests.RequestException as exc:
                raise StepFailed(f"{method} {path}: the target did not answer ({exc})") from None
            if answer.status_code != 401:
                return answer
            self._token = self._login()
        return answer

    def _capabilities(self) -> dict[str, Any]:
        answer = self.control("GET", "/_sim")
        try:
            data = answer.json()["data"]
        except (ValueError, KeyError, TypeError):
            data = None
        if answer.status_code != 200 or not isinstance(data, dict):
            raise TargetError(
                f"--target {self.url}: GET /_sim answered {answer.status_code}: the target does "
                "not serve the control contract (contracts/CONTROL.md says what a test build "
                "must serve)"
            )
        if data.get("contract") != CONTRACT_NAME:
            raise TargetError(
                f"--target {self.url}: it serves control contract {data.get('contract')!r}; "
                f"this hooksim speaks {CONTRACT_NAME!r}"
            )
        return data

    @property
    def listener(self) -> ReceiverListener:
        if self._listener is None:
            self._listener = ReceiverListener()
        return self._listener

    # what scenarios need -----------------------------------------------------------------
    def requirements_missing(self, needs: Needs) -> str | None:
        for operation, why in needs.operations.items():
            if operation not in self.operations:
                return f"the target does not serve {operation} ({why})"
        for feature, why in needs.features.items():
            if feature not in self.features:
                return f"the target does not offer control feature {feature!r} ({why})"
        for setting, why in needs.settings.items():
            if setting not in self.settings:
                return f"the target does not accept setting {setting!r} ({why})"
        return None

    def open(
        self,
        *,
        seed: int,
        settings: Settings,
        receivers: Mapping[str, WSGIApp],
        hooks: BackendHooks,
        start: float | None = None,
        profile: Profile | None = None,
    ) -> TargetBackend:
        if profile is not None and profile.name != "atomic":
            raise NotApplicable(
                f"profile {profile.name}: the control contract drives platforms of the Atomic "
                "Webhooks API; another sender's profile runs on hooksim's own platform only"
            )
        number = next(self._scenarios)
        return TargetBackend(self, seed, settings, receivers, hooks, number, start)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._http.close()


class TargetBackend:
    """One scenario on the target: reset, then driven through its API and controls."""

    def __init__(
        self,
        session: TargetSession,
        seed: int,
        settings: Settings,
        receivers: Mapping[str, WSGIApp],
        hooks: BackendHooks,
        number: int,
        start: float | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.receivers: dict[str, Any] = dict(receivers)  # recording WSGI apps
        self._hooks = hooks
        body: dict[str, Any] = {"seed": seed, "settings": _changed(settings)}
        if session.environment:
            body["environmentId"] = session.environment
        start = start if start is not None else session.start
        if start is not None:
            body["start"] = format_time(start)
        answer = session.control("POST", "/_sim/reset", json=body)
        data = _data(answer)
        if answer.status_code == 400 and _field(answer).startswith("settings"):
            raise NotApplicable(f"the target refused the scenario's settings: {_message(answer)}")
        if answer.status_code != 200 or not isinstance(data, dict):
            raise StepFailed(f"POST /_sim/reset answered {answer.status_code}: {_message(answer)}")
        self.environment_id = str(data["environmentId"])
        clients = {
            role: ApiClient(c["clientId"], c["clientSecret"], role, self.environment_id)
            for role, c in data["clients"].items()
        }
        self.api: ApiGateway = HttpGateway(
            session.url, self.environment_id, clients, session=session._http
        )
        self.start = self.now()
        self._prefix = f"{session._run}-{number}"
        self._bases = {
            name: session.listener.mount(f"{self._prefix}/{name}", HttpReceiver(receiver))
            for name, receiver in self.receivers.items()
        }
        self._subscriptions: dict[str, dict[str, Any]] = {}

    # time and events ---------------------------------------------------------------------
    def now(self) -> float:
        answer = self.api.call("GET", "/_sim/clock", observe=False)
        if answer.status != 200:
            raise StepFailed(answer.summary())
        return _instant(answer.body["data"])

    def receiver_url(self, name: str, path: str = "") -> str:
        return self._bases[name] + path

    def publish(
        self, event_type: str, *, count: int, overrides: Mapping[str, Any] | None
    ) -> list[str]:
        ids: list[str] = []
        while len(ids) < count:
            chunk = min(_PUBLISH_CHUNK, count - len(ids))
            body: dict[str, Any] = {"type": event_type, "count": chunk}
            if overrides:
                body["overrides"] = dict(overrides)
            answer = self.api.call("POST", "/_sim/events", body=body)
            if answer.status != 200:
                raise StepFailed(answer.summary())
            ids += [str(i) for i in answer.body["data"]["eventIds"]]
        return ids

    def advance(self, seconds: float) -> None:
        before = self.now()
        left = seconds
        while left > 0 or seconds == 0:
            step = min(left, _ADVANCE_CHUNK)
            answer = self.api.call("POST", "/_sim/clock/advance", body={"seconds": step})
            if answer.status != 200:
                raise StepFailed(answer.summary())
            left -= step
            if seconds == 0:
                break
        self._hooks.clock_advanced(before, before + seconds)

    def run_pending(self) -> None:
        before = self.now()
        answer = self.api.call("POST", "/_sim/clock/advance", body={"idle": True})
        if answer.status != 200:
            raise StepFailed(answer.summary())
        self._hooks.clock_advanced(before, _instant(answer.body["data"]))

    def inject_duplicate(self, event_id: str, subscription_id: str | None) -> None:
        body: dict[str, Any] = {"eventId": event_id}
        if subscription_id is not None:
            body["subscriptionId"] = subscription_id
        answer = self.api.call("POST", "/_sim/duplicates", body=body)
        if answer.status != 200:
            raise StepFailed(answer.summary())

    def require(self, feature: str, why: str) -> None:
        if feature not in self.session.features:
            raise NotApplicable(f"the target does not offer control feature {feature!r} ({why})")

    # what happened, as the receivers saw it ----------------------------------------------
    def _seen(self) -> list[tuple[str, Received, dict[str, Any] | None]]:
        """Every request the platform sent to a receiver, in arrival order, with its body."""
        seen = [
            (name, record, _json(record.body))
            for name, receiver in self.receivers.items()
            for record in receiver.requests
            if record.source == "platform"
        ]
        seen.sort(key=lambda item: (item[1].t, item[1].number))
        return seen

    def _subscription_of(self, receiver: str, payload: dict[str, Any] | None) -> str | None:
        webhook = payload.get("webhookId") if payload else None
        if webhook is not None:
            return str(webhook)
        base = self._bases[receiver]
        pointing = [
            s for s, d in self._subscriptions.items() if str(d.get("url", "")).startswith(base)
        ]
        return pointing[0] if len(pointing) == 1 else None

    def attempts(
        self, *, subscription_id: str | None = None, kinds: tuple[str, ...]
    ) -> list[AttemptRecord]:
        log = self._log()
        by_request = {str(row.get("requestId")): row for row in log}
        mapped = self._mapped()
        timeout = self.settings.timeout
        acknowledged: set[tuple[str, str]] = set()
        tries: dict[tuple[str, str], int] = {}
        rows: list[AttemptRecord] = []
        seen_requests: set[str] = set()
        for receiver, record, payload in self._seen():
            sub = self._subscription_of(receiver, payload)
            events = _event_ids(payload)
            if sub is None or sub in mapped or not events:
                continue
            outcome, status, duration = _outcome(record, timeout)
            pairs = [(event, sub) for event in events]
            if events[0].startswith("test-"):
                kind, attempt = "test", 0
            elif all(pair in acknowledged for pair in pairs):
                kind, attempt = "duplicate", tries.get(pairs[0], 0)
            else:
                kind = "delivery"
                attempt = tries[pairs[0]] = tries.get(pairs[0], 0) + 1
            if outcome is Outcome.SUCCESS:
                acknowledged.update(pairs)
            request_id = str(payload.get("requestId", "")) if payload else ""
            seen_requests.add(request_id)
            if kind not in kinds or subscription_id not in (None, sub):
                continue
            started = self.start + record.t
            logged = by_request.get(request_id, {})
            rows.append(
                AttemptRecord(
                    environment_id=self.environment_id,
                    event_id=events[0],
                    subscription_id=sub,
                    attempt=attempt,
                    kind=kind,
                    scheduled_at=started,
                    started_at=started,
                    finished_at=started + duration,
                    outcome=outcome,
                    status_code=status,
                    duration=duration,
                    request_id=request_id,
                    method=record.method,
                    url=self._bases[receiver],
                    headers=dict(logged.get("headers") or {}),
                    error=None,
                    body=record.body,
                    event_ids=tuple(events) if len(events) > 1 else (),
                )
            )
        # What no receiver can tell: an attempt that never left the platform (outcome
        # `error`: a mapping that failed, a credential it could not get), and a mapped
        # body, whose shape is the template's (which event it carries is unknown).
        for row in log:
            sub = str(row.get("subscriptionId"))
            never_left = row.get("outcome") == "error" and row.get("requestId") not in seen_requests
            wanted = row.get("kind") in kinds and subscription_id in (None, sub)
            if wanted and (sub in mapped or never_left):
                rows.append(_logged(row, self.environment_id))
        rows.sort(key=lambda r: r.started_at)
        return rows

    def _mapped(self) -> set[str]:
        return {s for s, d in self._subscriptions.items() if d.get("mapping")}

    def _log(self) -> list[dict[str, Any]]:
        """The target's delivery log (empty when it offers none)."""
        if "delivery-log" not in self.session.features:
            return []
        answer = self.api.call("GET", "/_sim/deliveries", observe=False)
        rows = answer.body.get("data", []) if isinstance(answer.body, dict) else []
        return [row for row in rows if isinstance(row, dict)]

    def _acknowledged(self) -> dict[tuple[str, str], float]:
        """(event, subscription) pairs a receiver answered 2xx in time, with when."""
        found: dict[tuple[str, str], float] = {}
        for row in self.attempts(kinds=("delivery", "duplicate")):
            if row.outcome is Outcome.SUCCESS:
                for event in row.event_ids or (row.event_id,):
                    found.setdefault((event, row.subscription_id), row.started_at)
        return found

    def _states(self) -> list[dict[str, Any]]:
        answer = self.api.call("GET", "/_sim/delivery-states", observe=False)
        if answer.status != 200:
            raise StepFailed(answer.summary())
        return [row for row in answer.body.get("data", []) if isinstance(row, dict)]

    def deliveries(self) -> list[Delivery]:
        acknowledged = self._acknowledged()
        result = {
            pair: Delivery(
                pair[0],
                pair[1],
                self.environment_id,
                when,
                DeliveryState.DELIVERED,
                ended_at=when,
            )
            for pair, when in acknowledged.items()
        }
        if "delivery-states" in self.session.features:
            mapped = self._mapped()
            for row in self._states():
                pair = (str(row["eventId"]), str(row["subscriptionId"]))
                if pair in result:
                    continue  # a receiver acknowledged it: delivered, whatever the record says
                state = DeliveryState(row["state"])
                reason = row.get("reason")
                if state is DeliveryState.DELIVERED and pair[1] not in mapped:
                    # Claimed, but no receiver saw it arrive.
                    state, reason = DeliveryState.PENDING, "recorded delivered, never received"
                ended = row.get("endedAt")
                result[pair] = Delivery(
                    pair[0],
                    pair[1],
                    self.environment_id,
                    self.start,
                    state,
                    reason=reason,
                    ended_at=parse_time(str(ended)) if ended else None,
                )
        return list(result.values())

    def subscription_state(self, subscription_id: str) -> SubscriptionState | None:
        self.after_step()
        data = self._subscriptions.get(subscription_id)
        if data is None:
            return None
        return SubscriptionState(
            str(data.get("status", "active")),
            data.get("disabledReason"),
            int(data.get("consecutiveFailures") or 0),
        )

    def event_data(self, event_id: str) -> dict[str, Any]:
        for _, _, payload in self._seen():
            data = payload.get("data") if payload else None
            if isinstance(data, dict) and str(data.get("id")) == event_id:
                return data
        raise NotApplicable(
            f"no receiver got event {event_id!r}, so its data is unknown to hooksim here"
        )

    def subscription_matches(self, subscription_id: str, data: dict[str, Any]) -> bool:
        known = self._subscriptions.get(subscription_id)
        if known is None:
            return False
        return subscription_from_api(known, self.environment_id).matches(data)

    def after_step(self) -> None:
        """Poll the subscriptions: their status changes become the scenario's history, at
        the times the target's `updated` stamps give."""
        answer = self.api.call("GET", "/v1/{env}/webhook", observe=False)
        if answer.status != 200 or not isinstance(answer.body, dict):
            return
        now: float | None = None
        listed = {str(s["id"]): s for s in answer.body.get("data", []) if isinstance(s, dict)}
        for sub_id, data in listed.items():
            before = self._subscriptions.get(sub_id)
            status = str(data.get("status", "active"))
            if before is None:
                self._hooks.status_changed(
                    _time(data, "created", self.start), sub_id, "active", None
                )
                if status != "active":
                    self._hooks.status_changed(
                        _time(data, "updated", self.start),
                        sub_id,
                        status,
                        data.get("disabledReason"),
                    )
            elif before.get("status") != status:
                reason = data.get("disabledReason") if status == "disabled" else None
                self._hooks.status_changed(
                    _time(data, "updated", self.start), sub_id, status, reason
                )
        for sub_id in set(self._subscriptions) - set(listed):
            now = now if now is not None else self.now()
            self._hooks.status_changed(now, sub_id, "deleted", None)
        self._subscriptions = listed

    def extra_results(self) -> list[ExpectationResult]:
        """The target's delivery states against the receivers: a delivery it recorded
        delivered that no receiver acknowledged was lost (NOTHING-LOST); one a receiver
        acknowledged that it recorded undelivered is a wrong record."""
        if "delivery-states" not in self.session.features:
            return []
        acknowledged = self._acknowledged()
        observed = {
            s
            for s, d in self._subscriptions.items()
            if self._receiver_of(d) is not None and not d.get("mapping")
        }
        problems = []
        for row in self._states():
            pair = (str(row["eventId"]), str(row["subscriptionId"]))
            if pair[1] not in observed:
                continue
            if row["state"] == "delivered" and pair not in acknowledged:
                problems.append(f"{pair[0]} to {pair[1]}: recorded delivered, never acknowledged")
            if row["state"] == "undelivered" and pair in acknowledged:
                problems.append(
                    f"{pair[0]} to {pair[1]}: recorded undelivered ({row.get('reason')}), but "
                    f"a receiver acknowledged it at +{acknowledged[pair] - self.start:g} s"
                )
        return [
            ExpectationResult(
                description=CONSISTENCY,
                passed=not problems,
                expected={"disagreements": 0},
                actual={"disagreements": len(problems)},
                t=0.0,
                message="; ".join(problems[:20]) or None,
            )
        ]

    def _receiver_of(self, data: dict[str, Any]) -> str | None:
        url = str(data.get("url", ""))
        for name, base in self._bases.items():
            if url.startswith(base):
                return name
        return None

    def close(self) -> None:
        for name in self._bases:
            self.session.listener.unmount(f"{self._prefix}/{name}")


# reading what receivers saw --------------------------------------------------------------
def _outcome(record: Received, timeout: float) -> tuple[Outcome, int | None, float]:
    """How the attempt ended for the platform, from the receiver's side: what it answered
    and how long it said it took."""
    if record.outcome == "refused":
        return Outcome.REFUSED, None, 0.0
    if record.outcome == "reset":
        return Outcome.RESET, None, 0.0
    if record.outcome == "hang" or record.latency > timeout:
        return Outcome.TIMEOUT, None, timeout
    status = record.status if record.status is not None else 0
    return classify_status(status), record.status, record.latency


def _event_ids(payload: dict[str, Any] | None) -> list[str]:
    if not payload:
        return []
    data = payload.get("data")
    if isinstance(data, dict):
        return [str(data["id"])] if "id" in data else []
    if isinstance(data, list):
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]
    return []


def _instant(clock: dict[str, Any]) -> float:
    """A clock answer's time: its exact `seconds` when given, else `now` (milliseconds)."""
    seconds = clock.get("seconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return float(seconds)
    return parse_time(str(clock["now"]))


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _time(data: Mapping[str, Any], key: str, default: float) -> float:
    try:
        return parse_time(str(data[key]))
    except (KeyError, ValueError):
        return default


def _changed(settings: Settings) -> dict[str, Any]:
    """Only what differs from the contract's defaults: a target need not know every name."""
    changed = {}
    for field in fields(Settings):
        value = getattr(settings, field.name)
        if value != getattr(_DEFAULTS, field.name):
            changed[field.name] = list(value) if isinstance(value, tuple) else value
    return changed


def _data(answer: requests.Response) -> Any:
    try:
        return answer.json().get("data")
    except (ValueError, AttributeError):
        return None


def _error(answer: requests.Response) -> dict[str, Any]:
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _field(answer: requests.Response) -> str:
    return str(_error(answer).get("field") or "")


def _message(answer: requests.Response) -> str:
    return str(_error(answer).get("message") or answer.text[:300])


def _logged(row: dict[str, Any], environment_id: str) -> AttemptRecord:
    """A delivery log row of the control contract, as hooksim's own log keeps it."""
    started = parse_time(str(row["time"]))
    finished = _time(row, "finishedAt", started)
    ids = tuple(str(i) for i in row.get("eventIds") or ())
    return AttemptRecord(
        environment_id=environment_id,
        event_id=str(row["eventId"]),
        subscription_id=str(row["subscriptionId"]),
        attempt=int(row.get("attempt") or 0),
        kind=str(row.get("kind", "delivery")),
        scheduled_at=started,
        started_at=started,
        finished_at=finished,
        outcome=Outcome(row.get("outcome", "error")),
        status_code=row.get("statusCode"),
        duration=float(row.get("durationMs") or 0.0) / 1000,
        request_id=str(row.get("requestId", "")),
        method="",
        url="",
        headers=dict(row.get("headers") or {}),
        error=row.get("error"),
        body=b"",
        event_ids=ids if len(ids) > 1 else (),
    )
