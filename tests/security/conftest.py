"""A real backend (`reflex run --env prod --backend-only`) on a demo database of its own
(PostgreSQL, production's database, when PAYSIM_TEST_POSTGRES_URL is set; SQLite otherwise),
driven over its websocket by the load benchmark's client (bench/load_client.py: Reflex's own
protocol).

One database kind, not both: what these suites check is the door and the ownership filters of
the handlers, Python and SQL that do not differ by database, and the verbs behind them run on
both databases in the service tests. The second backend cost about a tenth of `make test`'s CPU
(bench/README.md, "The test suite's time").

The demo data is seeded, then the actors the access matrix needs are made beside it: a dealer
user whose dealer is then deactivated and an admin whose role loses its rights after signing in;
and a victim for the IDOR matrix: a subscriber of the demo dealer with one object of every kind,
its texts marked so that a frame carrying any of them is found.

One backend serves every module of the run (seeding and starting one costs seconds): a test that changes data uses actors of its own or leaves it as it found it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from paysim_app.accounts import consent, identity
from paysim_app.accounts.passwords import hash_password
from paysim_app.billing import ledger
from paysim_app.billing.ledger import Posting
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT
from paysim_app.db import make_engine
from paysim_app.demo import make_iccid
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    AdminRole,
    AutopaySetting,
    Block,
    Notification,
    Partner,
    Payment,
    SavedCard,
    Sim,
    SimAddon,
    SpeedTest,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    Ticket,
    TicketMessage,
    User,
)
from tests.conftest import (
    app_checkout_lock,
    create_postgres_database,
    drop_postgres_database,
    postgres_server_url,
)
from tests.e2e.conftest import _free_port, _wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo12345"
STARTUP_TIMEOUT = 300
# rows every event may touch without it being a change of business data
VOLATILE = {"auth_session", "login_throttle", "rate_counter", "job_lease"}


# the IDOR matrix's victim: texts no other customer may ever receive (see _seed_victim)
VICTIM_EMAIL = "idor-victim@paysim.demo"
VICTIM_PARTNER_EMAIL = "partner@paysim.demo"  # the demo dealer: the victim is its customer
# signed in for the IDOR matrix only (the door matrix leaves them out)
IDOR_ACTORS = ("idor-subscriber", "idor-partner", "victim")


@dataclass
class Victim:
    ids: dict[str, int]  # object kind -> id ("sim", "card", "ticket", ...)
    numbers: list[str]  # MSISDNs (+7...) and ICCIDs of the victim's SIMs
    markers: dict[str, str]  # section -> a unique text of the victim's in that section
    user_id: int = 0
    subscriber_id: int = 0


@dataclass
class Backend:
    kind: str
    url: str
    base_url: str
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # actor name -> session token
    victim: Victim | None = None

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


def _env(url: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PAYSIM_DEMO": "1",
        "PAYSIM_BCRYPT_ROUNDS": "4",
        "PAYSIM_SCHEDULER": "0",
        "GRANIAN_WORKERS": "1",
        "REFLEX_BACKEND_ONLY": "1",
        "PAYSIM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:"
        f"{os.environ['PATH']}",
    }
    for name in ("PYTEST_CURRENT_TEST", "REDIS_URL"):
        env.pop(name, None)
    return env


def _seed_victim(session: Session) -> Victim:
    """A subscriber of the demo dealer with a SIM, a second SIM waiting for activation, one
    in the dealer's stock, a card, autopay, a payment, a dealer's top-up, a ticket with a file,
    a notification, a speed test, an add-on, a tariff change request and a lifted block."""
    markers = {
        "name": "Виктория Жертвенная-IDOR",
        "email": VICTIM_EMAIL,
        "label": "IDOR-метка-сим",
        "ticket": "IDOR-тема-обращения",
        "message": "IDOR-текст-сообщения жертвы",
        "attachment": "idor-victim-scan.png",
        "notification": "IDOR-уведомление жертвы",
        "activation": "IDOR-Покупатель Жертвы",
        "block": "IDOR-причина-блокировки",
        "payment": "idor-victim-payment-ref",
        "address": "IDOR-адрес жертвы, д. 7",
    }
    dealer = session.exec(
        select(Partner)
        .join(User, User.partner_id == Partner.id)
        .where(User.email == VICTIM_PARTNER_EMAIL)
    ).one()
    dealer_user = session.exec(select(User).where(User.email == VICTIM_PARTNER_EMAIL)).one()
    tariff = session.exec(select(Tariff).where(Tariff.is_archived == False)).first()  # noqa: E712
    addon = session.exec(select(AddonService).order_by(AddonService.id)).first()
    user = User(
        email=VICTIM_EMAIL,
        password_hash=hash_password(DEMO_PASSWORD),
        role="subscriber",
        full_name=markers["name"],
    )
    session.add(user)
    session.flush()
    sub = Subscriber(
        contract_no="IDOR-0001",
        user_id=user.id,
        full_name=markers["name"],
        email=VICTIM_EMAIL,
        phone="+79997700001",
        address=markers["address"],
        partner_id=dealer.id,
    )
    session.add(sub)
    session.flush()
    consent.record_consents(  # accepted the current legal texts: not sent to /consent
        session,
        personal_data=True,
        terms=True,
        source="registration",
        user_id=user.id,
        subscriber_id=sub.id,
    )
    sims = []
    for n, status, owner in (
        (1, "active", sub.id),
        (2, "awaiting_activation", sub.id),
        (3, "in_stock", None),
    ):
        sim = Sim(
            iccid=make_iccid(f"897010269977{n:06d}"),
            msisdn=f"+7999770000{n}",
            imsi=f"2500199770000{n:02d}",
            status=status,
            subscriber_id=owner,
            partner_id=dealer.id,
            tariff_id=tariff.id,
            label=markers["label"] if n == 1 else "",
            puk="12345678",
        )
        session.add(sim)
        sims.append(sim)
    session.flush()
    sim = sims[0]
    ledger.post(session, Posting(sim.id, "adjustment", 50_000, comment="victim's balance"))
    card = SavedCard(
        subscriber_id=sub.id,
        gateway_token="pm_idor_victim",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2099,
        is_default=True,
    )
    session.add(card)
    session.flush()
    session.add(AutopaySetting(sim_id=sim.id, card_id=card.id))
    payment = Payment(
        sim_id=sim.id,
        subscriber_id=sub.id,
        payer_user_id=user.id,
        card_id=card.id,
        amount_kop=50_000,
        method="card",
        status="succeeded",
        card_brand="visa",
        card_last4="4242",
        gateway_ref=markers["payment"],
        idempotency_key="idor-victim-payment",
    )
    topup = Payment(
        sim_id=sim.id,
        subscriber_id=sub.id,
        partner_id=dealer.id,
        payer_user_id=dealer_user.id,
        amount_kop=30_000,
        method="partner",
        status="succeeded",
        idempotency_key="idor-victim-dealer-topup",
    )
    ticket = Ticket(
        author_user_id=user.id,
        subscriber_id=sub.id,
        sim_id=sim.id,
        category="speed",
        subject=markers["ticket"],
        status="resolved",
    )
    session.add_all([payment, topup, ticket])
    session.flush()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_user_id=user.id,
        body=markers["message"],
        attachment_name=markers["attachment"],
        attachment_path="0" * 32 + ".png",  # never read unless a foreign download passes
    )
    note = Notification(
        user_id=user.id, kind="info", title=markers["notification"], body=markers["notification"]
    )
    test = SpeedTest(
        sim_id=sim.id, user_id=user.id, ping_ms=77, jitter_ms=7, download_kbps=7, upload_kbps=7
    )
    now = datetime.now(UTC)
    owned = SimAddon(
        sim_id=sim.id,
        addon_id=addon.id,
        started_at=now,
        expires_at=now + timedelta(days=30),
        auto_renew=True,
    )
    change = TariffChangeRequest(
        sim_id=sim.id, requester_user_id=user.id, to_tariff_id=tariff.id, from_tariff_id=tariff.id
    )
    activation = ActivationRequest(
        sim_id=sims[1].id,
        requester_user_id=dealer_user.id,
        subscriber_id=sub.id,
        partner_id=dealer.id,
        tariff_id=tariff.id,
        customer_name=markers["activation"],
        customer_phone="+79997700001",
    )
    block = Block(
        sim_id=sim.id,
        reason="lost",
        comment=markers["block"],
        blocked_by_user_id=user.id,
        previous_status="active",
        lifted_by_user_id=user.id,
        lifted_at=now,
    )
    session.add_all([message, note, test, owned, change, activation, block])
    session.flush()
    ids = {
        "subscriber": sub.id,
        "user": user.id,
        "partner": dealer.id,
        "sim": sim.id,
        "sim-pending": sims[1].id,
        "sim-stock": sims[2].id,
        "card": card.id,
        "payment": payment.id,
        "topup": topup.id,
        "ticket": ticket.id,
        "message": message.id,
        "notification": note.id,
        "speed-test": test.id,
        "sim-addon": owned.id,
        "tariff-change": change.id,
        "activation": activation.id,
        "block": block.id,
    }
    numbers = [s.msisdn for s in sims] + [s.iccid for s in sims]
    return Victim(ids, numbers, markers, user.id, sub.id)


def _extra_actors(url: str) -> tuple[dict[str, str], Victim]:
    """Sign the matrix's actors in, then take away what two of them had; seed the victim."""
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        dealer = Partner(code="PGONE", name="Закрытый дилер", commission_bp=500)
        session.add(dealer)
        session.flush()
        session.add(
            User(
                email="gone-dealer@paysim.demo",
                password_hash=hash_password(DEMO_PASSWORD),
                role="partner",
                full_name="Бывший дилер",
                partner_id=dealer.id,
            )
        )
        identity.create_admin(session, "demoted@paysim.demo", DEMO_PASSWORD, ROLE_SUPERADMIN)
        victim = _seed_victim(session)
        session.commit()
        for name, login in {
            "subscriber": "demo@paysim.demo",
            "partner": "partner@paysim.demo",
            "support": "support@paysim.demo",
            "superadmin": "admin@paysim.demo",
            "deactivated-partner": "gone-dealer@paysim.demo",
            "demoted-admin": "demoted@paysim.demo",
            # the IDOR matrix's attackers: demo accounts no other module signs in with
            "idor-subscriber": "o.sokolova@paysim.demo",
            "idor-partner": "netpoint@paysim.demo",
            "victim": VICTIM_EMAIL,
        }.items():
            tokens[name], _ = identity.sign_in(session, login, DEMO_PASSWORD)
        session.commit()
        dealer.is_active = False
        demoted = session.exec(select(User).where(User.email == "demoted@paysim.demo")).one()
        support_role = session.exec(select(AdminRole).where(AdminRole.name == ROLE_SUPPORT)).one()
        demoted.admin_role_id = support_role.id  # after sign-in: the next event must see it
        session.add_all([dealer, demoted])
        session.commit()
    engine.dispose()
    tokens["signed-out"] = ""
    return tokens, victim


