"""Running the checks: a `Session` sends deliveries and keeps every exchange as evidence;
`grade` probes the receiver once, runs each check, and gathers a `KitResult`."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hooksim.contracts import DEFAULT_SIGNATURE_HEADER
from hooksim.simulator import ATOMIC_PROFILE, HooksimError

from ._client import UNREACHABLE, Delivery, Exchange, Sender
from ._payloads import Payloads, canonical_body
from ._redact import redact, redact_bytes
from ._results import CheckResult, KitResult, Latency
from ._schemes import KitScheme

__all__ = [
    "CountEffects",
    "KitError",
    "ReceiverUnreachable",
    "Session",
    "Verdict",
    "grade",
]

#: After this many timeouts in a row the receiver is taken to have stopped answering.
GIVE_UP_AFTER_TIMEOUTS = 3

#: Returns how many side effects the receiver has performed, per `data.id`.
CountEffects = Callable[[], Mapping[str, int]]


class KitError(HooksimError):
    """The kit could not grade the receiver."""


class ReceiverUnreachable(KitError):
    """The first request never reached the receiver (refused, name not resolved...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Verdict:
    """What a check function returns; the grader adds its id, title and clauses."""

    status: str
    reason: str
    exchanges: Sequence[Exchange] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The status class every exchange should have, when there is one.
    expected: str | None = None


class Session:
    """One kit run against one receiver: builds, signs, sends and records deliveries."""

    def __init__(
        self,
        sender: Sender,
        payloads: Payloads,
        *,
        secret: str,
        method: str,
        headers: Mapping[str, str],
        signature_header: str = DEFAULT_SIGNATURE_HEADER,
        count_effects: CountEffects | None = None,
        batched: bool = False,
        scheme: KitScheme | None = None,
    ) -> None:
        self.sender = sender
        #: The sender's envelope and signing (a platform profile's; Atomic's by default).
        self.scheme = scheme or KitScheme.of(ATOMIC_PROFILE, signature_header)
        #: The subscription batches events: `handles-batched` runs (it is opt-in).
        self.batched = batched
        self.payloads = payloads
        self.method = method
        self.custom_headers = dict(headers)
        self.signature_header = self.scheme.signature_header
        self.count_effects = count_effects
        self.timeout = sender.timeout
        self.exchanges: list[Exchange] = []
        self.effects_before: dict[str, int] | None = None
        self.effects_error: str | None = None
        self.probe: Exchange | None = None
        self._secret = secret
        self._lock = threading.Lock()
        self._timeouts_in_a_row = 0

    # building -----------------------------------------------------------------------
    def delivery(
        self,
        label: str,
        envelope: Mapping[str, Any],
        *,
        body: bytes | None = None,
        signature: str | None | bool = True,
        method: str | None = None,
        timestamp: float | None = None,
        message_id: str | None = None,
        secrets: Sequence[str | None] | None = None,
        valid: bool | None = None,
    ) -> Delivery:
        """A delivery of `envelope` (or of `body`, the envelope written another way).

        `signature`: True signs the bytes sent with the secret (or with each of `secrets`,
        listed as the scheme lists them); False sends no signature header; a string is sent
        as the signature header as it is. Schemes that sign a message id and a timestamp send
        `message_id` (the event's by default) and `timestamp` (now by default). `valid`
        overrides whether the delivery counts as correctly signed.
        """
        raw = body if body is not None else canonical_body(envelope)
        headers = self.payloads.base_headers(self.custom_headers)
        scheme = self.scheme
        when = self.payloads.now() if timestamp is None else timestamp
        mid = message_id if message_id is not None else scheme.message_id(envelope)
        chosen = [self._secret if x is None else x for x in (secrets or [None])]
        signed = scheme.headers(chosen, raw, envelope, mid, when)
        headers.update(signed)
        ok = signature is True
        if signature is False:
            del headers[scheme.signature_header]
        elif isinstance(signature, str):
            headers[scheme.signature_header] = signature
            ok = signature == scheme.signature_value(self._secret, raw, envelope, mid, when)
        if secrets is not None and signature is True:
            ok = self._secret in chosen
        data = scheme.data_of(envelope)
        data_id = data.get("id") if isinstance(data, Mapping) else None
        return Delivery(
            label,
            method or self.method,
            tuple(headers.items()),
            raw,
            data_id,
            ok if valid is None else valid,
        )

    def envelope(self, data: Mapping[str, Any] | list[Any], **extra: Any) -> dict[str, Any]:
        """The sender's envelope around `data` (a fresh one each time, as per attempt)."""
        return self.scheme.envelope(self.payloads, data, **extra)

    def wrong_signatures(self, envelope: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Signature values for `envelope` a receiver must refuse, each with what is wrong."""
        other = self.other_secret()
        return self.scheme.wrong_signatures(
            self._secret,
            canonical_body(envelope),
            envelope,
            self.scheme.message_id(envelope),
            self.payloads.now(),
            other,
        )

    def other_secret(self) -> str:
        """A secret of the sender's kind that is not the receiver's."""
        raw = self.payloads.ids.rng.getrandbits(192).to_bytes(24, "big")
        if self.scheme.name in ("standard-webhooks", "svix"):
            return "whsec_" + base64.b64encode(raw).decode("ascii")
        if self.scheme.name == "stripe":
            return "whsec_" + raw.hex()
        return "not-" + self.payloads.ids.uuid()

    def signature_for(
        self,
        envelope: Mapping[str, Any],
        body: bytes | None = None,
        secret: str | None = None,
        timestamp: float | None = None,
    ) -> str:
        """The signature header's value for `envelope` (or `body`) signed with `secret` (the
        receiver's by default), at the moment and with the message id `delivery` uses."""
        raw = body if body is not None else canonical_body(envelope)
        return self.scheme.signature_value(
            self._secret if secret is None else secret,
            raw,
            envelope,
            self.scheme.message_id(envelope),
            self.payloads.now() if timestamp is None else timestamp,
        )

    def event(self, label: str, event_type: str, **overrides: Any) -> Delivery:
        """A correctly signed delivery of a fresh event."""
        return self.delivery(label, self.envelope(self.payloads.data(event_type, **overrides)))

    # sending ------------------------------------------------------------------------
    def send(self, delivery: Delivery) -> Exchange:
        with self._lock:
            given_up = self._timeouts_in_a_row >= GIVE_UP_AFTER_TIMEOUTS
        if given_up:
            # A receiver that has stopped answering would make every further delivery wait
            # the whole timeout; what is not sent is recorded, and its check fails.
            note = (
                f"not sent: the last {GIVE_UP_AFTER_TIMEOUTS} deliveries got no answer "
                f"within {self.timeout:g} s"
            )
            exchange = Exchange(delivery, self.sender.url, None, (), b"", 0.0, "not-sent", note)
        else:
            exchange = self._scrub(self.sender.send(delivery))
        with self._lock:
            self.exchanges.append(exchange)
            if exchange.error == "timeout":
                self._timeouts_in_a_row += 1
            elif exchange.answered:
                self._timeouts_in_a_row = 0
        return exchange

    def send_all(self, deliveries: Sequence[Delivery]) -> list[Exchange]:
        return [self.send(delivery) for delivery in deliveries]

    def send_together(self, deliveries: Sequence[Delivery]) -> list[Exchange]:
        """Send every delivery at the same moment, one thread each (copies in flight at once,
        as when a retry overtakes a slow first attempt)."""
        results: list[Exchange | None] = [None] * len(deliveries)
        barrier = threading.Barrier(len(deliveries))

        def run(index: int) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            results[index] = self.send(deliveries[index])

        threads = [
            threading.Thread(target=run, args=(i,), name="hooksim-kit-together", daemon=True)
            for i in range(len(deliveries))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [exchange for exchange in results if exchange is not None]

    def _scrub(self, exchange: Exchange) -> Exchange:
        """Never keep the secret, even if the receiver echoes it back."""
        if self._secret.encode() not in exchange.response_body and not any(
            self._secret in value for _, value in exchange.response_headers
        ):
            return exchange
        headers = tuple(
            (name, redact(value, self._secret)) for name, value in exchange.response_headers
        )
        body = redact_bytes(exchange.response_body, self._secret)
        return replace(exchange, response_headers=headers, response_body=body)

    # effects ------------------------------------------------------------------------
    def read_effects(self, *, first: bool = False) -> dict[str, int] | None:
        """The receiver's effect counts now, or None (with `effects_error`) if unavailable.

        A `KitError` on the `first` read (before anything is sent: an effects probe that
        cannot be used) is raised, so the run stops there, like an unreachable receiver; later
        it fails the checks that need the counts, with its message.
        """
        if self.count_effects is None:
            return None
        try:
            counts = self.count_effects()
            return {str(key): int(value) for key, value in dict(counts).items()}
        except KitError as exc:
            if first:
                raise
            reason = f"after the deliveries, {exc.message}"
        except Exception as exc:
            reason = f"count_effects() failed: {type(exc).__name__}: {exc}"
        self.effects_error = redact(reason, self._secret)
        return None


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    title: str
    run: Callable[[Session], Verdict]
    clauses: tuple[str, ...] = ()
    #: "send" checks send deliveries; "after" checks judge everything sent.
    phase: str = "send"
    #: Runs only when asked for (`check_receiver(batched=True)` for `handles-batched`).
    opt_in: bool = False


def _unreachable_message(exchange: Exchange, target: str) -> str:
    return f"receiver unreachable: {exchange.note or exchange.error} ({target})"


def grade(session: Session, checks: Sequence[CheckSpec]) -> KitResult:
    """Probe the receiver with one valid delivery, then run every check in order."""
    session.effects_before = session.read_effects(first=True)
    probe = session.send(session.event("valid signature (first request)", "card-published"))
    if probe.error in UNREACHABLE:
        raise ReceiverUnreachable(
            _unreachable_message(probe, session.sender.description), probe.error or "error"
        )
    session.probe = probe
    results: list[CheckResult] = []
    for phase in ("send", "after"):
        for spec in checks:
            if spec.phase != phase:
                continue
            verdict = spec.run(session)
            results.append(
                CheckResult(
                    spec.id,
                    spec.title,
                    verdict.status,  # type: ignore[arg-type]
                    verdict.reason,
                    tuple(verdict.exchanges),
                    dict(verdict.details),
                    spec.clauses,
                    verdict.expected,
                )
            )
    order = {spec.id: index for index, spec in enumerate(checks)}
    results.sort(key=lambda result: order[result.id])
    # Latency of answers, and of waits that ended in a timeout; not of refused connections.
    latency = Latency.of(
        [ex.elapsed for ex in session.exchanges if ex.answered or ex.error == "timeout"]
    )
    return KitResult(
        session.sender.description,
        session.method,
        session.timeout,
        tuple(results),
        latency,
        _hints(session, results),
    )


def _hints(session: Session, results: Sequence[CheckResult]) -> tuple[str, ...]:
    """One cause behind many failures, said once: every failed check got only 404s."""
    failed = [result for result in results if result.status == "fail"]
    not_found = [
        result
        for result in failed
        if result.offending() and all(ex.status == 404 for ex in result.offending())
    ]
    if not not_found:
        return ()
    return (
        f"{len(not_found)} of {len(results)} checks failed with 404 Not Found: "
        f"{session.sender.not_found_hint}",
    )
