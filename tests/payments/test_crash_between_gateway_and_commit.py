"""A card top-up whose worker dies mid-payment is settled by the janitor, exactly once.

The top-up runs in a child process with the real stripe SDK against the local fake Stripe
(tests/payments/fake_stripe.py, served by this test process, so what Stripe did outlives the
child). The child kills itself with SIGKILL at one of two points of its call to Stripe (the
charge of a saved card, or the hosted page of a new one):
- "after": Stripe has charged the card (or made the hosted page), our outcome is not committed
  (the payment row is pending, without the PaymentIntent or the session id);
- "before": the pending payment row is committed, Stripe was never asked.
Then the janitor runs here as the scheduler runs it (jobs.scheduler.janitor_job, with the clock
moved past its five-minute grace), twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from alembic import command
from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app import db as app_db
from paysim_app.billing import cards, payments
from paysim_app.db import make_engine
from paysim_app.jobs import scheduler
from paysim_app.models import LedgerEntry, Payment, Sim
from paysim_app.models.base import utcnow
from paysim_app.payments import CardToken, get_gateway
from paysim_app.payments.stripe_gateway import StripeGateway
from paysim_app.settings import get_settings
from tests.conftest import (
    Factory,
    alembic_config,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)
from tests.payments.fake_stripe import FakeStripe

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_server_url(), reason="PAYSIM_TEST_POSTGRES_URL is not set"),
]

ROOT = Path(__file__).resolve().parents[2]
AMOUNT = 75_000
GRACE = timedelta(minutes=6)  # past the janitor's five minutes
SETTLED = timedelta(hours=2)  # past any lag of the gateway's search too
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

# The worker: a cabinet top-up through the app's own services and gateway, with StripeGateway.charge
# wrapped so that the process dies right before or right after the real call.
CHILD = """
import os, signal, sys
from paysim_app.db import session_scope
from paysim_app.models import User
from paysim_app.payments import get_gateway
from paysim_app.payments.stripe_gateway import StripeGateway
from paysim_app.accounts import identity
from paysim_app.billing import topups

user_id, sim_id, amount, key, card_id, crash = sys.argv[1:]
real_charge = StripeGateway.charge
real_checkout = StripeGateway.start_checkout

