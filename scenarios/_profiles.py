"""Platform profiles as YAML files: the bundled ones (`contracts/profiles/NAME.yaml`) and any
a user writes, read like scenario files: YAML with positions, checked against the shipped
JSON Schema (`contracts/profile.schema.json`), then the rules a schema cannot say (every rule
it sets has a source). Problems are `file:line:column: path: what was expected`, with a "did
you mean" for a misspelt key or profile name.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from hooksim.simulator import NotSimulated, Profile, parse_duration
from jsonschema import Draft202012Validator

from ._errors import Problem, ScenarioInputError
from ._marks import parse_document
from ._validation import did_you_mean, schema_problems

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILE_SCHEMA_FILE",
    "load_profile",
    "load_profile_text",
    "profile_names",
    "resolve_profile",
]

DEFAULT_PROFILE = "atomic"
PROFILE_SCHEMA_FILE = "profile.schema.json"
_FOLDER = "profiles"
#: Rules a profile always sets, and those it sets when it gives them: each needs a source.
_ALWAYS_SOURCED = ("signing", "envelope", "retry", "disable")
_SOURCED_WHEN_GIVEN = ("timeout", "abort_header", "tolerance")


def _contracts() -> Any:
    return resources.files("hooksim.contracts")


@cache
def _validator() -> Draft202012Validator:
    text = _contracts().joinpath(PROFILE_SCHEMA_FILE).read_text("utf-8")
    return Draft202012Validator(json.loads(text))


@cache
def profile_names() -> tuple[str, ...]:
    """The bundled profiles, the default first."""
    names = sorted(
        entry.name[: -len(".yaml")]
        for entry in _contracts().joinpath(_FOLDER).iterdir()
        if entry.name.endswith(".yaml")
    )
    return (DEFAULT_PROFILE, *(name for name in names if name != DEFAULT_PROFILE))


@cache
def _bundled(name: str) -> Profile:
    entry = _contracts().joinpath(_FOLDER, f"{name}.yaml")
    return load_profile_text(entry.read_text("utf-8"), f"profiles/{name}.yaml")


def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by name (`svix`), or the profile file at a path (`./my-sender.yaml`:
    anything with a `/` or ending in `.yaml`/`.yml`). ScenarioInputError says what is wrong."""
    if name_or_path in profile_names():
        return _bundled(name_or_path)
    looks_like_path = "/" in name_or_path or name_or_path.endswith((".yaml", ".yml"))
    if not looks_like_path:
        hint = did_you_mean(name_or_path, profile_names())
        raise ScenarioInputError(
            f"unknown profile {name_or_path!r}{hint}; bundled profiles: "
            f"{', '.join(profile_names())} (or give the path of a profile file)"
        )
    path = FsPath(name_or_path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioInputError(
            [Problem(name_or_path, 1, 1, "", f"cannot read the profile file: {exc}")]
        ) from None
    return load_profile_text(text, name_or_path)


def resolve_profile(*choices: str | None) -> Profile:
    """The first profile named among `choices` (a scenario's own, then a command line's),
    else the default."""
    for choice in choices:
        if choice:
            return load_profile(choice)
    return _bundled(DEFAULT_PROFILE)


def load_profile_text(text: str, file: str) -> Profile:
    from ._loader import ScenarioLimits  # (the loader imports this module)

    # A profile file is held to the same limits as a scenario file.
    document = parse_document(text, file, ScenarioLimits.from_environment().bounds)
    if not isinstance(document.value, dict):
        raise ScenarioInputError(
            [document.problem((), "expected a mapping with name, signing, retry, ...")]
        )
    problems = schema_problems(document, _validator())
    if problems:
        raise ScenarioInputError(problems)
    value: dict[str, Any] = document.value
    sources: dict[str, str] = value["sources"]
    wanted = [*_ALWAYS_SOURCED, *(k for k in _SOURCED_WHEN_GIVEN if value.get(k) is not None)]
    late = [
        document.problem(("sources",), f"missing the source of rule {rule!r}")
        for rule in wanted
        if rule not in sources
    ]
    known = {*_ALWAYS_SOURCED, *_SOURCED_WHEN_GIVEN}
    late += [
        document.problem(
            ("sources", rule),
            f"no rule {rule!r} to source{did_you_mean(rule, known)}",
            key=True,
        )
        for rule in sources
        if rule not in known
    ]
    disable = value["disable"]
    kind = disable["kind"]
    if kind == "continuous-failure" and "after" not in disable:
        late.append(document.problem(("disable",), "continuous-failure needs `after`"))
    if kind == "consecutive" and "failures" not in disable:
        late.append(document.problem(("disable",), "consecutive needs `failures`"))
    for key in ("after", "forgive_after", "failures"):
        if key in disable and kind != {"failures": "consecutive"}.get(key, "continuous-failure"):
            late.append(
                document.problem(
                    ("disable", key), f"`{key}` does not go with kind {kind}", key=True
                )
            )
    if late:
        raise ScenarioInputError(sorted(late, key=lambda p: (p.line, p.column)))
    return _profile(value, file)


def _profile(value: dict[str, Any], file: str) -> Profile:
    retry, disable = value["retry"], value["disable"]
    settings: dict[str, Any] = {}
    if "timeout" in value:
        settings["timeout"] = parse_duration(value["timeout"])
    delays: tuple[float, ...] | None = None
    if "delays" in retry:
        delays = tuple(parse_duration(d) for d in retry["delays"])
        # A list ends by itself: no window, and at most as many retries as it has delays.
        settings.update(retry_window=None, max_retries=len(delays))
    else:
        settings["retry_base"] = parse_duration(retry["exponential"]["first"])
        settings["retry_window"] = parse_duration(retry["exponential"]["window"])
    settings["jitter"] = float(retry.get("jitter", 0.0))
    if "retry_after" in retry:
        settings["retry_after_statuses"] = tuple(retry["retry_after"])
    if "failures" in disable:
        settings["disable_threshold"] = disable["failures"]
    tolerance = value.get("tolerance")
    abort = value.get("abort_header")
    return Profile(
        name=value["name"],
        title=value["title"],
        description=value.get("description", "").strip(),
        signing=value["signing"],
        envelope=value["envelope"],
        secret_format=value.get("secret", "uuid"),
        user_agent=value.get("user_agent"),
        retry_delays=delays,
        delays_from=retry.get("from", "scheduled-start"),
        disable_statuses=tuple(disable.get("statuses", ())),
        abort_header=(abort["name"].lower(), abort["value"].lower()) if abort else None,
        disable=disable["kind"],
        disable_after=parse_duration(disable["after"]) if "after" in disable else None,
        forgive_after=(
            parse_duration(disable["forgive_after"]) if "forgive_after" in disable else None
        ),
        tolerance=float(tolerance["seconds"]) if tolerance else None,
        tolerance_future=bool(tolerance.get("future", True)) if tolerance else True,
        settings=settings,
        sources=dict(value["sources"]),
        not_simulated=tuple(NotSimulated(n["rule"], n["why"]) for n in value["not_simulated"]),
        file=file,
    )
