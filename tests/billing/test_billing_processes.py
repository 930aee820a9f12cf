"""The billing cycle started twice at the same moment, as two separate processes (the CLI, as
two app workers or an operator and the scheduler would): each SIM pays one fee and one monthly
autopay charge, whatever the interleaving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from paysim_app.billing import autopay
from paysim_app.models import LedgerEntry, Payment, Sim
from tests.money_helpers import LONG_AGO

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_at_once_charge_each_sim_once(db_url, session, factory):
    tariff = factory.tariff(fee_kop=30000)
    sims = []
    for i in range(30):
        sub = factory.subscriber()
        sim = factory.sim(
            sub, tariff=tariff, billing_day=5, activated_at=LONG_AGO, balance_kop=10000 * (i % 3)
        )
        if i % 2 == 0:
            card = factory.card(sub)
            autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", card.id))
            session.commit()
        sims.append(sim.id)

    env = {**os.environ, "DATABASE_URL": db_url, "PAYSIM_SCHEDULER": "0"}
    command = [sys.executable, "-m", "paysim_app", "run-billing", "--date", "2026-11-20"]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err

    session.expire_all()
    fees = dict(
        session.exec(
            select(LedgerEntry.sim_id, func.count())
            .where(LedgerEntry.fee_period == "2026-11")
            .group_by(LedgerEntry.sim_id)
        ).all()
    )
    assert fees == dict.fromkeys(sims, 1)
    autopays = dict(
        session.exec(
            select(Payment.sim_id, func.count())
            .where(Payment.method == "autopay")
            .group_by(Payment.sim_id)
        ).all()
    )
    assert autopays == dict.fromkeys(sims[::2], 1)
    for sim_id in sims:
        total = session.exec(
            select(func.sum(LedgerEntry.amount_kop)).where(LedgerEntry.sim_id == sim_id)
        ).one()
        assert session.get(Sim, sim_id).balance_kop == total
