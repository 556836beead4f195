"""The delivery judge in every scenario run: what it learns while the scenario runs, and its
verdict as one more expectation result ("every delivery conforms to the contract").

It learns only what a remote implementation would also show: the management API's answers
(subscriptions, as the gateway sees them) and the events the steps published; the requests
come from the receivers' own records. Forged requests and replays are not the platform's and
are not judged.
"""

from __future__ import annotations

from ._context import RunContext
from ._gateway import ApiResponse
from ._judge import DeliveryJudge, SeenRequest, Verdict
from ._judge_profiles import ProfileDeliveryJudge, expected_scheme
from ._results import ExpectationResult

__all__ = ["DESCRIPTION", "DeliveryWatch", "verdict_result"]

DESCRIPTION = "every delivery conforms to the contract (judged independently of the platform)"
#: Violations listed in the result's message; the rest are counted.
SHOWN = 20


class DeliveryWatch:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        options = {
            "signature_header": ctx.settings.signature_header,
            "environment_id": ctx.environment_id,
            "receivers": {name: ctx.receiver_url(name) for name in ctx.receivers},
        }
        profile = ctx.profile
        if profile.signing == "atomic" and profile.envelope == "atomic":
            self.judge = DeliveryJudge(**options)
        else:  # another sender's rules, judged by code of their own
            scheme, envelope = expected_scheme(profile.name, profile.signing, profile.envelope)
            self.judge = ProfileDeliveryJudge(
                scheme=scheme, envelope=envelope, start=ctx.start, **options
            )
        self._published = 0
        ctx.api.observers.append(self._answered)

    def _answered(self, response: ApiResponse) -> None:
        if 200 <= response.status < 300:
            self.judge.learn_answer(response.body, t=self.ctx.now())

    def after_step(self) -> None:
        """Note the events the step published (they were published at the step's end: a
        step moves the clock, if at all, before it publishes)."""
        published = self.ctx.published
        if len(published) > self._published:
            self.judge.published(published[self._published :], t=self.ctx.now())
            self._published = len(published)

    def requests(self) -> list[SeenRequest]:
        return [
            SeenRequest(
                receiver=name,
                number=record.number,
                t=record.t,
                method=record.method,
                headers=tuple(record.headers.items()),
                body=record.body,
            )
            for name, receiver in self.ctx.receivers.items()
            for record in receiver.requests
            if record.source == "platform"
        ]

    def verdict(self) -> ExpectationResult:
        self.after_step()
        return verdict_result(self.judge.judge(self.requests()), t=self.ctx.now())


def verdict_result(verdict: Verdict, *, t: float) -> ExpectationResult:
    """The verdict as the reports show expectations: one line per violation (request number,
    receiver, time, clause, what was expected and found)."""
    count = len(verdict.violations)
    message = None
    if count:
        lines = [
            f"{count} violation{'s' * (count != 1)} of the contract in {verdict.judged} "
            f"requests (clauses {', '.join(verdict.clauses)}):"
        ]
        lines += [v.describe() for v in verdict.violations[:SHOWN]]
        if count > SHOWN:
            lines.append(f"... and {count - SHOWN} more")
        message = "\n".join(lines)
    return ExpectationResult(
        description=DESCRIPTION,
        passed=verdict.passed,
        expected={"violations": 0},
        actual={
            "requests judged": verdict.judged,
            "violations": count,
            **({"clauses": verdict.clauses} if count else {}),
        },
        t=round(t, 6),
        message=message,
    )
