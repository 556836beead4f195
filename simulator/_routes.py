"""Which subscriptions an event goes to, without asking every subscription every time.

An environment may have 100 subscriptions; asking each of them whether it wants each event
was a tenth of the engine's time at scale. `Routes` narrows the candidates once per
(environment, event type, card template) and keeps the answer until a subscription changes
(the platform clears it on every `SubscriptionChanged`). Each candidate is still asked
(`active`, `matches`), so a cached list can only be wider than the answer, never wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ._models import Subscription

__all__ = ["Routes"]

#: Distinct keys kept at most: card templates come from event data, so an odd publisher
#: must not make the cache grow without end.
MAX_KEYS = 4096


class _Subscriptions(Protocol):
    def subscriptions(self, env_id: str) -> list[Subscription]: ...


class Routes:
    def __init__(self, store: _Subscriptions) -> None:
        self._store = store
        self._candidates: dict[tuple[str, Any, str], list[Subscription]] = {}

    def clear(self) -> None:
        self._candidates.clear()

    def matching(self, env_id: str, data: dict[str, Any]) -> list[Subscription]:
        """The active subscriptions of `env_id` that ask for this event, in creation order."""
        card = data.get("cardContext")
        event_type = data.get("analyticsEvent")
        # `type(card) is dict` first: the usual shape, without the Mapping ABC's slower check.
        usual = (type(card) is dict or isinstance(card, Mapping)) and isinstance(event_type, str)
        if not usual or card is None:
            # An unusual shape (publish_data): ask everyone, exactly as the rules say.
            candidates = self._store.subscriptions(env_id)
        else:
            template = str(card.get("cardTemplateId"))
            key = (env_id, event_type, template)
            found = self._candidates.get(key)
            if found is None:
                if len(self._candidates) >= MAX_KEYS:
                    self._candidates.clear()
                found = self._candidates[key] = [
                    s
                    for s in self._store.subscriptions(env_id)
                    if event_type in s.types
                    and (s.card_template_id is None or s.card_template_id == template)
                ]
            candidates = found
        return [s for s in candidates if s.active and s.matches(data)]