def fingerprint(url: str) -> dict[str, str]:
    """table -> a hash of all its rows (the volatile tables left out)."""
    engine = make_engine(url)
    prints = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(conn).get_table_names()) - VOLATILE):
            if table == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            prints[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    engine.dispose()
    return prints


def _start(kind: str, url: str, work: Path) -> Iterator[Backend]:
    with app_checkout_lock():
        yield from _serve(kind, url, work)


def _serve(kind: str, url: str, work: Path) -> Iterator[Backend]:
    port = _free_port()
    env = _env(url, port)
    for cmd in (["migrate"], ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "paysim_app", *cmd],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    tokens, victim = _extra_actors(url)
    log = work / f"backend-{kind}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only"]
            + ["--backend-port", str(port), "--loglevel", "warning"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # a process group of its own (stopped as one with killpg), in the test run's
            # session: the scheduler shares the cores between sessions (tests/suite.py)
            process_group=0,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/ping", proc, log, STARTUP_TIMEOUT)
        yield Backend(kind, url, base, log, tokens, victim)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def backend(tmp_path_factory) -> Iterator[Backend]:
    if not postgres_server_url():
        work = tmp_path_factory.mktemp("door-sqlite")
        yield from _start("sqlite", f"sqlite:///{work / 'door.db'}", work)
        return
    work = tmp_path_factory.mktemp("door-postgres")
    name = f"paysim_door_{os.getpid()}"
    url = create_postgres_database(name)
    try:
        yield from _start("postgres", url, work)
    finally:
        drop_postgres_database(name)
