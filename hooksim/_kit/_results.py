"""The kit's results: one `CheckResult` per check, gathered in a `KitResult`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._client import Exchange

__all__ = ["CheckResult", "KitResult", "Latency", "exchange_dict"]

Status = Literal["pass", "fail", "skip"]
_EXCERPT = 600
#: Header values shown as "[redacted]": they may carry credentials.
_SENSITIVE = ("authorization", "cookie", "token", "secret", "password", "key", "auth")


def _excerpt(body: bytes, limit: int = _EXCERPT) -> str:
    text = body[:limit].decode("utf-8", errors="replace")
    if len(body) > limit:
        text += f"… ({len(body)} bytes in all)"
    return text


def _redact(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered.startswith("x-atomic-signature") or lowered == "content-type":
        return value
    if any(word in lowered for word in _SENSITIVE):
        return "[redacted]"
    return value


def exchange_dict(exchange: Exchange, expected: str | None = None) -> dict[str, Any]:
    """An exchange as plain JSON-able data (custom header values that may be credentials are
    redacted; the secret itself never reaches an exchange)."""
    delivery = exchange.delivery
    response = None
    if exchange.status is not None:
        response = {
            "status": exchange.status,
            "headers": dict(exchange.response_headers),
            "body_excerpt": _excerpt(exchange.response_body),
            "body_truncated": exchange.response_truncated,
        }
    return {
        "label": delivery.label,
        "request": {
            "method": delivery.method,
            "url": exchange.url,
            "headers": {name: _redact(name, value) for name, value in delivery.headers},
            "body_excerpt": _excerpt(delivery.body),
            "body_bytes": len(delivery.body),
            "data_id": delivery.data_id,
            "signed_validly": delivery.signed_validly,
        },
        "response": response,
        "elapsed_ms": round(exchange.elapsed * 1000, 1),
        "error": exchange.error,
        "note": exchange.note,
        "as_expected": None if expected is None else exchange.status_class() == expected,
    }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict and its evidence."""

    id: str
    title: str
    status: Status
    #: One line: why it failed or was skipped (for a pass, what was seen).
    reason: str
    exchanges: tuple[Exchange, ...] = ()
    #: Further evidence that is not an exchange (effect counts, latency...).
    details: Mapping[str, Any] = field(default_factory=dict)
    #: Contract clause ids (contracts/clauses.yaml) the check stands on.
    clauses: tuple[str, ...] = ()
    #: The status class every exchange should have ("2xx", "4xx"), when there is one.
    expected: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "clauses": list(self.clauses),
            "evidence": {
                "expected": self.expected,
                "exchanges": [exchange_dict(ex, self.expected) for ex in self.exchanges],
                "details": dict(self.details),
            },
        }

    def offending(self) -> tuple[Exchange, ...]:
        """The exchanges that did not get the expected answer (all, when none is expected)."""
        if self.expected is None:
            return self.exchanges
        return tuple(ex for ex in self.exchanges if ex.status_class() != self.expected)

    def explain(self, limit: int = 5) -> str:
        """Several lines for people: the verdict, then the offending exchanges in short."""
        lines = [f"{self.id}: {self.status.upper()}: {self.reason}"]
        shown = self.offending()
        if self.expected is not None:
            lines.append(f"    expected {self.expected} for every delivery; got otherwise:")
        for exchange in shown[:limit]:
            delivery = exchange.delivery
            lines.append(
                f"    - {delivery.label}: {delivery.method} {len(delivery.body)} bytes"
                f" -> {exchange.describe()} in {exchange.elapsed * 1000:.0f} ms"
            )
            if exchange.response_body:
                lines.append(f"      answer: {_excerpt(exchange.response_body, 200)!r}")
        if len(shown) > limit:
            lines.append(f"    ... and {len(shown) - limit} more")
        for key, value in self.details.items():
            lines.append(f"    {key}: {value}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Latency:
    count: int
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        if not seconds:
            return cls(0, None, None, None)
        ordered = sorted(seconds)

        def rank(p: float) -> float:  # nearest-rank percentile
            index = max(0, -(-len(ordered) * p // 100) - 1)
            return ordered[int(index)]

        return cls(len(ordered), rank(50), rank(95), ordered[-1])

    def to_dict(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 1)

        return {
            "count": self.count,
            "p50_ms": ms(self.p50),
            "p95_ms": ms(self.p95),
            "max_ms": ms(self.max),
        }


@dataclass(frozen=True, slots=True)
class KitResult:
    """Every check's result for one receiver. `assert_passed()` for tests."""

    receiver: str
    method: str
    timeout: float
    checks: tuple[CheckResult, ...]
    latency: Latency
    #: What most likely went wrong, when the failures share one cause (a 404 everywhere...).
    hints: tuple[str, ...] = ()
    #: The platform profile whose sender the receiver was graded as receiving from.
    profile: str = "atomic"

    @property
    def passed(self) -> bool:
        """True when no check failed (skipped checks do not fail a run)."""
        return not self.failed

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if check.status == "fail")

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if check.status == "skip")

    def __getitem__(self, check_id: str) -> CheckResult:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no check {check_id!r}; checks: {', '.join(self.ids())}")

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.checks)

    def ids(self) -> list[str]:
        return [check.id for check in self.checks]

    def summary(self) -> dict[str, Any]:
        return {
            "total": len(self.checks),
            "passed": sum(check.status == "pass" for check in self.checks),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
            "verdict": "pass" if self.passed else "fail",
        }

    def to_dict(self) -> dict[str, Any]:
        """The `--json` document (never contains the secret)."""
        return {
            "checks": [check.to_dict() for check in self.checks],
            "summary": self.summary(),
            "receiver": {"url": self.receiver, "method": self.method},
            "profile": self.profile,
            "timeout_s": self.timeout,
            "latency": self.latency.to_dict(),
            "hints": list(self.hints),
        }

    def explain(self) -> str:
        summary = self.summary()
        head = (
            f"receiver {self.receiver} ({self.method}, profile {self.profile}): "
            f"{summary['failed']} of "
            f"{summary['total']} checks failed"
        )
        hints = [f"hint: {hint}" for hint in self.hints]
        return "\n".join([head, *hints, *(check.explain() for check in self.failed)])

    def assert_passed(self) -> None:
        """Raise AssertionError listing each failed check and its evidence."""
        if not self.passed:
            raise AssertionError(self.explain())
