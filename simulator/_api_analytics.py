"""Batched analytics over HTTP: the hour index with pre-signed URLs, and the files behind them.

The rules (rounding, keys, expiry) live in `_analytics`; this module only reads the request,
asks the platform under its lock, and writes the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hooksim.contracts import openapi_json, served_openapi_text
from werkzeug.wrappers import Response

from ._analytics import (
    FILE_EVENTS,
    FORMATS,
    URL_LIFETIME,
    FileRef,
    ended_hours,
    file_parts,
    hour_key,
    hour_window,
    render_file,
)
from ._api_errors import json_response

if TYPE_CHECKING:
    from ._api import Call

__all__ = ["HANDLERS"]


def batched(call: Call) -> Response:
    environment_id = call.path["environmentId"]
    fmt = call.query.get("format", "ndjson")
    first, last = hour_window(call.query["from"], call.query["to"])
    platform, signer = call.platform, call.app.signer
    base = call.request.url_root + "_analytics/files/"
    data: dict[str, list[str]] = {}
    with platform.lock:
        platform.environment(environment_id)
        now = platform.clock.now()
        for end_hour in ended_hours(first, last, now):
            count = len(platform.store.events_in_hour(environment_id, end_hour - 1))
            data[hour_key(end_hour)] = [
                base
                + signer.issue(FileRef(environment_id, end_hour, part, fmt, now + URL_LIFETIME))
                for part in range(file_parts(count))
            ]
    return json_response({"data": data})


def analytics_file(call: Call) -> Response:
    platform = call.platform
    with platform.lock:
        ref = call.app.signer.open(call.path["token"], platform.clock.now())
        events = platform.store.events_in_hour(ref.environment_id, ref.end_hour - 1)
        chunk = events[ref.part * FILE_EVENTS : (ref.part + 1) * FILE_EVENTS]
        body = render_file(chunk, ref.format)
    media_type = FORMATS[ref.format][0]
    response = Response(body, status=200, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{ref.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def openapi_yaml(call: Call) -> Response:
    return Response(served_openapi_text(), mimetype="application/yaml")


def openapi_document(call: Call) -> Response:
    return Response(openapi_json(), mimetype="application/json")


HANDLERS = {
    "getBatchedAnalytics": batched,
    "getAnalyticsFile": analytics_file,
    "getOpenApiYaml": openapi_yaml,
    "getOpenApiJson": openapi_document,
}
