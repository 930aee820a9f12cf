"""partner_takings against the payments and commissions it sums: the triggers follow every
insert, update and delete (random ones, on both databases), fold keeps the sums and leaves one
row per partner and hour, rebuild recomputes the same, a fold beside an open writer loses
nothing, and a bound off the hour is refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from paysim_app.models import Commission, PartnerTakings, Payment, Sim
from paysim_app.partners import takings
from tests.conftest import make_iccid, make_imsi, make_msisdn

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
KEPT = Payment.amount_kop - Payment.refunded_kop - Payment.chargeback_kop


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _expected(session) -> dict[tuple[int, datetime], tuple[int, ...]]:
    """(partner, UTC hour) -> (payments, kept, cash, profit, sims, activations), summed in
    Python from the rows: succeeded payments count and keep; a dealer's cash top-up (method
    "partner") is cash when it succeeded or was refunded; a SIM held counts at HELD_AT, its
    activation at the hour it was activated."""
    out: dict[tuple[int, datetime], list[int]] = {}
    for partner_id, created, status, method, kept in session.execute(
        select(Payment.partner_id, Payment.created_at, Payment.status, Payment.method, KEPT).where(
            Payment.partner_id.is_not(None)
        )
    ):
        figures = out.setdefault((partner_id, _hour(created)), [0] * 6)
        if status == "succeeded":
            figures[0], figures[1] = figures[0] + 1, figures[1] + kept
        if method == "partner" and status in ("succeeded", "refunded"):
            figures[2] += kept
    for partner_id, created, amount in session.execute(
        select(Commission.partner_id, Commission.created_at, Commission.amount_kop)
    ):
        out.setdefault((partner_id, _hour(created)), [0] * 6)[3] += amount
    for partner_id, activated in session.execute(
        select(Sim.partner_id, Sim.activated_at).where(Sim.partner_id.is_not(None))
    ):
        out.setdefault((partner_id, takings.HELD_AT), [0] * 6)[4] += 1
        if activated is not None:
            out.setdefault((partner_id, _hour(activated)), [0] * 6)[5] += 1
    return {key: tuple(v) for key, v in out.items() if any(v)}


def _held(session) -> dict[tuple[int, datetime], tuple[int, ...]]:
    rows = session.execute(
        select(
            PartnerTakings.partner_id,
            PartnerTakings.hour,
            func.sum(PartnerTakings.payments),
            func.sum(PartnerTakings.kept_kop),
            func.sum(PartnerTakings.cash_kop),
            func.sum(PartnerTakings.profit_kop),
            func.sum(PartnerTakings.sims),
            func.sum(PartnerTakings.activations),
        ).group_by(PartnerTakings.partner_id, PartnerTakings.hour)
    ).all()
    return {(p, h): tuple(int(f) for f in figures) for p, h, *figures in rows if any(figures)}


@pytest.fixture
def shop(session, factory):
    partners = [factory.partner().partner.id for _ in range(3)]
    sims = [factory.sim().id for _ in range(4)]
    return partners, sims


def _change_a_sim(session, rnd, partners, step: int, seed: int) -> None:
    mine = session.execute(select(Sim.id).where(Sim.label == f"t{seed}")).scalars().all()
    what = rnd.random()
    moment = START + timedelta(minutes=rnd.randint(0, 6 * 60))
    if what < 0.4 or not mine:
        n = 10_000 + seed * 1000 + step
        session.execute(
            insert(Sim).values(
                iccid=make_iccid(n),
                msisdn=make_msisdn(n),
                imsi=make_imsi(n),
                status="in_stock",
                partner_id=rnd.choice([*partners, None]),
                label=f"t{seed}",
                activated_at=rnd.choice([None, moment]),
                created_at=START + timedelta(minutes=rnd.randint(0, 6 * 60)),
            )
        )
        return
    sim_id = rnd.choice(mine)
    change = rnd.choice(
        [
            {"partner_id": rnd.choice([*partners, None])},
            {"activated_at": moment, "status": "active"},
            {"activated_at": None},
            {"status": "blocked"},  # nothing the takings count
        ]
    )
    if what < 0.9:
        session.execute(update(Sim).where(Sim.id == sim_id).values(**change))
    else:
        session.execute(delete(Sim).where(Sim.id == sim_id))


def _random_changes(session, partners, sims, steps: int, seed: int = 7) -> None:
    """Inserts, updates and deletes of payments and commissions, as single rows and as
    statements over many rows (a settlement's, a refund's)."""
    rnd = random.Random(seed)
    made: list[int] = []
    commissions: list[int] = []
    for step in range(steps):
        op = rnd.random()
        if op < 0.28 or not made:
            amount = rnd.randint(100, 500_000)
            made.append(
                session.execute(
                    insert(Payment)
                    .values(
                        sim_id=rnd.choice(sims),
                        partner_id=rnd.choice([*partners, None]),
                        amount_kop=amount,
                        method=rnd.choice(["card", "autopay", "partner"]),
                        status=rnd.choice(["pending", "succeeded", "failed", "refunded"]),
                        idempotency_key=f"t{seed}-{step}",
                        created_at=START + timedelta(minutes=rnd.randint(0, 6 * 60)),
                    )
                    .returning(Payment.id)
                ).scalar_one()
            )
        elif op < 0.42:  # settle, refund in part or whole, a lost dispute
            pid = rnd.choice(made)
            amount = session.get(Payment, pid).amount_kop
            change = rnd.choice(
                [
                    {"status": "succeeded"},
                    {"status": "failed"},
                    {"refunded_kop": amount // 3},
                    {"refunded_kop": amount, "status": "refunded"},
                    {"chargeback_kop": amount // 2},
                    {"partner_id": rnd.choice(partners)},
                    {"method": rnd.choice(["card", "partner"])},
                    {"completed_at": START},  # nothing the takings count
                ]
            )
            session.execute(update(Payment).where(Payment.id == pid).values(**change))
        elif op < 0.48:  # one statement over several payments, as a settlement writes them
            chosen = rnd.sample(made, min(len(made), 5))
            session.execute(
                update(Payment).where(Payment.id.in_(chosen)).values(status="succeeded")
            )
        elif op < 0.62:
            pid = rnd.choice(made)
            commissions.append(
                session.execute(
                    insert(Commission)
                    .values(
                        partner_id=rnd.choice(partners),
                        payment_id=pid,
                        kind="reversal",  # any number of reversals per payment
                        rate_bp=500,
                        amount_kop=rnd.randint(-5_000, 5_000),
                        created_at=START + timedelta(minutes=rnd.randint(0, 6 * 60)),
                    )
                    .returning(Commission.id)
                ).scalar_one()
            )
        elif op < 0.86:  # SIMs: added (in stock or active), moved, activated, removed
            _change_a_sim(session, rnd, partners, step, seed)
        elif op < 0.92 and commissions:
            gone = commissions.pop(rnd.randrange(len(commissions)))
            session.execute(delete(Commission).where(Commission.id == gone))
        elif commissions:
            session.execute(
                update(Commission)
                .where(Commission.id == rnd.choice(commissions))
                .values(amount_kop=rnd.randint(-5_000, 5_000))
            )
        if step % 40 == 39:
            session.commit()
    session.commit()


def test_the_triggers_follow_every_change_and_fold_keeps_the_sums(session, shop):
    partners, sims = shop
    _random_changes(session, partners, sims, 300)
    expected = _expected(session)
    assert len(expected) > 12  # several partners and hours
    assert _held(session) == expected

    folded = takings.fold(session)
    session.commit()
    assert folded > 0
    assert _held(session) == expected
    assert (
        session.execute(
            select(func.count()).select_from(PartnerTakings).where(~PartnerTakings.folded)
        ).scalar_one()
        == 0
    )
    assert takings.fold(session) == 0  # nothing left to fold

    _random_changes(session, partners, sims, 120, seed=8)  # more after a fold, folded again
    takings.fold(session)
    session.commit()
    assert _held(session) == _expected(session)
    one_per_hour = select(PartnerTakings.partner_id, PartnerTakings.hour).group_by(
        PartnerTakings.partner_id, PartnerTakings.hour
    )
    rows = session.execute(select(func.count()).select_from(PartnerTakings)).scalar_one()
    assert rows == len(session.execute(one_per_hour).all())


def test_rebuild_computes_what_the_triggers_wrote(session, shop):
    partners, sims = shop
    _random_changes(session, partners, sims, 150, seed=11)
    by_triggers = _held(session)
    rows = takings.rebuild(session)
    session.commit()
    assert _held(session) == by_triggers
    assert rows == session.execute(select(func.count()).select_from(PartnerTakings)).scalar_one()


def test_sums_by_partner_and_period(session, shop):
    partners, sims = shop
    _random_changes(session, partners, sims, 200, seed=3)
    start, end = START + timedelta(hours=1), START + timedelta(hours=4)
    got = takings.sums(session, PartnerTakings.partner_id, start=start, end=end)
    for partner_id in partners:
        want = [0] * 6
        for (p, hour), figures in _expected(session).items():
            if p == partner_id and start <= hour < end:
                want = [a + b for a, b in zip(want, figures, strict=True)]
        assert got.get(partner_id, takings.Takings()) == takings.Takings(*want)
    everything = takings.sums(session, None, partner_id=partners[0])[None]
    assert everything.payments == sum(
        f[0] for (p, _), f in _expected(session).items() if p == partners[0]
    )


def test_a_bound_off_the_hour_is_refused(session):
    with pytest.raises(ValueError, match="not on the hour"):
        takings.sums(session, None, start=START + timedelta(minutes=30))


def test_a_fold_beside_an_open_writer_loses_nothing(backend, session, new_session, shop):
    """The writer's rows of differences are not yet committed while the fold runs: the fold
    leaves them, a later fold takes them (PostgreSQL; SQLite has one writer at a time)."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: the fold would wait for the writer")
    partners, sims = shop
    _random_changes(session, partners, sims, 60, seed=5)
    writer = new_session()
    writer.execute(
        insert(Payment).values(
            sim_id=sims[0],
            partner_id=partners[0],
            amount_kop=12_345,
            method="card",
            status="succeeded",
            idempotency_key="beside-the-fold",
            created_at=START,
        )
    )
    takings.fold(session)
    session.commit()
    writer.commit()
    takings.fold(session)
    session.commit()
    assert _held(session) == _expected(session)


def test_held_counts_the_sims_each_partner_holds_now(session, shop):
    partners, sims = shop
    _random_changes(session, partners, sims, 200, seed=13)
    now = dict(
        session.execute(
            select(Sim.partner_id, func.count())
            .where(Sim.partner_id.is_not(None))
            .group_by(Sim.partner_id)
        ).all()
    )
    assert takings.held(session) == {p: n for p, n in now.items() if n}
    takings.fold(session)
    session.commit()
    assert takings.held(session) == {p: n for p, n in now.items() if n}
