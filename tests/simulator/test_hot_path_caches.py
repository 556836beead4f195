"""The hot path's shortcuts answer exactly what the plain computation answers.

Routes (which subscriptions an event may match) are cached per environment, type and card
template; the in-process transport caches how a URL resolves; ids are formatted without a
`uuid.UUID`. Each is checked against the rule it stands for, including after changes.
"""

from __future__ import annotations

import random
import uuid

from _world import RECEIVER_URL, World
from hooksim.simulator import IdSource
from hooksim.simulator._ids import _uuid4
from hypothesis import given
from hypothesis import strategies as st


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_uuid4_text_is_what_the_uuid_module_writes(bits: int) -> None:
    assert _uuid4(bits) == str(uuid.UUID(int=bits, version=4))


def test_a_seed_reproduces_ids_and_secrets() -> None:
    first, second = IdSource(7), IdSource(7)
    assert [first.uuid(), first.secret_uuid(), first.token()] == [
        second.uuid(),
        second.secret_uuid(),
        second.token(),
    ]


def test_unseeded_secrets_come_from_the_system_not_the_id_generator() -> None:
    ids = IdSource(None)
    assert isinstance(ids._secret_rng, random.SystemRandom)
    assert not isinstance(ids.rng, random.SystemRandom)  # fast, but never used for secrets
    assert ids.secret_uuid() != ids.secret_uuid()


def _received(world: World, url: str) -> int:
    return len(world.receivers[url].requests)


def test_routes_follow_every_subscription_change(world: World) -> None:
    other = "http://other.test/hook"
    world.receiver()
    world.receiver(other)
    sub = world.subscribe(cardTemplateId="7")
    catch_all = world.subscribe(other, types=["card-dismissed"])
    world.publish_one(**{"cardContext.cardTemplateId": "7"})
    world.publish_one(**{"cardContext.cardTemplateId": "8"})
    assert _received(world, RECEIVER_URL) == 1
    assert _received(world, other) == 0

    world.platform.update_subscription(world.env, catch_all.id, {"types": ["card-completed"]})
    world.publish_one(**{"cardContext.cardTemplateId": "8"})
    assert _received(world, other) == 1

    world.platform.disable_subscription(world.env, sub.id)
    world.publish_one(**{"cardContext.cardTemplateId": "7"})
    assert _received(world, RECEIVER_URL) == 1
    world.platform.enable_subscription(world.env, sub.id)
    world.publish_one(**{"cardContext.cardTemplateId": "7"})
    assert _received(world, RECEIVER_URL) == 2
    assert _received(world, other) == 3

    world.platform.disable_subscription(world.env, catch_all.id)
    world.platform.delete_subscription(world.env, catch_all.id)
    world.publish_one(**{"cardContext.cardTemplateId": "7"})
    assert (_received(world, RECEIVER_URL), _received(world, other)) == (3, 3)


def test_an_event_of_unusual_shape_is_matched_by_the_rules(world: World) -> None:
    world.receiver()
    world.subscribe()
    event = world.platform.publish_data(
        world.env, {"analyticsEvent": "card-completed", "cardContext": None}
    )
    assert world.platform.delivery(event.id, world.platform.subscriptions(world.env)[0].id)


def test_mounting_after_a_refused_send_reaches_the_new_receiver(world: World) -> None:
    world.subscribe()
    world.publish_one()
    assert [r.outcome for r in world.platform.attempts(world.env)] == ["refused"]
    world.receiver()
    world.advance(10)
    assert [r.outcome for r in world.platform.attempts(world.env)] == ["refused", "success"]
    world.platform.transport.unmount(RECEIVER_URL)  # type: ignore[attr-defined]
    world.publish_one()
    assert world.platform.attempts(world.env)[-1].outcome == "refused"
