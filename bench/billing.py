"""Benchmark of the billing cycle (`billing.cycle.run_billing`) on a generated population.

    python bench/billing.py --db postgresql://root@127.0.0.1:5432/paysim_bench --sims 100000
    python bench/billing.py --db sqlite:////tmp/bench.db --sims 20000 --fail-rate 0.1

It (re)creates the database named in --db (PostgreSQL: a dedicated database whose name contains
"bench", dropped and created again; SQLite: the file is deleted), migrates it with alembic and
bulk-loads N subscribers with one active SIM each (COPY on PostgreSQL, executemany on SQLite),
a few tariffs and partners, last month's fee already in the ledger, saved sandbox cards and
monthly autopay on a share of the SIMs (some cards decline, some ask for 3-D Secure off-session,
so their payments wait for the subscriber's confirmation). Every SIM is due on the bench date.
Then it times run_billing() twice on that date (the second run must charge nothing), checks the
money invariants with a handful of aggregate queries, and prints the figures.

Options worth knowing: --repeat N (N fresh databases, medians printed), --profile FILE (cProfile
of the first run, top functions printed), --sql-stats (statements and round trips of the first
run, grouped by statement).
"""

# ruff: noqa: E402  (the project root goes on sys.path and the environment is set first)

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# demo mode would log every e-mail the cycle queues; no scheduler in a benchmark
os.environ["PAYSIM_DEMO"] = "0"
os.environ["PAYSIM_SCHEDULER"] = "0"

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from stdnum import luhn

import paysim_app.models  # noqa: F401  (registers every table)
from paysim_app import db as app_db
from paysim_app.accounts.passwords import hash_password
from paysim_app.billing import ledger
from paysim_app.billing.cycle import BillingReport, period_of, run_billing
from paysim_app.catalogue import addons  # noqa: F401 - the cycle renews add-ons
from paysim_app.db import make_engine, normalise_url, session_scope
from paysim_app.models import (
    AutopaySetting,
    LedgerEntry,
    Partner,
    SavedCard,
    Sim,
    Subscriber,
    Tariff,
    User,
)
from paysim_app.payments.sandbox import SandboxGateway
from paysim_app.settings import get_settings

OK_CARD = "4242424242424242"
FAILING_CARD = "4000000000009995"  # insufficient_funds: a soft decline, so a retry is scheduled
# asks for 3-D Secure every time, off-session included: its autopay waits for the subscriber
CONFIRM_CARD = "4000002760003184"
TARIFFS = [  # code, name, fee (kop), GB (None: unlimited), Mbit/s
    ("BENCH-S", "Bench S", 35000, 30, 20),
    ("BENCH-M", "Bench M", 50000, 60, 50),
    ("BENCH-L", "Bench L", 75000, 150, 100),
    ("BENCH-XL", "Bench Unlimited", 120000, None, 100),
]
PARTNERS = 25
PARTNER_SHARE = 0.7  # SIMs sold by a partner (their payments accrue a commission)
LOW_BALANCE_SHARE = 0.15  # SIMs whose balance does not pay the fee (suspended unless autopay pays)


# --------------------------------------------------------------------------- database


