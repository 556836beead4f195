"""Where the management API's OpenAPI document lives, and how to read it.

`openapi.yaml` is the one source of truth for the API's shape: the server routes, validates
request bodies and query parameters with the schemas in it, and serves it verbatim.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

import yaml

__all__ = ["OPENAPI_RESOURCE", "load_openapi", "openapi_json", "openapi_text"]

#: File name of the document inside the `hooksim.contracts` package.
OPENAPI_RESOURCE = "openapi.yaml"


@functools.cache
def openapi_text() -> str:
    """The document exactly as shipped (YAML)."""
    return resources.files(__package__).joinpath(OPENAPI_RESOURCE).read_text(encoding="utf-8")


@functools.cache
def _parsed() -> dict[str, Any]:
    document = yaml.safe_load(openapi_text())
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise RuntimeError(f"{OPENAPI_RESOURCE} is not an OpenAPI 3.1 document")
    return document


def load_openapi() -> dict[str, Any]:
    """The document as a dict: a fresh copy, so that callers may change it freely."""
    return copy.deepcopy(_parsed())


@functools.cache
def openapi_json() -> str:
    """The document as JSON text (for `/openapi.json`)."""
    return json.dumps(_parsed(), indent=2)
