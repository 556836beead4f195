"""Reading scenario files: YAML (with positions) → schema check → reference checks → model.

Nothing runs until a file has passed all three; every problem is reported as
`file:line:column: yaml.path: what was expected`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib.abc import Traversable
from pathlib import Path as FsPath
from typing import Any

from hooksim.contracts import CLAUSES
from hooksim.simulator import HooksimError, InvalidInput, Settings, format_duration, parse_duration

from ._errors import Problem, ScenarioInputError
from ._marks import Bounds, Document, Path, format_path, parse_document
from ._model import Expectation, Phase, ReceiverSpec, Response, Scenario, Step, SubscriptionSpec
from ._probe import Probe, without_runtime_values
from ._profiles import load_profile, profile_names
from ._validation import did_you_mean, schema_problems

__all__ = [
    "RECEIVER_BASE_URL",
    "ScenarioLimits",
    "load_scenario",
    "load_text",
    "receiver_url",
]

#: In-process receivers are mounted below this URL, one path per receiver name.
RECEIVER_BASE_URL = "https://receivers.hooksim.test/"

_SUBSCRIPTION_STEPS = ("disable", "enable", "delete", "test", "get")
_API_STEPS = (
    "subscribe",
    "update",
    *_SUBSCRIPTION_STEPS,
    "list",
    "fetch_analytics",
    "credential",
    "token",
    "api",
    "forge",
)
_ACTIONS = (
    "publish",
    "advance",
    "subscribe",
    "update",
    *_SUBSCRIPTION_STEPS,
    "list",
    "fetch_analytics",
    "replay",
    "inject_duplicate",
    "set_behaviour",
    "credential",
    "token",
    "api",
    "forge",
    "expect",
)
_EXPECTATIONS = (
    "attempts",
    "delivered",
    "undelivered",
    "receiver",
    "subscription",
    "analytics",
    "response",
)
_DURATION_SETTINGS = ("retry_base", "retry_window", "max_delay", "timeout", "mapping_timeout")
#: Keys of a step beside its action: when it starts, and how it repeats.
_STEP_KEYS = ("at", "every", "until")
#: Steps that may repeat (`every`/`until`): each repetition does the same thing again.
_REPEATABLE = ("publish", "inject_duplicate", "test", "forge", "api")
#: One repeated step runs at most this many times (a typo in `every` should not hang a run).
_MAX_REPEATS = 100_000


def _durations_in(value: Any) -> Any:
    """Durations as seconds, in a duration, a list of them, or a list matcher of them."""
    if isinstance(value, list):
        return [parse_duration(v) for v in value]
    if isinstance(value, dict):
        ((matcher, argument),) = value.items()
        if matcher == "$count":
            return {matcher: {parse_duration(k): n for k, n in argument.items()}}
        return {matcher: _durations_in(argument)}
    return parse_duration(value)


@dataclass(frozen=True, slots=True)
class ScenarioLimits:
    """How much a scenario file may hold. A file past a limit is refused before anything
    runs, naming the line where it went past, in a bounded time and memory: YAML lets a
    small file stand for a huge document (aliases: ten nested nine deep are a billion
    values), and parsing, checking and building all cost in proportion to the document.

    The defaults are far above any scenario written by hand (the bundled library's largest
    file holds under 400 values); each can be raised, or lowered, with an environment
    variable (`from_environment`): HOOKSIM_SCENARIO_MAX_BYTES, ..._MAX_DEPTH, ..._MAX_VALUES,
    ..._MAX_ITEMS.
    """

    #: The file's size.
    max_bytes: int = 1024 * 1024
    #: Lists and mappings nested in one another.
    max_depth: int = 64
    #: Values (each scalar, list and mapping) once aliases are expanded.
    max_values: int = 20_000
    #: Entries in one list or mapping.
    max_items: int = 5_000

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ScenarioLimits:
        """The defaults, with HOOKSIM_SCENARIO_MAX_<NAME> where set (a whole number >= 1)."""
        values: dict[str, int] = {}
        for item in fields(cls):
            variable = "HOOKSIM_SCENARIO_" + item.name.upper()
            text = environ.get(variable)
            if text is None or not text.strip():
                continue
            try:
                value = int(text.strip().replace("_", ""))
            except ValueError:
                value = 0
            if value < 1:
                raise ScenarioInputError(f"{variable}={text!r}: expected a whole number >= 1")
            values[item.name] = value
        return cls(**values)

    @property
    def bounds(self) -> Bounds:
        return Bounds(self.max_depth, self.max_values, self.max_items)


def receiver_url(name: str, path: str = "") -> str:
    return RECEIVER_BASE_URL + name + path


def load_scenario(
    path: FsPath | Traversable, file: str, limits: ScenarioLimits | None = None
) -> Scenario:
    """Load the scenario at `path`; `file` is how results and errors name it. `limits`:
    ScenarioLimits.from_environment() when not given."""
    limits = limits or ScenarioLimits.from_environment()
    try:
        with path.open("rb") as stream:
            # Never more than the limit (and a byte to know it was passed) in memory.
            raw = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        raise ScenarioInputError(
            [Problem(file, 1, 1, "", f"cannot read the file: {exc}")]
        ) from None
    if len(raw) > limits.max_bytes:
        raise ScenarioInputError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    f"the file is larger than {limits.max_bytes} bytes (a limit: "
                    "HOOKSIM_SCENARIO_MAX_BYTES raises it)",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioInputError(
            [Problem(file, 1, 1, "", f"cannot read the file: {exc}")]
        ) from None
    return load_text(text, file, limits)


def load_text(text: str, file: str, limits: ScenarioLimits | None = None) -> Scenario:
    """Load a scenario from its text; `file` is how results and errors name it. `limits`:
    ScenarioLimits.from_environment() when not given."""
    limits = limits or ScenarioLimits.from_environment()
    if len(text) > limits.max_bytes:  # characters: at most as many as bytes
        raise ScenarioInputError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    f"the scenario is larger than {limits.max_bytes} bytes (a limit: "
                    "HOOKSIM_SCENARIO_MAX_BYTES raises it)",
                )
            ]
        )
    document = parse_document(text, file, limits.bounds)
    if not isinstance(document.value, dict):
        raise ScenarioInputError(
            [document.problem((), "expected a mapping with name, steps, expect, ...")]
        )
    problems = schema_problems(document)
    if problems:
        raise ScenarioInputError(problems)
    builder = _Builder(document)
    scenario = builder.build()
    if builder.problems:
        raise ScenarioInputError(sorted(builder.problems, key=lambda p: (p.line, p.column)))
    return scenario


class _Builder:
    """Turns a schema-valid document into a Scenario, checking what a schema cannot say."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.problems: list[Problem] = []
        self.receivers: set[str] = set()
        self.subscriptions: set[str] = set()
        self.responses: set[str] = set()
        self.events: set[str] = set()
        self.analytics: set[str] = set()
        self.credentials: set[str] = set()
        self.tokens: set[str] = set()
        #: Where each name was first given, by what it names: a second `as: x` would silently
        #: replace the first (and failures would print raw ids), so it is refused.
        self.given: dict[tuple[str, str], Path] = {}
        self.probe = Probe({})
        # The scenario's clock as far as the file tells it, in seconds since its start:
        # exactly (`clock`), or after `advance: idle` only a lower bound (`clock` None).
        self.clock: float | None = 0.0
        self.clock_at_least = 0.0

    def fail(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def name(self, known: set[str], what: str, name: str, path: Path) -> bool:
        """Record a name the file gives (an `as` label, an event id, a subscription); the
        same name given twice for the same kind of thing is refused with both places."""
        first = self.given.setdefault((what, name), path)
        if first is not path:
            line = self.doc.problem(first, "").line
            self.fail(
                path,
                f"{what} {name!r} is already named at {self.doc.file}:{line} "
                f"({format_path(first)}); give this one another name",
            )
            return False
        known.add(name)
        return True

    def refused(self, path: Path, raw: Any, error: HooksimError, what: str) -> None:
        """The platform refused what a step asks for: at the field it names when there is
        one in the file, else at the step."""
        field = getattr(error, "field", None)
        where = (
            (*path, field)
            if isinstance(raw, dict) and isinstance(field, str) and field in raw
            else path
        )
        self.fail(where, f"{what}: {error.message}")

    # time ---------------------------------------------------------------------------
    def advance_by(self, seconds: float, path: Path) -> None:
        error = self.probe.advance(seconds)
        if error is not None:
            self.refused(path, None, error, "the platform refuses to advance that far")
        self.clock_at_least += seconds
        if self.clock is not None:
            self.clock += seconds

    def advance_to(self, moment: float, path: Path) -> None:
        """`at` and `advance: {until}`: the runner advances to `moment`, never back."""
        if moment < self.clock_at_least - 1e-9:
            later = "" if self.clock is not None else " or later (after advance: idle)"
            self.fail(
                path,
                f"cannot go back to {format_duration(moment)}: the clock is already at "
                f"{format_duration(self.clock_at_least)}{later}",
            )
            return
        if self.clock is not None:
            self.advance_by(moment - self.clock, path)
        else:
            self.clock_at_least = moment

    # the document ------------------------------------------------------------------
    def build(self) -> Scenario:
        value: dict[str, Any] = self.doc.value
        scenario = Scenario(
            name=value["name"],
            file=self.doc.file,
            description=value.get("description", "").strip(),
            clauses=list(value.get("clauses", [])),
            seed=value.get("seed"),
        )
        if "profile" in value:
            scenario.profile = self.profile(value["profile"])
        for index, clause in enumerate(scenario.clauses):
            if clause not in CLAUSES:
                hint = did_you_mean(clause, list(CLAUSES))
                self.fail(("clauses", index), f"unknown contract clause {clause!r}{hint}")
        scenario.settings = self.settings(value.get("settings", {}))
        self.probe = Probe(scenario.settings)
        for name, spec in value.get("receivers", {}).items():
            self.receivers.add(name)
            scenario.receivers[name] = ReceiverSpec(
                name=name,
                phases=self.behaviour(spec.get("behaviour", 200), ("receivers", name, "behaviour")),
                verify_signatures=spec.get("verify_signatures", True),
                reject_bad_signatures=spec.get("reject_bad_signatures", False),
                dedupe=spec.get("dedupe", False),
                secret=spec.get("secret"),
                url=spec.get("url"),
                effects_url=spec.get("effects_url"),
            )
            self.check_real_receiver(spec, ("receivers", name))
        for name, spec in value.get("subscriptions", {}).items():
            path: Path = ("subscriptions", name)
            body, receiver = self.subscription_body(spec, path)
            self.check_subscription(body, spec, path)  # the runner needs it created
            self.name(self.subscriptions, "subscription", name, path)
            scenario.subscriptions.append(
                SubscriptionSpec(name, body, receiver, self.doc.span(path))
            )
        for index, step in enumerate(value.get("steps", [])):
            built = self.step(step, ("steps", index))
            if built is not None:
                scenario.steps.append(built)
        scenario.expectations = self.expectations(value.get("expect", []), ("expect",))
        return scenario

    def profile(self, name: str) -> str:
        """A bundled profile's name, or a profile file's path (relative to the scenario
        file's folder); its problems are the scenario's."""
        if name not in profile_names() and ("/" in name or name.endswith((".yaml", ".yml"))):
            path = FsPath(name)
            if not path.is_absolute():
                name = str(FsPath(self.doc.file).parent / path)
        try:
            load_profile(name)
        except ScenarioInputError as exc:
            self.fail(("profile",), exc.message.replace("\n", "; "))
        return name

    def settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        settings = dict(raw)
        for name in _DURATION_SETTINGS:
            if settings.get(name) is not None:
                settings[name] = parse_duration(settings[name])
        if "retry_after_statuses" in settings:
            settings["retry_after_statuses"] = tuple(settings["retry_after_statuses"])
        try:
            Settings(**settings)
        except InvalidInput as exc:
            field = getattr(exc, "field", None)
            where: Path = ("settings", field) if field in raw else ("settings",)
            self.fail(where, exc.message)
        return settings

    # receivers -----------------------------------------------------------------------
    def behaviour(self, raw: Any, path: Path) -> tuple[Phase, ...]:
        items = raw if isinstance(raw, list) else [raw]
        prefix = path if isinstance(raw, list) else None
        return tuple(
            self.phase(item, (*prefix, i) if prefix is not None else path)
            for i, item in enumerate(items)
        )

    def phase(self, raw: Any, path: Path) -> Phase:
        if isinstance(raw, int):
            return Phase(Response(status=raw))
        if isinstance(raw, str):
            return Phase(
                {
                    "ok": Response(),
                    "refuse": Response(fail="refused"),
                    "reset": Response(fail="reset"),
                    "hang": Response(hang=True),
                }[raw]
            )
        failures = [key for key in ("refuse", "reset", "hang") if raw.get(key)]
        if len(failures) > 1:
            self.fail(path, f"choose one of refuse, reset, hang (got {', '.join(failures)})")
        headers = dict(raw.get("headers", {}))
        status = raw.get("status", 200)
        if "redirect" in raw:
            status = raw.get("status", 302)
            if not 300 <= status < 400:
                self.fail((*path, "status"), f"a redirect answers a 3xx status, not {status}")
            headers["Location"] = raw["redirect"]
        if "retry_after" in raw:
            headers["Retry-After"] = f"{parse_duration(raw['retry_after']):g}"
        body = raw.get("body", {"ok": True})
        if not isinstance(body, str | bytes):
            body = json.dumps(body, separators=(",", ":"))
        response = Response(
            status=status,
            latency=parse_duration(raw.get("latency", 0)),
            hang=bool(raw.get("hang")),
            fail="refused" if raw.get("refuse") else "reset" if raw.get("reset") else None,
            headers=tuple(headers.items()),
            body=body.encode() if isinstance(body, str) else body,
        )
        start = parse_duration(raw["from"]) if "from" in raw else None
        end = parse_duration(raw["until"]) if "until" in raw else None
        if start is not None and end is not None and end <= start:
            self.fail((*path, "until"), "`until` must come after `from`")
        every = parse_duration(raw["every"]) if "every" in raw else None
        window = parse_duration(raw["for"]) if "for" in raw else None
        if (every is None) != (window is None):
            given, missing = ("every", "for") if every is not None else ("for", "every")
            self.fail(
                (*path, given),
                f"a periodic window needs both `every` and `for` (`{missing}` is missing): "
                "every: 1h, for: 30s is a 30-second window at the top of every hour",
                key=True,
            )
        elif every is not None and window is not None and not 0 < window < every:
            self.fail(
                (*path, "for"),
                f"`for` ({format_duration(window)}) must be more than 0 and less than "
                f"`every` ({format_duration(every)})",
            )
        methods = raw.get("method")
        if isinstance(methods, str):
            methods = [methods]
        return Phase(
            response,
            start=start,
            end=end,
            requests=self.range(raw, "requests", path),
            attempts=self.range(raw, "attempts", path),
            probability=raw.get("probability"),
            every=every if window is not None else None,
            window=window if every is not None else None,
            methods=tuple(m.upper() for m in methods) if methods else None,
        )

    def range(self, raw: dict[str, Any], key: str, path: Path) -> tuple[int, int | None] | None:
        if key not in raw:
            return None
        value = raw[key]
        if isinstance(value, int):
            return (value, value)
        low, _, high = value.replace(" ", "").partition("-")
        bounds = (int(low), int(high) if high else (None if "-" in value else int(low)))
        if bounds[0] < 1 or (bounds[1] is not None and bounds[1] < bounds[0]):
            self.fail((*path, key), f"expected a range like 1-3 starting at 1, got {value!r}")
        return bounds

    def check_real_receiver(self, spec: dict[str, Any], path: Path) -> None:
        """A real receiver (`url`) answers for itself: nothing about it is scripted."""
        if "url" not in spec:
            if "effects_url" in spec:
                self.fail(
                    (*path, "effects_url"),
                    "effects_url goes with url (a real receiver's own bookkeeping)",
                    key=True,
                )
            return
        for key in ("behaviour", "verify_signatures", "reject_bad_signatures", "dedupe"):
            if key in spec:
                self.fail(
                    (*path, key),
                    f"a real receiver (url) answers for itself: `{key}` scripts a simulated one; "
                    "remove it, or remove url",
                    key=True,
                )

    # subscriptions -------------------------------------------------------------------
    def subscription_body(
        self, raw: dict[str, Any], path: Path
    ) -> tuple[dict[str, Any], str | None]:
        body = {k: v for k, v in raw.items() if k not in ("receiver", "path", "as", "count")}
        receiver = raw.get("receiver")
        if receiver is not None:
            self.need(self.receivers, receiver, (*path, "receiver"), "receiver")
            if "url" in raw:
                self.fail((*path, "url"), "give either `receiver` or `url`, not both")
            body["url"] = receiver_url(receiver, raw.get("path", ""))
        elif "path" in raw:
            self.fail((*path, "path"), "`path` goes with `receiver`")
        return body, receiver

    def check_subscription(
        self, body: dict[str, Any], raw: dict[str, Any], path: Path, *, creating: bool = True
    ) -> None:
        probe = without_runtime_values(body)
        error = self.probe.subscribe(probe) if creating else self.probe.update(probe)
        if error is not None:
            self.refused(path, raw, error, "the platform refuses this subscription")

    def need(self, known: set[str], name: str, path: Path, what: str) -> None:
        if name not in known:
            hint = did_you_mean(name, known)
            listed = ", ".join(sorted(known)) or "none so far"
            self.fail(path, f"unknown {what} {name!r}{hint}; defined: {listed}")

    # steps -------------------------------------------------------------------------
    def step(self, raw: dict[str, Any], path: Path) -> Step | None:
        actions = [key for key in raw if key not in _STEP_KEYS]
        at = parse_duration(raw["at"]) if "at" in raw else None
        span = self.doc.span(path)
        every, until = self.repetition(raw, actions, path, at)
        if not actions:
            if at is not None:
                self.advance_to(at, (*path, "at"))
            return Step("at", {}, span, at)
        if len(actions) > 1:
            self.fail(
                (*path, actions[1]),
                f"a step does one thing; this one has {', '.join(actions)} "
                "(split it into several steps)",
                key=True,
            )
            return None
        if at is not None:
            self.advance_to(at, (*path, "at"))
        kind = actions[0]
        args = getattr(self, f"step_{kind}")(raw[kind], (*path, kind))
        if kind in _API_STEPS and args.get("label"):
            self.name(self.responses, "response", args["label"], (*path, kind, "as"))
        if every is not None and kind not in _REPEATABLE:
            self.fail(
                (*path, "every"),
                f"a {kind} step cannot repeat; `every` goes with "
                + ", ".join(_REPEATABLE),
                key=True,
            )
        if every is not None and kind == "publish" and args["ids"]:
            self.fail(
                (*path, "every"),
                "a repeated publish makes new events each time: give `as` (a label for all "
                "of them), not `id`/`ids`",
                key=True,
            )
        step = Step(kind, args, span, at, every, until)
        if every is not None:  # the clock ends at the step's last repetition
            first = self.clock if self.clock is not None else self.clock_at_least
            self.advance_to(step.times(first)[-1], (*path, "every"))
        return step

    def repetition(
        self, raw: dict[str, Any], actions: list[str], path: Path, at: float | None
    ) -> tuple[float | None, float | None]:
        """`every` and `until` beside an action: repeat it from its time until before `until`."""
        if "every" not in raw and "until" not in raw:
            return None, None
        if "every" not in raw or "until" not in raw:
            missing = "until" if "every" in raw else "every"
            given = "every" if "every" in raw else "until"
            self.fail(
                (*path, given),
                f"a repeated step needs both `every` and `until` (`{missing}` is missing): "
                "every: 5m, until: 6h",
                key=True,
            )
            return None, None
        every, until = parse_duration(raw["every"]), parse_duration(raw["until"])
        if every <= 0:
            self.fail((*path, "every"), "`every` must be more than 0")
            return None, None
        if at is not None and until <= at:
            self.fail(
                (*path, "until"),
                f"`until` ({format_duration(until)}) must come after `at` ({format_duration(at)})",
            )
        if not actions:
            self.fail(path, "`every` repeats an action: add one (publish, inject_duplicate...)")
        if (until - (at or 0.0)) / every > _MAX_REPEATS:
            self.fail(
                (*path, "every"),
                f"repeating every {format_duration(every)} until {format_duration(until)} runs "
                f"the step more than {_MAX_REPEATS:,} times",
            )
        return every, until

    def step_publish(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        ids = raw.get("ids") or ([raw["id"]] if "id" in raw else None)
        if "id" in raw and "ids" in raw:
            self.fail((*path, "id"), "give `id` or `ids`, not both")
        count = raw.get("count", len(ids) if ids else 1)
        if ids is not None and len(ids) != count:
            self.fail((*path, "count"), f"count is {count} but {len(ids)} id(s) are given")
        fresh = True
        for index, event_id in enumerate(ids or []):
            where: Path = (*path, "ids", index) if "ids" in raw else (*path, "id")
            fresh = self.name(self.events, "event", event_id, where) and fresh
        if "as" in raw:
            self.name(self.events, "event", raw["as"], (*path, "as"))
        overrides = raw.get("overrides")
        for event_id in ids or [None]:
            # As the runner publishes: each id on its own (a repeated id is refused).
            given = overrides if event_id is None else {**(overrides or {}), "id": event_id}
            if not fresh:  # already refused, with both lines
                break
            error = self.probe.publish(raw["type"], given)
            if error is not None:
                self.refused(path, raw, error, "the platform refuses to publish this")
                break
        return {
            "type": raw["type"],
            "count": count,
            "ids": ids,
            "label": raw.get("as"),
            "overrides": raw.get("overrides"),
        }

    def step_advance(self, raw: Any, path: Path) -> dict[str, Any]:
        if raw == "idle":
            self.clock = None  # until nothing is pending: how long, only the run knows
            return {"idle": True}
        if isinstance(raw, dict):
            until = parse_duration(raw["until"])
            self.advance_to(until, (*path, "until"))
            return {"until": until}
        seconds = parse_duration(raw)
        self.advance_by(seconds, path)
        return {"seconds": seconds}

    def step_subscribe(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        body, receiver = self.subscription_body(raw, path)
        label, count = raw.get("as"), raw.get("count", 1)
        if label is None or count > 1:  # the runner needs it to succeed
            self.check_subscription(body, raw, path)
        if label is not None:
            names = [label] if count == 1 else [f"{label}-{n}" for n in range(1, count + 1)]
            for name in names:
                self.name(self.subscriptions, "subscription", name, (*path, "as"))
        return {"body": body, "receiver": receiver, "count": count, "label": label}

    def step_update(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.need(self.subscriptions, raw["subscription"], (*path, "subscription"), "subscription")
        changes = {k: v for k, v in raw.items() if k not in ("subscription",)}
        body, receiver = self.subscription_body(changes, path)
        if raw.get("as") is None:  # the runner needs it to succeed
            self.check_subscription(body, raw, path, creating=False)
        return {
            "subscription": raw["subscription"],
            "body": body,
            "receiver": receiver,
            "label": raw.get("as"),
        }

    def _subscription_ref(self, raw: Any, path: Path) -> dict[str, Any]:
        if isinstance(raw, str):
            self.need(self.subscriptions, raw, path, "subscription")
            return {"subscription": raw, "label": None}
        self.need(self.subscriptions, raw["subscription"], (*path, "subscription"), "subscription")
        return {"subscription": raw["subscription"], "label": raw.get("as")}

    step_disable = step_enable = step_delete = step_test = step_get = _subscription_ref

    def step_list(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        return {"label": raw.get("as")}

    def step_fetch_analytics(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.name(self.analytics, "analytics download", raw["as"], (*path, "as"))
        return {
            "from": parse_duration(raw["from"]),
            "to": parse_duration(raw["to"]),
            "format": raw.get("format", "ndjson"),
            "label": raw["as"],
        }

    def step_replay(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.need(self.receivers, raw["receiver"], (*path, "receiver"), "receiver")
        self.need(self.analytics, raw["from"], (*path, "from"), "analytics download")
        if "subscription" in raw:
            self.need(
                self.subscriptions, raw["subscription"], (*path, "subscription"), "subscription"
            )
        return dict(raw)

    def step_inject_duplicate(self, raw: Any, path: Path) -> dict[str, Any]:
        args = {"event": raw} if isinstance(raw, str) else dict(raw)
        self.need_event(args["event"], path if isinstance(raw, str) else (*path, "event"))
        if "subscription" in args:
            self.need(
                self.subscriptions, args["subscription"], (*path, "subscription"), "subscription"
            )
        return args

    def step_set_behaviour(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.need(self.receivers, raw["receiver"], (*path, "receiver"), "receiver")
        return {
            "receiver": raw["receiver"],
            "phases": self.behaviour(raw["behaviour"], (*path, "behaviour")),
        }

    def step_credential(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.name(self.credentials, "credential", raw["as"], (*path, "as"))
        return {"role": raw["role"], "label": raw["as"]}

    def step_token(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.need(self.credentials, raw["credential"], (*path, "credential"), "credential")
        self.name(self.tokens, "token", raw["as"], (*path, "as"))
        return {"credential": raw["credential"], "secret": raw.get("secret"), "label": raw["as"]}

    def step_api(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        if "token" in raw:
            self.need(self.tokens, raw["token"], (*path, "token"), "token")
            if "role" in raw:
                self.fail((*path, "role"), "give `token` or `role`, not both")
        return {
            "method": raw["method"],
            "path": raw["path"],
            "token": raw.get("token"),
            "role": raw.get("role", "workbench" if "token" not in raw else None),
            "query": raw.get("query"),
            "headers": raw.get("headers", {}),
            "has_body": "body" in raw,
            "body": raw.get("body"),
            "label": raw.get("as"),
        }

    def step_forge(self, raw: dict[str, Any], path: Path) -> dict[str, Any]:
        self.need(self.receivers, raw["receiver"], (*path, "receiver"), "receiver")
        self.need(self.subscriptions, raw["subscription"], (*path, "subscription"), "subscription")
        if "event" in raw:
            self.need_event(raw["event"], (*path, "event"))
        return {
            "receiver": raw["receiver"],
            "subscription": raw["subscription"],
            "event": raw.get("event"),
            "signature": raw.get("signature", "invalid"),
            "label": raw.get("as"),
        }

    def step_expect(self, raw: list[Any], path: Path) -> dict[str, Any]:
        return {"expectations": self.expectations(raw, path)}

    # expectations ------------------------------------------------------------------
    def need_event(self, ref: str, path: Path) -> None:
        if ref != "*":
            self.need(self.events, ref, path, "event")

    def expectations(self, raw: list[dict[str, Any]], path: Path) -> list[Expectation]:
        built = []
        for index, item in enumerate(raw):
            where: Path = (*path, index)
            kinds = [key for key in item if key != "description"]
            if len(kinds) != 1:
                message = (
                    f"an expectation checks one thing; this one has {', '.join(kinds)}"
                    if kinds
                    else f"an expectation needs one of: {', '.join(_EXPECTATIONS)}"
                )
                self.fail(where, message)
                continue
            kind = kinds[0]
            args = self.expectation_args(kind, dict(item[kind]), (*where, kind))
            built.append(Expectation(kind, args, self.doc.span(where), item.get("description")))
        return built

    def expectation_args(self, kind: str, args: dict[str, Any], path: Path) -> dict[str, Any]:
        for key in ("subscription", "contains_undelivered"):
            if key in args and not (kind == "subscription" and key == "subscription"):
                self.need(self.subscriptions, args[key], (*path, key), "subscription")
        if kind == "subscription":
            self.need(self.subscriptions, args["name"], (*path, "name"), "subscription")
        if kind == "receiver":
            self.need(self.receivers, args["name"], (*path, "name"), "receiver")
        if kind == "response":
            self.need(self.responses, args["of"], (*path, "of"), "response (an `as` label)")
        if "event" in args:
            self.need_event(args["event"], (*path, "event"))
        for key in ("events", "processed_ids", "order", "contains"):
            for index, ref in enumerate(args.get(key, [])):
                self.need_event(ref, (*path, key, index))
        for index, ref in enumerate(args.get("per_event", {}).get("events", [])):
            self.need_event(ref, (*path, "per_event", "events", index))
        if kind == "attempts" and "event" not in args and "subscription" not in args:
            self.fail(path, "say whose attempts: give `event`, `subscription`, or both")
        if "at" in args:
            args["at"] = _durations_in(args["at"])
        for key in ("from", "to"):
            if key in args:
                args[key] = parse_duration(args[key])
        return args