def dying(real, what):
    def call(self, **kwargs):
        if crash == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(self, **kwargs)
        print(what, getattr(result, "status", "page"), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return call

StripeGateway.charge = dying(real_charge, "charged")
StripeGateway.start_checkout = dying(real_checkout, "opened")
with session_scope() as session:
    actor = identity.actor_for(session, session.get(User, int(user_id)))
    topups.top_up_by_card(
        session, actor, get_gateway(), sim_id=int(sim_id), amount_kop=int(amount),
        request_key=key, card_id=None if card_id == "new" else int(card_id),
    )
sys.exit("the top-up survived the crash point")
"""


# --------------------------------------------------------------------------- harness


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStripe]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in NO_PROXY.items():  # requests must not send 127.0.0.1 to a proxy
            mp.setenv(name, value)
        with FakeStripe() as server:
            yield server


@pytest.fixture(scope="module")
def app_env(fake) -> Iterator[dict[str, str]]:
    """A migrated database of this module's own (each test has its own subscriber and SIM), and
    the Stripe gateway on the fake, for the child and for this process's janitor alike."""
    name = f"paysim_jobs_crash_{os.getpid()}"
    url = create_postgres_database(name)
    command.upgrade(alembic_config(url), "head")
    env = {
        "DATABASE_URL": url,
        "PAYSIM_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_API_BASE": fake.url,
        "PAYSIM_SCHEDULER": "0",
        **NO_PROXY,
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        try:
            yield env
        finally:
            _clear_caches()
            drop_postgres_database(name)


@pytest.fixture(autouse=True)
def _fresh(app_env, fake) -> Iterator[None]:
    """Settings, engine and gateway read this module's environment; the fake starts empty."""
    fake.reset()
    _clear_caches()
    yield
    if app_db.get_engine.cache_info().currsize:
        app_db.get_engine().dispose()
    _clear_caches()


def _clear_caches() -> None:
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    get_gateway.cache_clear()


@pytest.fixture
def db(app_env) -> Iterator[Session]:
    engine = make_engine(app_env["DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _top_up_and_die(env: dict, user_id: int, sim_id: int, card_id: str, crash: str) -> str:
    """Run the top-up in a child that dies at `crash`; returns its output."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD]
        + [str(user_id), str(sim_id), str(AMOUNT), f"crash-{crash}-{card_id}", card_id, crash],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    return child.stdout


def _janitor_after(delta: timedelta = GRACE) -> None:
    """The scheduler's janitor job, `delta` after the payment was made."""
    with time_machine.travel(utcnow() + delta, tick=True):
        scheduler.janitor_job()


def _state(db: Session, fake: FakeStripe, sim_id: int) -> dict:
    db.rollback()
    db.expire_all()
    rows = db.execute(select(Payment).where(Payment.sim_id == sim_id)).scalars().all()
    ledger = db.execute(
        select(LedgerEntry.kind, LedgerEntry.amount_kop, LedgerEntry.payment_id).where(
            LedgerEntry.sim_id == sim_id
        )
    ).all()
    total = db.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0)).where(
            LedgerEntry.sim_id == sim_id
        )
    ).scalar_one()
    return {
        "payments": [(p.id, p.status, p.gateway_ref, p.decline_code) for p in rows],
        "ledger": sorted(ledger),
        "balance": db.get(Sim, sim_id).balance_kop,
        "ledger_total": total,
        "charges": fake.charge_count,
        "intents": sorted(fake.payment_intents),
    }


def _subscriber_with_sim(db: Session):
    factory = Factory(db)
    actor = factory.subscriber()
    sim = factory.sim(actor, tariff=factory.tariff())
    return actor, sim.id


def _saved_card(db: Session, actor, fake: FakeStripe) -> str:
    """A card the subscriber saved earlier on Stripe's hosted page."""
    gateway = StripeGateway(secret_key=fake.api_key, api_base=fake.url, max_network_retries=0)
    customer = gateway.create_customer(reference=f"subscriber:{actor.subscriber_id}")
    token = CardToken(
        fake.card_on_file("4242424242424242", customer), "visa", "4242", 12, 2031, customer
    )
    card = cards.keep_card(db, gateway.name, actor.subscriber_id, token)
    db.commit()
    return str(card.id)


# --------------------------------------------------------------------------- the tests


def test_charged_then_killed_is_settled_once_by_the_janitor(db, app_env, fake):
    actor, sim_id = _subscriber_with_sim(db)
    card_id = _saved_card(db, actor, fake)

    out = _top_up_and_die(app_env, actor.user_id, sim_id, card_id, "after")
    assert "charged succeeded" in out
    [intent_id] = fake.payment_intents  # Stripe has the money...
    assert fake.charge_count == 1
    crashed = _state(db, fake, sim_id)
    [(payment_id, status, ref, _)] = crashed["payments"]
    assert (status, ref) == ("pending", None)  # ...we only have a pending row, without its id
    assert crashed["ledger"] == [] and crashed["balance"] == 0

    scheduler.janitor_job()  # within the grace the payer's own request may still be settling
    assert _state(db, fake, sim_id) == crashed

    _janitor_after()
    settled = _state(db, fake, sim_id)
    assert settled["payments"] == [(payment_id, "succeeded", intent_id, None)]
    assert settled["ledger"] == [("topup", AMOUNT, payment_id)]
    assert settled["balance"] == settled["ledger_total"] == AMOUNT
    assert settled["charges"] == 1  # found at Stripe, not charged again
    assert settled["intents"] == [intent_id]

    _janitor_after()
    assert _state(db, fake, sim_id) == settled
    assert payments.reconcile_pending(db, get_gateway(), older_than=timedelta(0)) == 0


@pytest.mark.parametrize("crash", ["before", "after"])
def test_killed_around_the_hosted_page_is_failed_by_the_janitor(db, app_env, fake, crash):
    """A new card's top-up whose worker died before or just after Stripe made its hosted page:
    nobody was sent to the page, nothing can be paid on it (it expires unpaid), so the janitor
    marks the payment failed once Stripe's search has surely caught up. No money moves."""
    actor, sim_id = _subscriber_with_sim(db)
    out = _top_up_and_die(app_env, actor.user_id, sim_id, "new", crash)
    assert ("opened page" in out) == (crash == "after")
    assert len(fake.checkout_sessions) == (crash == "after")
    crashed = _state(db, fake, sim_id)
    [(payment_id, status, _, _)] = crashed["payments"]
    assert status == "pending"
    assert crashed["charges"] == 0 and crashed["intents"] == []

    _janitor_after(SETTLED)
    failed = _state(db, fake, sim_id)
    assert failed["payments"] == [(payment_id, "failed", None, "processing_error")]
    assert failed["ledger"] == [] and failed["balance"] == 0
    assert failed["charges"] == 0 and failed["intents"] == []

    _janitor_after(SETTLED)
    assert _state(db, fake, sim_id) == failed


def test_killed_before_the_gateway_call_with_a_saved_card_is_not_charged_late(db, app_env, fake):
    """A top-up with a saved card that never reached Stripe: the subscriber saw it fail and may
    well have paid again, so the janitor does not charge it late (only autopay is repeated); it
    waits until Stripe's search has surely caught up, then marks it failed. No money moves."""
    actor, sim_id = _subscriber_with_sim(db)
    card_id = _saved_card(db, actor, fake)
    _top_up_and_die(app_env, actor.user_id, sim_id, card_id, "before")
    [(payment_id, status, _, _)] = _state(db, fake, sim_id)["payments"]
    assert status == "pending" and fake.charge_count == 0

    _janitor_after()  # not found yet: it may only be the search lagging
    assert _state(db, fake, sim_id)["payments"] == [(payment_id, "pending", None, None)]
    _janitor_after(SETTLED)
    failed = _state(db, fake, sim_id)
    assert failed["payments"] == [(payment_id, "failed", None, "processing_error")]
    assert failed["ledger"] == [] and failed["balance"] == 0
    assert failed["charges"] == 0 and failed["intents"] == []

    _janitor_after(SETTLED)
    assert _state(db, fake, sim_id) == failed


def _key(db: Session, payment_id: int) -> str:
    return db.get(Payment, payment_id).idempotency_key


def test_a_charge_the_gateway_search_does_not_show_yet_stays_pending(db, app_env, fake):
    """Stripe's search is eventually consistent (usually under a minute behind, longer in an
    incident). A charge made by a worker that died may not be in it yet when the janitor first
    looks: its absence must neither fail the payment (the card is charged, the SIM would never be
    credited: the succeeded webhook that follows finds the payment failed and changes nothing) nor
    charge again. With a saved card the janitor's repeat of the charge under the same key differs
    from the original request (off-session, no description), so Stripe refuses it
    (idempotency_error): the payment stays pending until the search shows the charge."""
    actor, sim_id = _subscriber_with_sim(db)
    card_id = _saved_card(db, actor, fake)
    _top_up_and_die(app_env, actor.user_id, sim_id, card_id, "after")
    [intent_id] = fake.payment_intents
    [(payment_id, _, _, _)] = _state(db, fake, sim_id)["payments"]

    search = fake._search_payment_intents
    with pytest.MonkeyPatch.context() as lagging:
        lagging.setattr(fake, "_search_payment_intents", lambda p: {**search(p), "data": []})
        _janitor_after()  # the index lags behind: nothing found yet
    assert _state(db, fake, sim_id)["payments"] == [(payment_id, "pending", None, None)]
    assert fake.charge_count == 1

    _janitor_after()  # the index has caught up
    settled = _state(db, fake, sim_id)
    assert settled["payments"] == [(payment_id, "succeeded", intent_id, None)]
    assert settled["ledger"] == [("topup", AMOUNT, payment_id)]
    assert settled["balance"] == settled["ledger_total"] == AMOUNT
    assert settled["charges"] == 1
