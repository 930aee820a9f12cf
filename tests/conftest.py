"""Shared test harness: a migrated, clean database per test on SQLite (always) and PostgreSQL
(when PAYSIM_TEST_POSTGRES_URL is set), plus factories for the usual actors and objects.

Fixtures:
    db_url   the URL of this test's clean database (also exported as DATABASE_URL, so the app's
             own get_engine()/session_scope() point at it)
    engine   an Engine on db_url
    session  a Session on engine (expire_on_commit=False, like session_scope)
    factory  a Factory bound to session: subscriber(), partner(), admin(), tariff(), sim(), ...

The schema is made by `alembic upgrade head` once per test session and backend. Between tests
SQLite gets a fresh copy of the migrated template file; PostgreSQL (a dedicated database
paysim_test_<pid>, dropped at the end) has every row deleted and every sequence restarted
(services commit themselves, so one rolled-back outer transaction would not do).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# Before anything imports the app: fast bcrypt, no demo mode, no background scheduler, and a
# throwaway default database so that no test can ever touch data/paysim.db or a real server.
os.environ["PAYSIM_BCRYPT_ROUNDS"] = "4"
os.environ["PAYSIM_DEMO"] = "0"
os.environ.setdefault("PAYSIM_SCHEDULER", "0")
os.environ.setdefault("REFLEX_PERF_MODE", "raise")
_SCRATCH = Path(tempfile.mkdtemp(prefix="paysim-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, True)
os.environ["DATABASE_URL"] = f"sqlite:///{_SCRATCH / 'unused.db'}"
# Reflex's disk state manager keeps states in ./.states by default, which a running app of the
# same checkout (the browser suite's) empties when it starts: each test process has its own
os.environ["REFLEX_STATES_WORKDIR"] = str(_SCRATCH / "states")

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text, update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel
from stdnum import luhn

import paysim_app.models  # noqa: F401  (registers every table)
from paysim_app import db as app_db
from paysim_app.accounts import identity
from paysim_app.accounts.passwords import hash_password
from paysim_app.billing import cards
from paysim_app.core import rate_limits
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT, Actor
from paysim_app.db import make_engine, normalise_url
from paysim_app.models import LedgerEntry, Partner, SavedCard, Sim, SimBalance, Tariff, User
from paysim_app.models.base import utcnow
from paysim_app.payments.sandbox import SandboxGateway
from paysim_app.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "PAYSIM_TEST_POSTGRES_URL"
PASSWORD = "Secret-pass1"


def _clear_caches() -> None:
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    rate_limits.reset_caches()


_clear_caches()


# --------------------------------------------------------------------------- the fake Stripe


@pytest.fixture(scope="module")
def fake_stripe_server():
    """A local fake Stripe (tests/payments/fake_stripe.py) for the module's tests; the real
    `stripe` SDK talks to it. 127.0.0.1 never goes through a proxy (requests honours *_PROXY)."""
    from tests.payments.fake_stripe import FakeStripe

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        with FakeStripe() as fake:
            yield fake


@pytest.fixture
def stripe_env(fake_stripe_server, monkeypatch):
    """stripe_env(webhook_secret, **more_env) -> the fake Stripe, emptied, with the app's
    settings aimed at it (PAYSIM_GATEWAY=stripe, its key and address): get_gateway() is then
    the real StripeGateway. Settings and gateway caches are cleared before and after."""
    from paysim_app.payments import get_gateway
    from paysim_app.payments.stripe_gateway import StripeGateway

    def _aim(webhook_secret: str, **env: str):
        fake_stripe_server.reset()
        settings = {
            "PAYSIM_GATEWAY": "stripe",
            "STRIPE_SECRET_KEY": fake_stripe_server.api_key,
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "STRIPE_API_BASE": fake_stripe_server.url,
            **env,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_gateway.cache_clear()
        assert isinstance(get_gateway(), StripeGateway)
        return fake_stripe_server

    yield _aim
    get_gateway.cache_clear()
    monkeypatch.undo()
    get_settings.cache_clear()


# --------------------------------------------------------------------------- the fake SMSC


@pytest.fixture
def fake_smsc():
    """A local SMSC (tests/messaging/fake_smsc.py: SMPP 3.4 on 127.0.0.1, binds as
    fake_smsc.SYSTEM_ID / PASSWORD) for this test; steer it, read what it received."""
    from tests.messaging.fake_smsc import FakeSmsc

    with FakeSmsc() as fake:
        yield fake


@pytest.fixture
def smpp_env(fake_smsc, monkeypatch):
    """The app's settings aimed at the fake SMSC (PAYSIM_SMS_PROVIDER=smpp, a 2 s timeout):
    messaging.sms.get_sms_sender() is then the real SMPP sender. Yields the fake."""
    from tests.messaging.fake_smsc import PASSWORD, SYSTEM_ID

    for name, value in {
        "PAYSIM_SMS_PROVIDER": "smpp",
        "SMPP_HOST": "127.0.0.1",
        "SMPP_PORT": str(fake_smsc.port),
        "SMPP_SYSTEM_ID": SYSTEM_ID,
        "SMPP_PASSWORD": PASSWORD,
        "SMPP_TIMEOUT": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield fake_smsc
    monkeypatch.undo()
    get_settings.cache_clear()


# --------------------------------------------------------------------------- alembic helpers


@pytest.fixture
def limits_of(monkeypatch):
    """Set PAYSIM_RATE_LIMITS (core.rate_limits overrides) for this test."""

    def _set(text: str) -> None:
        monkeypatch.setenv("PAYSIM_RATE_LIMITS", text)
        get_settings.cache_clear()
        rate_limits.reset_caches()

    yield _set
    monkeypatch.delenv("PAYSIM_RATE_LIMITS", raising=False)
    get_settings.cache_clear()
    rate_limits.reset_caches()


# the groups that start or kill processes, or sweep every page: seconds each, not milliseconds
SLOW = {
    "tests/billing/test_billing_processes.py",
    "tests/e2e/test_accessibility.py",
    "tests/jobs/test_restart.py",
    "tests/jobs/test_two_workers.py",
    "tests/payments/test_crash_between_gateway_and_commit.py",
    "tests/security/test_door_matrix.py",
    "tests/security/test_hostile_arguments.py",
    "tests/security/test_idor_matrix.py",
    "tests/test_cli.py",
}


def pytest_collection_modifyitems(config, items) -> None:
    """Folders mark their tests: `make test` runs the rest on two cores (pytest-xdist) and
    these groups in one process, where they share one app build and its backends."""
    for item in items:
        path = item.path.relative_to(ROOT)
        if path.parts[:2] == ("tests", "e2e"):
            item.add_marker(pytest.mark.browser)
        elif path.parts[:2] == ("tests", "security"):
            item.add_marker(pytest.mark.server)
        if path.as_posix() in SLOW:
            item.add_marker(pytest.mark.slow)


_WEB_LOCK = {"fd": None, "depth": 0}
CHECKOUT_LOCK_HELD = "PAYSIM_CHECKOUT_LOCK_HELD"


@contextlib.contextmanager
def app_checkout_lock() -> Iterator[None]:
    """Held while a test run starts the app from this checkout (it builds into the shared .web):
    two test runs on one machine take turns instead of building over each other. Re-entrant
    within one run (the browser and the security suites may both hold it), and held for its
    children by tests/suite.py (which sets CHECKOUT_LOCK_HELD)."""
    if os.environ.get(CHECKOUT_LOCK_HELD):
        yield
        return
    if _WEB_LOCK["depth"] == 0:
        fd = os.open(
            os.path.join(tempfile.gettempdir(), "paysim-app-checkout.lock"), os.O_CREAT | os.O_RDWR
        )
        fcntl.flock(fd, fcntl.LOCK_EX)
        _WEB_LOCK["fd"] = fd
    _WEB_LOCK["depth"] += 1
    try:
        yield
    finally:
        _WEB_LOCK["depth"] -= 1
        if _WEB_LOCK["depth"] == 0:
            os.close(_WEB_LOCK["fd"])  # closing the descriptor releases the lock
            _WEB_LOCK["fd"] = None


def alembic_config(url: str | None = None, connection=None) -> Config:
    """An alembic Config for this repository aimed at `url` (or an open connection)."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def create_postgres_database(name: str) -> str:
    """(Re)create database `name` on the PAYSIM_TEST_POSTGRES_URL server; returns its URL."""
    server = make_url(normalise_url(postgres_server_url()))
    admin = make_engine(server.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # a test's commit need not wait for the WAL to reach the disk (a crash loses the
            # last commits of a database the run drops anyway)
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    server = make_url(normalise_url(postgres_server_url()))
    admin = make_engine(server.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --------------------------------------------------------------------------- database fixtures

BACKENDS = [pytest.param("sqlite", id="sqlite")]
if postgres_server_url():
    BACKENDS.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))


