"""The scriptable receiver behind `hooksim_receiver`: a `RecordingReceiver` that answers as
the test scripts it (statuses in turn, latency, an outage until a virtual time) and verifies
each request with the secret of the subscription it came for (the body's `webhookId`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from hooksim.simulator import Behaviour, ReceivedRequest, RecordingReceiver, Subscription

if TYPE_CHECKING:
    from ._harness import HooksimPlatform

__all__ = ["ScriptedReceiver"]

#: What `respond` and status sequences may give for one request.
Answer: TypeAlias = int | Behaviour
Respond: TypeAlias = Callable[[int, ReceivedRequest], Answer]


class ScriptedReceiver:
    """A recording receiver mounted at `url` on one test's platform.

    Answers `status` (or the next of a sequence of statuses, the last repeating), after
    `latency` virtual seconds (beyond the platform timeout: a timeout); refuses connections
    while the platform's clock is before `down_until` (seconds since the start). `respond`,
    when given, decides everything: `respond(request_number, request) -> status | Behaviour`.
    With `verify_signatures` a bad signature gets a 401; with `dedupe` a second copy of a
    `data.id` is answered 200 but not processed again.

    Example::

        receiver = hooksim_receiver(status=[503, 503, 200])
        receiver.subscribe(["card-published"])
        event = hooksim_platform.publish("card-published")
        hooksim_platform.advance("1m")
        assert receiver.processed_ids == [event.id]
    """

    def __init__(
        self,
        harness: HooksimPlatform,
        name: str,
        url: str,
        *,
        status: Answer | Sequence[Answer] = 200,
        latency: float = 0.0,
        down_until: float | None = None,
        dedupe: bool = True,
        verify_signatures: bool = True,
        respond: Respond | None = None,
    ) -> None:
        self.harness = harness
        self.name = name
        self.url = url
        self.verify_signatures = verify_signatures
        self._answered = 0
        self.status: Answer | Sequence[Answer] = 200
        self.latency = 0.0
        self.down_until: float | None = None
        self.respond: Respond | None = None
        self.script(status=status, latency=latency, down_until=down_until, respond=respond)
        secrets: Mapping[str, str] = {}
        check = None
        if harness.profile.signing == "atomic":
            secrets = _SubscriptionSecrets(harness)
        elif verify_signatures:
            from hooksim.scenarios import profile_verifier

            self._profile_verify = profile_verifier(harness.profile)
            check = self._profile_check
        self._recording = RecordingReceiver(
            respond=self._behaviour,
            dedupe=dedupe,
            reject_bad_signatures=verify_signatures,
            signature_header=harness.settings.signature_header,
            now=lambda: harness.now,
            secrets=secrets,
            check=check,
        )

    def __repr__(self) -> str:
        return f"<ScriptedReceiver {self.name} {self.url}: {len(self.requests)} requests>"

    def script(
        self,
        *,
        status: Answer | Sequence[Answer] | None = None,
        latency: float | None = None,
        down_until: float | None = None,
        respond: Respond | None = None,
    ) -> None:
        """Change the script from now on (only what is given); a new status sequence starts
        from its first entry."""
        if status is not None:
            _check_answers(status)
            self.status = status
            self._answered = 0
        if latency is not None:
            if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
                raise ValueError(f"latency must be seconds >= 0, not {latency!r}")
            self.latency = float(latency)
        if down_until is not None:
            self.down_until = float(down_until)
        if respond is not None:
            self.respond = respond

    # the WSGI side ---------------------------------------------------------------------
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self._recording(environ, start_response)

    def _profile_check(self, body: bytes, headers: dict[str, str]) -> bool:
        """Under a platform profile: valid when the secret of a subscription pointing here
        verifies it, as that sender's receivers check (its tolerance, on the virtual clock)."""
        here = self.url.rstrip("/")
        secrets = [s.secret for s in self.harness.subscriptions() if s.url.rstrip("/") == here]
        now = self.harness.clock.now()
        lowered = {name.lower(): value for name, value in headers.items()}
        return any(self._profile_verify(secret, lowered, body, now) for secret in secrets)

    def _behaviour(self, number: int, request: ReceivedRequest) -> Behaviour:
        if self.respond is not None:
            return _as_behaviour(self.respond(number, request), self.latency)
        if self.down_until is not None and request.time < self.down_until:
            return Behaviour(fail="refused")
        self._answered += 1
        status = self.status
        if isinstance(status, Sequence):
            status = status[min(self._answered, len(status)) - 1]
        return _as_behaviour(status, self.latency)

    # what it got -----------------------------------------------------------------------
    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request that reached it (refused connections included), oldest first;
        `time` is the virtual offset since the platform's start."""
        return self._recording.requests

    @property
    def processed_ids(self) -> list[str]:
        """`data.id`s it acted on (answered 2xx and, with dedupe, not seen before)."""
        return self._recording.processed_ids

    @property
    def processed_counts(self) -> Counter[str]:
        return Counter(self.processed_ids)

    @property
    def data_ids(self) -> list[str]:
        return self._recording.data_ids

    @property
    def unique_ids(self) -> set[str]:
        return self._recording.unique_ids

    def copies_of(self, data_id: str) -> list[ReceivedRequest]:
        return self._recording.copies_of(str(data_id))

    def clear(self) -> None:
        self._recording.clear()

    # its subscriptions -----------------------------------------------------------------
    def subscribe(
        self, types: Sequence[str] | str = ("card-published",), **fields: Any
    ) -> Subscription:
        """Subscribe this receiver's URL to `types` on its platform."""
        return self.harness.subscribe(self.url, types, **fields)

    @property
    def subscriptions(self) -> list[Subscription]:
        return self.harness.subscriptions(self.url)


def _as_behaviour(answer: Answer, latency: float) -> Behaviour:
    if isinstance(answer, Behaviour):
        return answer
    return Behaviour(int(answer), latency=latency)


def _check_answers(status: Answer | Sequence[Answer]) -> None:
    answers = list(status) if isinstance(status, Sequence) else [status]
    if not answers:
        raise ValueError("status: give a status, or a non-empty sequence of them")
    for answer in answers:
        if isinstance(answer, Behaviour):
            continue
        if isinstance(answer, bool) or not isinstance(answer, int) or not 100 <= answer <= 599:
            raise ValueError(f"status must be an HTTP status (100-599) or a Behaviour: {answer!r}")


class _SubscriptionSecrets(Mapping[str, str]):
    """The secrets of the platform's subscriptions as they are now, by id. A request for no
    known subscription cannot be verified: its secret is "", so it fails verification."""

    def __init__(self, harness: HooksimPlatform) -> None:
        self._harness = harness

    def __getitem__(self, webhook_id: str) -> str:
        secret = self._harness.secret_for(webhook_id) if webhook_id else None
        return secret if secret is not None else ""

    def __iter__(self) -> Iterator[str]:
        return iter(s.id for s in self._harness.subscriptions())

    def __len__(self) -> int:
        return len(self._harness.subscriptions())
