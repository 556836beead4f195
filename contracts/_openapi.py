"""Where the OpenAPI documents live, and how to read them.

Two documents, each the one source of truth for its part:
- `openapi.yaml`: the management API (the Atomic Webhooks API, hooksim's Workbench,
  analytics, auth and credentials operations);
- `control.yaml`: the control contract, the `/_sim/...` operations a platform's test build
  serves so that hooksim can drive it (`CONTROL.md`). It uses `openapi.yaml`'s components
  through relative references (`openapi.yaml#/components/...`), so that an implementer can
  read or validate it on its own, with its neighbour beside it.

`hooksim serve` serves both as one document (`served_openapi`): the control contract's paths
and components added to the API's, its references rewritten to the merged document. The
server routes and validates requests with that merged document.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "CONTROL_RESOURCE",
    "OPENAPI_RESOURCE",
    "control_text",
    "load_control",
    "load_openapi",
    "openapi_json",
    "openapi_text",
    "served_openapi_text",
]

#: File names of the documents inside the `hooksim.contracts` package.
OPENAPI_RESOURCE = "openapi.yaml"
CONTROL_RESOURCE = "control.yaml"
_SIBLING = OPENAPI_RESOURCE + "#"


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _parse(name: str, text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise RuntimeError(f"{name} is not an OpenAPI 3.1 document")
    return document


@functools.cache
def openapi_text() -> str:
    """The management API's document exactly as shipped (YAML)."""
    return _read(OPENAPI_RESOURCE)


@functools.cache
def control_text() -> str:
    """The control contract's document exactly as shipped (YAML)."""
    return _read(CONTROL_RESOURCE)


def load_control() -> dict[str, Any]:
    """The control contract on its own, as shipped (references into `openapi.yaml` kept)."""
    return _parse(CONTROL_RESOURCE, control_text())


@functools.cache
def _served() -> dict[str, Any]:
    api = _parse(OPENAPI_RESOURCE, openapi_text())
    control = _local_refs(load_control())
    merged = copy.deepcopy(api)
    for path, item in control["paths"].items():
        if path in merged["paths"]:
            raise RuntimeError(f"{path} is declared by both {OPENAPI_RESOURCE} and control.yaml")
        merged["paths"][path] = item
    for kind, entries in control.get("components", {}).items():
        target = merged.setdefault("components", {}).setdefault(kind, {})
        for name, value in entries.items():
            if name in target and target[name] != value:
                raise RuntimeError(
                    f"components.{kind}.{name} differs between {OPENAPI_RESOURCE} and "
                    f"{CONTROL_RESOURCE}"
                )
            target[name] = value
    known = {tag["name"] for tag in merged.get("tags", [])}
    merged.setdefault("tags", []).extend(
        tag for tag in control.get("tags", []) if tag["name"] not in known
    )
    return merged


def _local_refs(value: Any) -> Any:
    """`openapi.yaml#/components/x` becomes `#/components/x` (the merged document's own)."""
    if isinstance(value, dict):
        return {
            key: (
                item[len(OPENAPI_RESOURCE) :]
                if key == "$ref" and isinstance(item, str) and item.startswith(_SIBLING)
                else _local_refs(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_local_refs(item) for item in value]
    return value


def load_openapi() -> dict[str, Any]:
    """The served document (API and control contract merged) as a dict: a fresh copy, so
    that callers may change it freely."""
    return copy.deepcopy(_served())


@functools.cache
def served_openapi_text() -> str:
    """The served document as YAML (for `/openapi.yaml`)."""
    return yaml.safe_dump(_served(), sort_keys=False, allow_unicode=True, width=100)


@functools.cache
def openapi_json() -> str:
    """The served document as JSON text (for `/openapi.json`)."""
    return json.dumps(_served(), indent=2)