def _sqlite_dir(tmp_path_factory) -> Path:
    """Where this process keeps its SQLite test databases: in memory-backed /dev/shm when there
    is one (a commit's fsync costs ~0.05 ms there and ~1 ms on this disk, and the tests commit
    thousands of times), else the usual temporary directory. Each test's copy is deleted after
    the test; the directory goes when the process ends."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        path = Path(tempfile.mkdtemp(prefix="paysim-tests-", dir=shm))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        return path
    return tmp_path_factory.mktemp("sqlite")


@dataclass
class MigratedDatabase:
    backend: str
    url: str  # sqlite: the template file; postgres: the dedicated database
    cleaner: Engine | None = None  # postgres: the engine that empties it after each test
    clean_sql: str = ""


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(request, tmp_path_factory) -> Iterator[MigratedDatabase]:
    """A database migrated to head, once per test session and backend."""
    backend = request.param
    if backend == "sqlite":
        template = _sqlite_dir(tmp_path_factory) / "template.db"
        url = f"sqlite:///{template}"
        command.upgrade(alembic_config(url), "head")
        yield MigratedDatabase("sqlite", url)
        return
    name = f"paysim_test_{os.getpid()}"  # one per pytest-xdist worker too
    url = create_postgres_database(name)
    command.upgrade(alembic_config(url), "head")
    cleaner = make_engine(url)
    try:
        yield MigratedDatabase("postgres", url, cleaner, _postgres_clean_sql())
    finally:
        cleaner.dispose()
        drop_postgres_database(name)


def _postgres_clean_sql() -> str:
    """DELETE every row (children first) and restart every sequence: the same result as
    TRUNCATE ... RESTART IDENTITY CASCADE in about 2 ms instead of 250 (TRUNCATE makes new files
    and fsyncs them, for each of the ~40 tables, after every test). The sequences restart with
    setval, not ALTER SEQUENCE ... RESTART: a DDL statement per sequence cost ~23 ms a test."""
    deletes = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    restart = (
        "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
        " JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema()"
    )
    # a test that leaks an open transaction fails loudly here instead of hanging
    return "; ".join(["SET LOCAL lock_timeout = '10s'", *deletes, restart])


def _empty_postgres(db: MigratedDatabase) -> None:
    with db.cleaner.begin() as conn:
        conn.exec_driver_sql(db.clean_sql)


@pytest.fixture
def backend(migrated_database: MigratedDatabase) -> str:
    """'sqlite' or 'postgres'."""
    return migrated_database.backend


# One engine per test database for the whole process: SQLAlchemy keeps its compiled SQL per
# engine, and a new engine for every test compiled the same statements again for each (a quarter
# of the service tests' time). After every test its connections are closed (dispose); the engine
# and its cache stay. The test's database has one address per process and backend: SQLite's file
# is overwritten with the migrated template before each test, PostgreSQL's rows are deleted after.
_ENGINES: dict[tuple[str, bool], Engine] = {}


def _shared_make_engine(test_url: str):
    def _make(url: str, *, read_only: bool = False) -> Engine:
        if normalise_url(url) != normalise_url(test_url):
            return make_engine(url, read_only=read_only)  # another database: its own engine
        key = (normalise_url(url), read_only)
        if key not in _ENGINES:
            _ENGINES[key] = make_engine(url, read_only=read_only)
        return _ENGINES[key]

    return _make


def _close_shared(url: str) -> None:
    for (engine_url, _), engine in _ENGINES.items():
        if engine_url == normalise_url(url):
            engine.dispose()


@pytest.fixture
def db_url(migrated_database: MigratedDatabase) -> Iterator[str]:
    """A clean, migrated database for this test; DATABASE_URL points at it too."""
    target = None
    if migrated_database.backend == "sqlite":
        template = Path(make_url(migrated_database.url).database)
        target = template.with_name("test.db")
        url = f"sqlite:///{target}"
        _close_shared(url)
        for path in (target.with_name(target.name + end) for end in ("-wal", "-shm")):
            path.unlink(missing_ok=True)
        shutil.copyfile(template, target)
    else:
        url = migrated_database.url
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setattr(app_db, "make_engine", _shared_make_engine(url))
        _clear_caches()
        try:
            yield url
        finally:
            if target is not None:  # SQLite: the next test's file replaces this one
                if app_db.get_engine.cache_info().currsize:
                    app_db.get_engine().dispose()
                _close_shared(url)
    _clear_caches()
    if migrated_database.backend == "postgres":
        _empty_postgres(migrated_database)


@pytest.fixture
def engine(db_url: str) -> Engine:
    return app_db.make_engine(db_url)  # the shared one: db_url closes what must be closed


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def new_session(engine: Engine):
    """Open another Session on the same database (closed at the end of the test)."""
    opened: list[Session] = []

    def _open() -> Session:
        s = Session(engine, expire_on_commit=False)
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


# --------------------------------------------------------------------------- value helpers

_serial = itertools.count(1)


def make_iccid(serial: int) -> str:
    """A valid 19-digit ICCID: issuer prefix 89701 99, 11-digit serial, Luhn check digit."""
    body = f"8970199{serial:011d}"
    return body + luhn.calc_check_digit(body)


def make_msisdn(serial: int) -> str:
    return f"+7999{serial:07d}"


def make_imsi(serial: int) -> str:
    return f"25099{serial:010d}"


# --------------------------------------------------------------------------- factories


@dataclass
class PartnerBundle:
    partner: Partner
    user: User
    actor: Actor
    login: str
    password: str


class Factory:
    """Builds committed rows through the services where a service exists."""

    password = PASSWORD

    def __init__(self, session: Session):
        self.session = session

    def _n(self) -> int:
        return next(_serial)

    def subscriber(
        self, login: str | None = None, password: str = PASSWORD, full_name: str = "Иван Петров"
    ) -> Actor:
        login = login or f"sub{self._n()}@example.ru"
        actor = identity.register_subscriber(
            self.session, login, password, full_name=full_name, consent=True
        )
        self.session.commit()
        return actor

    def partner(
        self, name: str | None = None, login: str | None = None, password: str = PASSWORD
    ) -> PartnerBundle:
        n = self._n()
        partner = Partner(code=f"P{n:05d}", name=name or f"Дилер {n}", commission_bp=500)
        self.session.add(partner)
        self.session.flush()
        login = login or f"partner{n}@example.ru"
        user = User(
            email=login,
            password_hash=hash_password(password),
            role="partner",
            full_name=f"Сотрудник {n}",
            partner_id=partner.id,
        )
        self.session.add(user)
        self.session.commit()
        return PartnerBundle(partner, user, identity.actor_for(self.session, user), login, password)

    def admin_user(
        self, role: str = ROLE_SUPERADMIN, email: str | None = None, password: str = PASSWORD
    ) -> User:
        email = email or f"admin{self._n()}@example.ru"
        user = identity.create_admin(self.session, email, password, role, full_name="Админ")
        self.session.commit()
        return user

    def admin(self, role: str = ROLE_SUPERADMIN, **kw) -> Actor:
        return identity.actor_for(self.session, self.admin_user(role, **kw))

    def superadmin(self) -> Actor:
        return self.admin(ROLE_SUPERADMIN)

    def support(self) -> Actor:
        return self.admin(ROLE_SUPPORT)

    def tariff(self, name: str | None = None, fee_kop: int = 50000, **kw) -> Tariff:
        n = self._n()
        tariff = Tariff(code=f"T{n}", name=name or f"Тариф {n}", monthly_fee_kop=fee_kop, **kw)
        self.session.add(tariff)
        self.session.commit()
        return tariff

    def sim(
        self,
        subscriber: Actor | int | None = None,
        *,
        partner: PartnerBundle | Partner | int | None = None,
        tariff: Tariff | int | None = None,
        status: str | None = None,
        balance_kop: int = 0,
        label: str = "",
        billing_day: int = 1,
        activated_at: datetime | None = None,
    ) -> Sim:
        n = self._n()
        subscriber_id = subscriber.subscriber_id if isinstance(subscriber, Actor) else subscriber
        if isinstance(partner, PartnerBundle):
            partner = partner.partner
        partner_id = partner.id if isinstance(partner, Partner) else partner
        tariff_id = tariff.id if isinstance(tariff, Tariff) else tariff
        sim = Sim(
            iccid=make_iccid(n),
            msisdn=make_msisdn(n),
            imsi=make_imsi(n),
            status=status or ("active" if subscriber_id else "in_stock"),
            subscriber_id=subscriber_id,
            partner_id=partner_id,
            tariff_id=tariff_id,
            label=label,
            billing_day=billing_day,
            # a SIM on a contract has been in service for a while unless the test says otherwise
            activated_at=activated_at or (utcnow() - timedelta(days=90) if subscriber_id else None),
        )
        self.session.add(sim)
        self.session.flush()
        if balance_kop:
            # keep the invariant balance == sum(ledger entries)
            self.session.add(
                LedgerEntry(
                    sim_id=sim.id,
                    kind="adjustment",
                    amount_kop=balance_kop,
                    balance_after_kop=balance_kop,
                    comment="test setup",
                )
            )
            self.session.execute(
                update(SimBalance)
                .where(SimBalance.sim_id == sim.id)
                .values(balance_kop=balance_kop)
            )
        self.session.commit()
        return sim

    def card(self, subscriber: Actor, number: str = "4242424242424242", expiry: str = "12/34"):
        """A card saved through the sandbox gateway, as its hosted page saves a test card."""
        gateway = SandboxGateway()
        month, year = (int(part) for part in expiry.split("/"))
        customer = gateway.create_customer(reference=f"subscriber:{subscriber.subscriber_id}")
        token = gateway.test_card(number, month, 2000 + year % 100, customer)
        card = cards.keep_card(self.session, gateway.name, subscriber.subscriber_id, token)
        self.session.commit()
        return self.session.get(SavedCard, card.id)


@pytest.fixture
def factory(session: Session) -> Factory:
    return Factory(session)


@pytest.fixture(autouse=True)
def sandbox_webhooks(monkeypatch) -> list[tuple[bytes, str]]:
    """The signed events the sandbox gateway would POST to the app's webhook (payload,
    signature): kept here, never sent anywhere."""
    sent: list[tuple[bytes, str]] = []
    monkeypatch.setattr(
        SandboxGateway,
        "_post_in_background",
        lambda self, payload, sig: sent.append((payload, sig)),
    )
    return sent


def pytest_collection_finish(session) -> None:
    """What is loaded by now (the app's modules, SQLAlchemy's, the tests') lives for the whole
    run: moved out of the garbage collector's generations, so its passes stop walking it, and
    the passes run less often (tests/billing, sims and accounts on 2 cores: 92.5 -> 86.7
    core-s, bench/README.md "The test suite's time")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
