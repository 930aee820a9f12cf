"""The demo's SIM orders: one in every status, seeded through the orders' verbs, each step
before the demo's "now", the demo subscriber's waiting at the demo dealer."""

from __future__ import annotations

from datetime import UTC

from sqlmodel import select

from paysim_app.models import ActivationRequest, Sim, SimOrder, SimOrderEvent, Subscriber, User
from paysim_app.models.orders import ORDER_STATUSES
from tests.test_demo_seed import NOW, demo_env, seeded, session  # noqa: F401  (fixtures)


def test_the_demo_has_an_order_in_every_status(session):  # noqa: F811
    orders = session.exec(select(SimOrder)).all()
    assert {o.status for o in orders} == set(ORDER_STATUSES)
    demo = session.exec(select(User).where(User.email == "demo@paysim.demo")).first()
    sub = session.exec(select(Subscriber).where(Subscriber.user_id == demo.id)).one()
    [mine] = [o for o in orders if o.subscriber_id == sub.id]
    assert mine.status == "waiting" and mine.way == "pickup"
    active = next(o for o in orders if o.status == "active")
    sim = session.get(Sim, active.sim_id)
    assert sim.subscriber_id == active.subscriber_id and sim.status == "active"
    handed = next(o for o in orders if o.status == "handed_out")
    assert session.get(ActivationRequest, handed.activation_request_id).status == "pending"
    for step in session.exec(select(SimOrderEvent)).all():
        at = step.created_at
        assert (at if at.tzinfo else at.replace(tzinfo=UTC)) <= NOW
