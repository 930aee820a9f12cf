"""admin_lists_queues.block_found_sim: the "block a SIM" form's one unit of work (find the SIM
typed, block it), called within a caller's session or on its own."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paysim_app.core.errors import ValidationError
from paysim_app.models import Block, Sim
from paysim_app.sims import queue_lists as q


@pytest.fixture
def world(factory):
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Кузнецова")
    return {"admin": factory.superadmin(), "sim": factory.sim(alice, balance_kop=30000)}


def _blocks(session) -> list[Block]:
    session.expire_all()
    return list(session.exec(select(Block)).all())


def test_within_a_session_it_finds_and_blocks_the_sim(session, world):
    sim = world["sim"]
    hit = q.block_found_sim(session, world["admin"], sim.msisdn, "fraud", "подозрение")
    session.commit()
    assert (hit.id, hit.msisdn, hit.subscriber_name) == (sim.id, sim.msisdn, "Алиса Кузнецова")
    (block,) = _blocks(session)
    assert (block.sim_id, block.reason, block.comment) == (sim.id, "fraud", "подозрение")
    assert session.get(Sim, sim.id).status == "blocked"


def test_on_its_own_it_commits_once(session, world):
    sim = world["sim"]
    session.commit()
    hit = q.block_found_sim(world["admin"], f" {sim.iccid} ", "debt")
    assert hit.id == sim.id
    (block,) = _blocks(session)
    assert (block.sim_id, block.reason) == (sim.id, "debt")
    assert session.get(Sim, sim.id).status == "blocked"


@pytest.mark.parametrize(
    ("text", "reason", "field"),
    [
        ("+7 999 000-00-00", "fraud", "sim"),
        ("nonsense", "fraud", "sim"),
        (None, "boredom", "reason"),
    ],
)
def test_a_refusal_leaves_nothing_behind(session, world, text, reason, field):
    sim = world["sim"]
    session.commit()
    with pytest.raises(ValidationError) as err:
        q.block_found_sim(world["admin"], text or sim.msisdn, reason)
    assert err.value.field == field
    assert _blocks(session) == []
    assert session.get(Sim, sim.id).status == "active"