def prepare_database(url: str) -> str:
    """Drop and create the bench database, migrate it to head; returns the normalised URL."""
    url = normalise_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        name = parsed.database or ""
        if "bench" not in name:
            raise SystemExit(
                f"refusing to drop and recreate database {name!r}: "
                "give the benchmark its own database, e.g. .../paysim_bench"
            )
        admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
    elif backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SystemExit("SQLite needs a file: --db sqlite:////tmp/bench.db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        raise SystemExit(f"unsupported database {backend!r}")
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = parsed.render_as_string(hide_password=False)
    command.upgrade(cfg, "head")
    return parsed.render_as_string(hide_password=False)


def point_app_at(url: str) -> None:
    """Anything in the app that asks get_engine()/get_settings() gets the bench database."""
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()


class BulkLoader:
    """Rows given as tuples in `columns` order; other columns get their model default (computed
    once per table) or NULL. PostgreSQL: COPY; SQLite: one executemany per chunk."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.loaded: list[Table] = []

    def load(self, model, columns: list[str], rows: list[tuple]) -> None:
        table: Table = model.__table__
        extra = [c for c in table.columns if c.name not in columns]
        defaults = []
        for col in extra:
            value = None
            if col.default is not None:
                value = col.default.arg(None) if col.default.is_callable else col.default.arg
            defaults.append(value)
        names = columns + [c.name for c in extra]
        tail = tuple(defaults)
        if self.postgres:
            raw = self.engine.raw_connection()
            try:
                cur = raw.cursor()
                quoted = ", ".join(f'"{n}"' for n in names)
                with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row + tail)
                raw.commit()
            finally:
                raw.close()
        else:
            with self.engine.begin() as conn:
                for start in range(0, len(rows), 20000):
                    conn.execute(
                        table.insert(),
                        [
                            dict(zip(names, row + tail, strict=True))
                            for row in rows[start : start + 20000]
                        ],
                    )
        self.loaded.append(table)

    def finish(self) -> None:
        """Sequences after explicit ids; fresh planner statistics (a live database has them)."""
        if self.postgres:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in self.loaded:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f'(SELECT max(id) FROM "{table.name}"))'
                        )
                    )
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------- population


@dataclass
class Population:
    sims: int
    autopay: int
    failing: int
    partners: int
    period: str
    seconds: float = 0.0
    confirming: int = 0  # cards that want 3-D Secure off-session: their autopay waits


def iccid(serial: int) -> str:
    body = f"8970199{serial:011d}"
    return body + luhn.calc_check_digit(body)


def generate(
    engine: Engine,
    n: int,
    day: date,
    *,
    fail_rate: float,
    autopay_share: float,
    seed: int,
    confirm_rate: float = 0.0,
) -> Population:
    started = time.perf_counter()
    rng = random.Random(seed)
    tz = ZoneInfo(get_settings().paysim_timezone)
    now = datetime.now(UTC)
    loader = BulkLoader(engine)
    password_hash = hash_password("bench-password-1")  # once: every bench user shares it
    gateway = SandboxGateway()
    expiry_year = day.year + 4
    # tokens as the sandbox's hosted page makes them of these test cards
    ok_token = gateway.test_card(OK_CARD, 12, expiry_year).token
    failing_token = gateway.test_card(FAILING_CARD, 12, expiry_year).token
    confirm_token = gateway.test_card(CONFIRM_CARD, 12, expiry_year).token

    prev_month_day = day.replace(day=1) - timedelta(days=1)
    prev_period = period_of(prev_month_day)
    last_billing_day = min(day.day, 28)

    loader.load(
        Tariff,
        ["id", "code", "name", "monthly_fee_kop", "data_gb", "speed_mbps"],
        [(i, *t) for i, t in enumerate(TARIFFS, start=1)],
    )
    fees = {i: t[2] for i, t in enumerate(TARIFFS, start=1)}
    loader.load(
        Partner,
        ["id", "code", "name", "commission_bp"],
        [
            (p, f"BENCH{p:04d}", f"Bench dealer {p}", rng.choice((300, 500, 700, 1000)))
            for p in range(1, PARTNERS + 1)
        ],
    )

    users, subscribers, sims, entries, cards, rules = [], [], [], [], [], []
    failing = confirming = 0
    for i in range(1, n + 1):
        email = f"bench{i}@bench.paysim.local"
        created = now - timedelta(days=rng.randint(60, 900))
        partner = rng.randint(1, PARTNERS) if rng.random() < PARTNER_SHARE else None
        tariff = rng.randint(1, len(TARIFFS))
        fee = fees[tariff]
        billing_day = rng.randint(1, last_billing_day)
        activated = created + timedelta(hours=rng.randint(1, 48))
        if rng.random() < LOW_BALANCE_SHARE:
            balance = rng.randrange(0, fee // 2)
        else:
            balance = rng.randrange(fee, 6 * fee)
        users.append(
            (
                i,
                email,
                password_hash,
                "subscriber",
                f"Bench subscriber {i}",
                "en" if i % 10 == 0 else "ru",
                created,
                created,
            )
        )
        subscribers.append((i, f"PS-B{i:08d}", i, f"Bench subscriber {i}", email, partner, created))
        sims.append(
            (
                i,
                iccid(i),
                f"+79{i:09d}",
                f"25099{i:010d}",
                "active",
                i,
                partner,
                tariff,
                billing_day,
                f"{rng.randrange(10**8):08d}",
                activated,
                created,
                created,
            )
        )
        # history: the first top-up, then last month's fee (balance == sum of entries)
        prev_fee_at = datetime(
            prev_month_day.year, prev_month_day.month, billing_day, 0, 5, tzinfo=tz
        )
        entries.append(
            (
                2 * i - 1,
                i,
                "adjustment",
                balance + fee,
                balance + fee,
                None,
                "bench setup",
                activated,
            )
        )
        entries.append((2 * i, i, "monthly_fee", -fee, balance, prev_period, "", prev_fee_at))
        if rng.random() < autopay_share:
            # one draw decides the card (a --confirm-rate of 0 makes the population of before)
            draw = rng.random()
            fails = draw < fail_rate
            confirms = not fails and draw < fail_rate + confirm_rate
            failing += fails
            confirming += confirms
            number, token = (
                (FAILING_CARD, failing_token)
                if fails
                else (CONFIRM_CARD, confirm_token)
                if confirms
                else (OK_CARD, ok_token)
            )
            card_id = len(cards) + 1
            cards.append(
                (
                    card_id,
                    i,
                    "sandbox",
                    token,
                    gateway.create_customer(reference=f"subscriber:{i}"),
                    "visa",
                    number[-4:],
                    12,
                    expiry_year,
                    True,
                    created,
                )
            )
            rules.append((card_id, i, card_id, "monthly", True, created, created))

    loader.load(
        User,
        [
            "id",
            "email",
            "password_hash",
            "role",
            "full_name",
            "locale",
            "password_changed_at",
            "created_at",
        ],
        users,
    )
    loader.load(
        Subscriber,
        ["id", "contract_no", "user_id", "full_name", "email", "partner_id", "created_at"],
        subscribers,
    )
    loader.load(
        Sim,
        [
            "id",
            "iccid",
            "msisdn",
            "imsi",
            "status",
            "subscriber_id",
            "partner_id",
            "tariff_id",
            "billing_day",
            "puk",
            "activated_at",
            "created_at",
            "updated_at",
        ],
        sims,
    )
    loader.load(
        LedgerEntry,
        [
            "id",
            "sim_id",
            "kind",
            "amount_kop",
            "balance_after_kop",
            "fee_period",
            "comment",
            "created_at",
        ],
        entries,
    )
    loader.load(
        SavedCard,
        [
            "id",
            "subscriber_id",
            "gateway",
            "gateway_token",
            "gateway_customer",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "is_default",
            "created_at",
        ],
        cards,
    )
    loader.load(
        AutopaySetting,
        ["id", "sim_id", "card_id", "mode", "enabled", "created_at", "updated_at"],
        rules,
    )
    # the balance cache (sim_balance, a row per SIM from its trigger) from the entries just loaded
    with Session(loader.engine) as session:
        ledger.set_balances(session)
        session.commit()
    loader.finish()
    return Population(
        n,
        len(rules),
        failing,
        PARTNERS,
        period_of(day),
        round(time.perf_counter() - started, 2),
        confirming,
    )


# --------------------------------------------------------------------------- measuring


class SqlStats:
    """Statements (and parameter sets of executemany) per statement shape, with their time."""

    _PARAMS = re.compile(r"%\(\w+\)s|\?|:\w+|\$\d+")
    _LISTS = re.compile(r"\?(?:\s*,\s*\?)+")

    def __init__(self, engine: Engine):
        self.engine = engine
        self.rows: dict[str, list] = defaultdict(lambda: [0, 0, 0.0])  # calls, param sets, s
        self._started: dict[int, float] = {}

    def _shape(self, statement: str) -> str:
        shape = " ".join(statement.split())
        shape = self._LISTS.sub("?, ...", self._PARAMS.sub("?", shape))
        return shape[:150]

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        row = self.rows[self._shape(statement)]
        row[0] += 1
        row[1] += len(parameters) if executemany and parameters else 1
        row[2] += elapsed

    def __enter__(self) -> SqlStats:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def print(self, top: int = 25) -> None:
        calls = sum(r[0] for r in self.rows.values())
        total = sum(r[2] for r in self.rows.values())
        print(
            f"\nSQL: {calls} round trips, {total:.2f} s in the driver; by statement "
            "(calls, parameter sets, seconds):"
        )
        for shape, (n, sets, secs) in sorted(self.rows.items(), key=lambda kv: -kv[1][2])[:top]:
            print(f"  {n:7d} {sets:8d} {secs:7.2f}s  {shape}")


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def snapshot(engine: Engine) -> dict[str, int]:
    return {
        "payments": count(engine, "SELECT count(*) FROM payment"),
        "ledger": count(engine, "SELECT count(*) FROM ledger_entry"),
        "autopay_runs": count(engine, "SELECT count(*) FROM autopay_run"),
        "commissions": count(engine, "SELECT count(*) FROM commission"),
        "notifications": count(engine, "SELECT count(*) FROM notification"),
        "suspended": count(engine, "SELECT count(*) FROM sim WHERE status = 'suspended'"),
    }


def invariants(engine: Engine, pop: Population) -> list[tuple[str, int, int]]:
    """(what, found, expected) for every check; the run is good when found == expected."""
    p = pop.period
    key = f"autopay:%:{p}:monthly:%"
    return [
        (
            "SIMs whose balance != sum(ledger entries)",
            count(
                engine,
                """
            SELECT count(*) FROM sim_balance s
            LEFT JOIN (SELECT sim_id, sum(amount_kop) AS total FROM ledger_entry
                       GROUP BY sim_id) l ON l.sim_id = s.sim_id
            WHERE s.balance_kop <> coalesce(l.total, 0)""",
            ),
            0,
        ),
        (
            f"fees for {p}",
            count(
                engine,
                """SELECT count(*) FROM ledger_entry
            WHERE kind = 'monthly_fee' AND fee_period = :p""",
                p=p,
            ),
            pop.sims,
        ),
        (
            f"SIMs with a fee for {p}",
            count(
                engine,
                """SELECT count(DISTINCT sim_id)
            FROM ledger_entry WHERE kind = 'monthly_fee' AND fee_period = :p""",
                p=p,
            ),
            pop.sims,
        ),
        (
            f"autopay payments for {p}",
            count(
                engine,
                """SELECT count(*) FROM payment
            WHERE method = 'autopay' AND idempotency_key LIKE :k""",
                k=key,
            ),
            pop.autopay,
        ),
        (
            f"SIMs with an autopay payment for {p}",
            count(
                engine,
                """
            SELECT count(DISTINCT sim_id) FROM payment
            WHERE method = 'autopay' AND idempotency_key LIKE :k""",
                k=key,
            ),
            pop.autopay,
        ),
        (
            f"autopay attempts for {p}",
            count(
                engine,
                """SELECT count(*) FROM autopay_run
            WHERE period = :p AND mode = 'monthly'""",
                p=p,
            ),
            pop.autopay,
        ),
        (
            "autopay payments failed",
            count(
                engine,
                """SELECT count(*) FROM payment
            WHERE method = 'autopay' AND status = 'failed'""",
            ),
            pop.failing,
        ),
        (
            "autopay payments waiting for confirmation",
            count(
                engine,
                """SELECT count(*) FROM payment
            WHERE method = 'autopay' AND status = 'requires_action'""",
            ),
            pop.confirming,
        ),
        (
            "payments left pending",
            count(engine, "SELECT count(*) FROM payment WHERE status = 'pending'"),
            0,
        ),
        (
            "ledger credits of succeeded payments",
            count(
                engine,
                """
            SELECT count(*) FROM ledger_entry e JOIN payment pay ON pay.id = e.payment_id
            WHERE e.kind = 'topup' AND pay.status = 'succeeded'""",
            ),
            count(engine, "SELECT count(*) FROM payment WHERE status = 'succeeded'"),
        ),
        (
            "commissions = succeeded payments of partners' SIMs",
            count(engine, "SELECT count(*) FROM commission WHERE kind = 'accrual'"),
            count(
                engine,
                """SELECT count(*) FROM payment
            WHERE status = 'succeeded' AND partner_id IS NOT NULL""",
            ),
        ),
        (
            "active SIMs below zero",
            count(
                engine,
                "SELECT count(*) FROM sim JOIN sim_balance ON sim_id = id"
                " WHERE status = 'active' AND balance_kop < 0",
            ),
            0,
        ),
        (
            "suspended SIMs at zero or above",
            count(
                engine,
                "SELECT count(*) FROM sim JOIN sim_balance ON sim_id = id"
                " WHERE status = 'suspended' AND balance_kop >= 0",
            ),
            0,
        ),
    ]


@dataclass
class Cycle:
    first: float
    second: float
    report: BillingReport
    again: BillingReport
    ok: bool
    extra: dict = field(default_factory=dict)


def one_cycle(args, day: date, seed: int, verbose: bool) -> Cycle:
    url = prepare_database(args.db)
    point_app_at(url)
    engine = make_engine(url)
    try:
        pop = generate(
            engine,
            args.sims,
            day,
            fail_rate=args.fail_rate,
            autopay_share=args.autopay_share,
            seed=seed,
            confirm_rate=args.confirm_rate,
        )
        if verbose:
            print(
                f"generated {pop.sims} subscribers/SIMs, {pop.autopay} with monthly autopay "
                f"({pop.failing} failing cards, {pop.confirming} asking for 3-D Secure), "
                f"{pop.partners} partners, "
                f"{len(TARIFFS)} tariffs in {pop.seconds:.1f} s"
            )
        stats = SqlStats(engine) if args.sql_stats and verbose else None
        profiler = cProfile.Profile() if args.profile and verbose else None

        with session_scope(engine) as session:
            if stats:
                stats.__enter__()
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            report = run_billing(session, SandboxGateway(), day, batch=args.batch, pace=args.pace)
            first = time.perf_counter() - started
            if profiler:
                profiler.disable()
            if stats:
                stats.__exit__()
        after_first = snapshot(engine)

        with session_scope(engine) as session:
            started = time.perf_counter()
            again = run_billing(session, SandboxGateway(), day, batch=args.batch, pace=args.pace)
            second = time.perf_counter() - started
        after_second = snapshot(engine)

        checks = invariants(engine, pop)
        nothing_again = (
            again.fees == 0
            and sum(again.autopay.values()) == 0
            and after_second["payments"] == after_first["payments"]
            and after_second["ledger"] == after_first["ledger"]
        )
        ok = nothing_again and all(found == expected for _, found, expected in checks)
        if verbose:
            print(f"\nfirst run  ({day}, batch {args.batch}, pace {describe_pace(args.pace)}):")
            print(f"  SIMs due          {report.due}")
            print(f"  seconds           {first:.2f}")
            print(f"  SIMs/s            {report.due / first:,.0f}")
            if args.pace:
                print(f"  paused            {report.paused:.2f} s of the {first:.2f}")
            print(f"  fees              {report.fees} ({report.fees_kop / 100:,.2f} RUB)")
            print(
                f"  autopay           {report.autopay['succeeded']} succeeded, "
                f"{report.autopay['failed']} failed, {report.autopay['pending']} pending, "
                f"{report.autopay.get('requires_action', 0)} waiting for confirmation"
            )
            print(
                f"  suspended         {report.suspended} "
                f"(SIMs suspended now: {after_first['suspended']})"
            )
            print(
                f"  rows written      {after_first['payments']} payments, "
                f"{after_first['autopay_runs']} autopay runs, "
                f"{after_first['commissions']} commissions, "
                f"{after_first['notifications']} notifications"
            )
            print("second run (same date):")
            print(f"  seconds           {second:.3f} ({second / first:.1%} of the first)")
            print(
                f"  fees              {again.fees}, autopay {again.autopay}, new payments "
                f"{after_second['payments'] - after_first['payments']}, new ledger entries "
                f"{after_second['ledger'] - after_first['ledger']}"
                f"  -> {'charged nothing' if nothing_again else 'CHARGED AGAIN'}"
            )
            print("invariants:")
            for what, found, expected in checks:
                mark = "ok  " if found == expected else "FAIL"
                print(f"  {mark} {what}: {found} (expected {expected})")
            if stats:
                stats.print()
            if profiler:
                profiler.dump_stats(args.profile)
                print(
                    f"\ncProfile of the first run written to {args.profile}; top by "
                    "cumulative time:"
                )
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                print("top by own time:")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        return Cycle(first, second, report, again, ok)
    finally:
        engine.dispose()
        app_db.get_engine.cache_clear()


def pace_arg(value: str) -> float:
    """--pace: seconds of pause per second of work, or "default" for the scheduler's."""
    if value == "default":
        return get_settings().paysim_billing_pace
    return float(value)


def describe_pace(pace: float) -> str:
    if not pace:
        return "0, flat out"
    return f"{pace:g}" + (", by pressure" if get_settings().paysim_pace_by_pressure else "")


def default_day() -> date:
    return datetime.now(ZoneInfo(get_settings().paysim_timezone)).date()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        required=True,
        help="postgresql://user@host:port/<name containing 'bench'> "
        "or sqlite:////path/to/file.db (recreated!)",
    )
    parser.add_argument("--sims", type=int, default=100_000)
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0.05,
        help="share of autopay cards that decline (insufficient_funds)",
    )
    parser.add_argument(
        "--confirm-rate",
        type=float,
        default=0.03,
        help="share of autopay cards that ask for 3-D Secure every time (4000 0027 6000 3184): "
        "their charges wait for the subscriber's confirmation",
    )
    parser.add_argument("--autopay-share", type=float, default=0.6)
    parser.add_argument("--batch", type=int, default=500, help="run_billing(batch=...)")
    parser.add_argument(
        "--pace",
        type=pace_arg,
        default=0.0,
        help="run_billing(pace=...): the Pacer's pause per second of work; 0 (the default here) "
        "runs flat out; 'default' is the scheduler's: PAYSIM_BILLING_PACE (2.0 unless set), "
        "scaled by the machine's stall unless PAYSIM_PACE_BY_PRESSURE=0",
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the billing date (default: today in Moscow)",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--repeat", type=int, default=1, help="cycles on fresh databases; medians are printed"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the first run into FILE")
    parser.add_argument(
        "--sql-stats", action="store_true", help="count statements and round trips of the first run"
    )
    args = parser.parse_args(argv)
    day = args.date or default_day()
    backend = make_url(normalise_url(args.db)).get_backend_name()
    print(
        f"billing bench: {args.sims} SIMs on {backend}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, date {day}"
    )

    cycles = []
    for n in range(args.repeat):
        if n:
            print(f"\nrepeat {n + 1}/{args.repeat} ...", flush=True)
        cycle = one_cycle(args, day, args.seed + n, verbose=(n == 0))
        if n:
            print(
                f"  first {cycle.first:.2f} s, second {cycle.second:.3f} s, "
                f"{'ok' if cycle.ok else 'FAILED'}"
            )
        cycles.append(cycle)
    if args.repeat > 1:
        first = statistics.median(c.first for c in cycles)
        second = statistics.median(c.second for c in cycles)
        print(
            f"\nmedian of {args.repeat}: first run {first:.2f} s "
            f"({args.sims / first:,.0f} SIMs/s), second run {second:.3f} s "
            f"({second / first:.1%})"
        )
    ok = all(c.ok for c in cycles)
    print("\nRESULT:", "ok" if ok else "FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
