"""A big PostgreSQL database for the admin console's speed figures (`bench/admin_lists.py`).

    python bench/admin_data.py --db postgresql://root@127.0.0.1:5432/paysim_bench
    python bench/admin_data.py --db postgresql://root@127.0.0.1:5432/paysim_bench \\
        --sims 10000 --subscribers 1000 --payments 20000          # a quick run

It DROPS and creates the database named in --db (its name must contain "bench"), migrates it
with alembic (the full schema, nothing dropped or left out), then loads with COPY (psycopg 3
`cursor.copy()` fed row by row from generators, never a list of all rows):

- 8 tariffs (one archived), 50 partners (commission 3-10 %, about 5 % on average), one user
  per partner;
- `--subscribers` contracts (95 % active); only the first 5,000 have a user account (they author
  the tickets and ratings; `subscriber.user_id` is nullable, so the others have none);
- `--sims` SIMs: 72 % active, 6 % suspended, 2 % blocked (each with its block row), 5 %
  deactivated, 3 % awaiting activation (each with a pending activation request from its
  partner), 12 % in stock; ICCIDs 8970199… with a valid Luhn digit, MSISDNs +79… and IMSIs
  25099… scattered (a bijection of the id, so unique); a partner on 60 % of them;
- balances: each SIM with a non-zero balance has exactly one ledger entry, an opening
  `adjustment` equal to the balance (so balance == sum of ledger entries holds); suspended SIMs
  are below zero. Payments do NOT have ledger credits: the ledger is not the subject here;
- `--payments` payments over the last two years on SIMs in service (after each SIM's
  activation): card 55 %, autopay 30 %, partner 12 % (only for partner SIMs), correction 3 %;
  succeeded 90 %, failed 7 % (with a decline code), refunded 1.5 %, pending 1.5 % (the last
  hour); a commission accrual for every succeeded or refunded non-correction payment of a
  partner SIM at the partner's rate, plus a reversal for the refunded ones;
- `--ticket-messages` messages (200,000) in `--ticket-messages` / 5 tickets (at least 3,000),
  a conversation of 2 to 8 messages each, the customer's and support's in turn, written from a
  few hundred phrases (devices, places, symptoms, answers, order numbers) so that a word is as
  rare in them as in real mail (the header search's full-text case); 5,000 speed tests and
  5,000 quality ratings (the low ones often link to a ticket);
- one superadmin, created through accounts.identity.create_admin: admin@paysim.example with the
  printed password (or --admin-password).

Foreign keys: when the role may (superuser), the loading sessions set
`session_replication_role = replica`, which skips the per-row foreign-key triggers (the rows are
consistent by construction; the end checks orphans with anti-joins). Otherwise the checks run.
Sequences are moved past the loaded ids and `ANALYZE` runs at the end. The time per table is
printed, then the row counts (checked against what was generated; exit code 1 on a mismatch).
"""

# ruff: noqa: E402  (the project root goes on sys.path and the environment is set first)

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PAYSIM_DEMO"] = "0"
os.environ["PAYSIM_SCHEDULER"] = "0"

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from paysim_app import db as app_db
from paysim_app.accounts.passwords import hash_password
from paysim_app.core.permissions import ROLE_SUPERADMIN
from paysim_app.db import make_engine, normalise_url, session_scope
from paysim_app.partners import takings
from paysim_app.payments.declines import DECLINE_CODES
from paysim_app.settings import get_settings

DAY = 86400.0
ADMIN_EMAIL = "admin@paysim.example"
USER_PASSWORD = "bench-password-1"  # every bench subscriber and partner user
USERS_WITH_ACCOUNT = 5000
PARTNERS = 50
TICKETS = 3000  # at least; --ticket-messages / 5 when more
MESSAGES_PER_TICKET = (2, 8)
SPEED_TESTS = 5000
RATINGS = 5000

TARIFFS = [  # code, name, fee (kop), GB (None: unlimited), Mbit/s, archived, weight
    ("T-START", "Старт", 35000, 15, 20, False, 15),
    ("T-BASE", "Базовый", 50000, 30, 50, False, 25),
    ("T-PLUS", "Плюс", 70000, 60, 75, False, 18),
    ("T-MAX", "Максимум", 90000, 100, 100, False, 10),
    ("T-UNLIM", "Безлимит", 120000, None, 100, False, 15),
    ("T-DACHA", "Дачный", 45000, 40, 50, False, 8),
    ("T-BIZ", "Бизнес", 150000, None, 150, False, 4),
    ("T-2023", "Архивный 2023", 40000, 20, 30, True, 5),
]
# SIMs are entered over ~4 years in id order (ICCIDs, numbers and IMSIs come in ascending
# batches); the newest 12 % are mostly still in stock. (status, cumulative share)
NEWEST = 0.88
OLDER_STATUSES = [
    ("active", 0.80),
    ("suspended", 0.87),
    ("blocked", 0.89),
    ("deactivated", 0.95),
    ("awaiting_activation", 0.97),
    ("in_stock", 1.0),
]
NEWEST_STATUSES = [("in_stock", 0.70), ("awaiting_activation", 0.80), ("active", 1.0)]
SIM_AGE_DAYS = 1400
PARTNER_SHARE = 0.6
AMOUNTS = [10000, 20000, 30000, 35000, 45000, 50000, 50000, 70000, 90000, 100000, 120000, 150000,
           200000, 300000, 500000]  # fmt: skip
CITIES = ["Тверь", "Калуга", "Рязань", "Владимир", "Ярославль", "Кострома", "Тула", "Смоленск",
          "Иваново", "Орёл"]  # fmt: skip
STREETS = ["ул. Ленина", "ул. Садовая", "ул. Мира", "ул. Лесная", "пер. Школьный", "ул. Полевая"]
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
            "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев",
            "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев",
            "Григорьев"]  # fmt: skip
MALE = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай",
        "Владимир", "Евгений", "Павел", "Олег"]  # fmt: skip
FEMALE = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Анна", "Мария", "Светлана",
          "Екатерина", "Юлия", "Марина", "Людмила"]  # fmt: skip
FATHERS = ["Иван", "Сергей", "Пётр", "Николай", "Александр", "Михаил", "Владимир", "Андрей"]
TICKET_SUBJECTS = {
    "connection": ["Нет сети на даче", "Пропадает связь вечером", "Не подключается к 4G"],
    "speed": ["Низкая скорость", "Медленный интернет вечером", "Скорость ниже тарифа"],
    "payments": ["Платёж не зачислен", "Двойное списание", "Не работает автоплатёж"],
    "tariff": ["Смена тарифа", "Вопрос по абонентской плате"],
    "sim": ["Потерял сим-карту", "Сим-карта не определяется"],
    "other": ["Вопрос по договору", "Смена паспортных данных"],
}
# a ticket's conversation, customer and support in turn (the full-text search's bench data)
DEVICES = ["роутер", "модем", "смартфон", "планшет", "ноутбук", "Huawei E3372", "ZTE MF79",
           "Keenetic Viva", "TP-Link Archer", "iPhone", "Xiaomi", "Samsung Galaxy", "mesh-система",
           "USB-модем", "антенна MIMO"]  # fmt: skip
SYMPTOMS = ["нет сети", "пропадает интернет", "низкая скорость", "не открываются сайты",
            "высокий пинг в играх", "обрывы видеозвонков", "сим-карта не определяется",
            "пишет «нет регистрации в сети»", "не приходят SMS", "не работает раздача Wi-Fi",
            "скорость падает вечером", "индикатор мигает красным", "не подключается к 4G",
            "после грозы всё отключилось", "списали деньги дважды"]  # fmt: skip
PLACES = ["на даче", "в офисе", "в квартире", "в загородном доме", "в гараже", "на складе",
          "в машине", "на объекте", "в посёлке Сосновка", "в СНТ «Ромашка»", "в деревне Лыково",
          "в коттедже", "у родителей", "в Подмосковье", "на трассе М-11"]  # fmt: skip
ASKS = ["Проверьте, пожалуйста.", "Что делать?", "Помогите разобраться.", "Когда исправите?",
        "Верните деньги.", "Можно вызвать мастера?", "Жду ответа.", "Это уже третий раз!",
        "Прикладываю скриншот speedtest.", "Номер заказа {order}."]  # fmt: skip
ANSWERS = ["Спасибо, проверяем.", "Перезагрузите {device} и пришлите результат speedtest.",
           "На базовой станции {place} ведутся работы, восстановим до {hour}:00.",
           "Проверили: сим-карта зарегистрирована в сети, ограничений нет.",
           "Попробуйте переставить {device} ближе к окну.",
           "Двойное списание подтвердилось, деньги вернутся в течение 3 дней (заявка {order}).",
           "Оформили выезд инженера, номер заявки {order}.",
           "Обновите прошивку {device}, затем перезагрузите.",
           "Авария устранена, проверьте, пожалуйста.",
           "Закрываем обращение: связь восстановлена."]  # fmt: skip
RATING_COMMENTS_LOW = ["Связь пропадает", "Очень медленно вечером", "Не ловит в доме",
                       "Скорость ниже обещанной", "Обрывы каждые пять минут"]  # fmt: skip
RATING_COMMENTS_HIGH = ["", "", "", "Всё отлично", "Спасибо, работает стабильно"]


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def person(rng: random.Random) -> str:
    surname, father = rng.choice(SURNAMES), rng.choice(FATHERS)
    if rng.random() < 0.5:
        return f"{surname} {rng.choice(MALE)} {father}ович"
    return f"{surname}а {rng.choice(FEMALE)} {father}овна"


# --------------------------------------------------------------------------- database


def prepare_database(url: str) -> str:
    """Drop and create the bench database, migrate it to head; returns the SQLAlchemy URL."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("admin_data.py loads PostgreSQL only (COPY)")
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(
            f"refusing to drop and recreate database {name!r}: "
            "give the generator its own database, e.g. .../paysim_bench"
        )
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    full = parsed.render_as_string(hide_password=False)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = full
    command.upgrade(cfg, "head")
    return full


class Loader:
    """COPY from generators over one psycopg connection; times and counts every table."""

    def __init__(self, sa_url: str):
        conninfo = make_url(sa_url).set(drivername="postgresql").render_as_string(False)
        self.conn = psycopg.connect(conninfo)
        with self.conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            # the trigram (GIN) indexes take new rows into a pending list merged in batches:
            # bigger batches, fewer merges (VACUUM at the end empties the lists)
            cur.execute("SET gin_pending_list_limit = '64MB'")
            cur.execute("SET work_mem = '256MB'")
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.replica = bool(cur.fetchone()[0])
            if self.replica:  # skip the per-row foreign-key triggers (checked at the end)
                cur.execute("SET session_replication_role = replica")
        self.conn.commit()
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def load(self, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
        started = time.perf_counter()
        n = 0
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor() as cur:
            with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
                    n += 1
        self.conn.commit()
        took = time.perf_counter() - started
        self.counts[table] = self.counts.get(table, 0) + n
        self.seconds[table] = self.seconds.get(table, 0.0) + took
        print(f"  {table:<22} {n:>10,} rows  {took:7.1f} s", flush=True)
        return n

    def finish(self) -> float:
        """Sequences past the loaded ids, then VACUUM ANALYZE (fresh statistics, the visibility
        map for index-only scans, the GIN pending lists merged); returns the seconds it took."""
        started = time.perf_counter()
        with self.conn.cursor() as cur:
            cur.execute("SET session_replication_role = origin" if self.replica else "SELECT 1")
            for table in self.counts:
                if table == "sim_balance":  # keyed by the SIM's id, no sequence of its own
                    continue
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'
                )
        self.conn.commit()
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        self.conn.autocommit = False
        return time.perf_counter() - started


# --------------------------------------------------------------------------- generation


class Generator:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.now = time.time()
        self.n_sims = args.sims
        self.n_subs = args.subscribers
        self.n_users = min(USERS_WITH_ACCOUNT, self.n_subs)
        self.n_tickets = max(TICKETS, args.ticket_messages // 5)
        self.partner_rates: list[int] = [0]  # index = partner id
        self.partner_users: list[int] = [0]
        self.admin_id = 0
        # per SIM (index = SIM id): compact arrays, not objects
        self.sim_sub = array("i", bytes(4 * (self.n_sims + 1)))
        self.sim_partner = array("h", bytes(2 * (self.n_sims + 1)))
        self.sim_start = array("d", bytes(8 * (self.n_sims + 1)))
        self.sim_created = array("d", bytes(8 * (self.n_sims + 1)))
        self.in_service = array("i")
        self.user_sims: dict[int, list[int]] = {}  # subscriber id (with an account) -> SIM ids
        self.expected: dict[str, int] = {}

    # -- reference data
    def tariffs(self) -> Iterator[tuple]:
        created = ts(self.now - 1500 * DAY)
        for i, (code, name, fee, gb, mbps, archived, _w) in enumerate(TARIFFS, start=1):
            yield (i, code, name, f"{name}: 4G-интернет", fee, gb, mbps, True, archived, created)

    def partners(self) -> Iterator[tuple]:
        rng = self.rng
        for p in range(1, PARTNERS + 1):
            rate = rng.choice((300, 400, 500, 500, 500, 600, 700, 1000))
            self.partner_rates.append(rate)
            city = rng.choice(CITIES)
            yield (
                p,
                f"P{p:04d}",
                f"{city} Связь {p}",
                f"{rng.randrange(10**9, 10**10)}",
                f"dealer{p}@bench.example.com",
                f"+7495{rng.randrange(10**7):07d}",
                f"г. {city}, {rng.choice(STREETS)}, {rng.randint(1, 120)}",
                rate,
                p % 17 != 0,
                ts(self.now - rng.uniform(400, 1500) * DAY),
            )

    def consents(self, current: list[tuple[str, int]]) -> Iterator[tuple]:
        """Each subscriber user accepted the current version of every legal document when it
        registered (else the cabinet sends them to /consent first, as it would a real one)."""
        for i in range(1, self.n_users + 1):
            for doc, version in current:
                yield (i, i, "", doc, version, ts(self.now - 30 * DAY), "registration", "", "")

    def users(self, password_hash: str) -> Iterator[tuple]:
        """Subscriber users 1..n_users, then one user per partner."""
        rng = self.rng
        for i in range(1, self.n_users + 1):
            created = ts(self.now - rng.uniform(30, 1400) * DAY)
            last = ts(self.now - rng.uniform(0, 30) * DAY) if rng.random() < 0.7 else None
            yield (
                i,
                f"client{i}@bench.example.com",
                None,
                password_hash,
                "subscriber",
                "",  # the name lives on the contract
                "en" if i % 20 == 0 else "ru",
                True,
                None,
                None,
                created,
                last,
                created,
            )
        for p in range(1, PARTNERS + 1):
            uid = self.n_users + p
            self.partner_users.append(uid)
            created = ts(self.now - 400 * DAY)
            yield (
                uid,
                f"partner{p}@bench.example.com",
                None,
                password_hash,
                "partner",
                f"Менеджер дилера {p}",
                "ru",
                True,
                None,
                p,
                created,
                None,
                created,
            )

    def subscribers(self) -> Iterator[tuple]:
        rng = self.rng
        rnd = rng.random
        for i in range(1, self.n_subs + 1):
            city = rng.choice(CITIES)
            yield (
                i,
                f"PS-{i:07d}",
                i if i <= self.n_users else None,
                person(rng),
                f"client{i}@bench.example.com" if rnd() < 0.8 else "",
                f"+79{rng.randrange(10**9):09d}",
                f"г. {city}, {rng.choice(STREETS)}, д. {rng.randint(1, 90)}",
                f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randrange(10**6):06d}",
                rng.randint(1, PARTNERS) if rnd() < PARTNER_SHARE else None,
                "active" if rnd() < 0.95 else "inactive",
                "",
                ts(self.now - (1400 - 1370 * i / self.n_subs) * DAY),  # contracts in id order
            )

    # -- SIMs and what hangs on them
    def sims(self) -> Iterator[tuple]:
        rng = self.rng
        rnd = rng.random
        now = self.now
        fees = [0] + [t[2] for t in TARIFFS]
        weights = [t[6] for t in TARIFFS]
        tariff_pick = rng.choices(range(1, len(TARIFFS) + 1), weights, k=4096)
        period = datetime.fromtimestamp(now, UTC).strftime("%Y-%m")
        self.blocks: list[tuple[int, float]] = []
        self.awaiting: list[tuple[int, int, int]] = []
        self.ledger_sims, self.ledger_amounts, self.ledger_at = array("i"), array("q"), array("d")
        # each SIM's balance cache and whether it is billed for `period` (sim_balance, loaded after)
        self.period, self.balances, self.billed = period, array("q"), bytearray()
        n = self.n_sims
        for i in range(1, n + 1):
            r = rnd()
            position = i / n
            shares = NEWEST_STATUSES if position > NEWEST else OLDER_STATUSES
            status = next(s for s, share in shares if r < share)
            created = now - (SIM_AGE_DAYS - (SIM_AGE_DAYS - 1) * position) * DAY
            self.sim_created[i] = created
            partner = rng.randint(1, PARTNERS) if rnd() < PARTNER_SHARE else 0
            iccid_body = f"8970199{i:011d}"
            tariff = fee = 0
            subscriber = 0
            activated = None
            balance = 0
            billed = None
            if status == "in_stock":
                pass
            elif status == "awaiting_activation":
                if not partner:
                    partner = rng.randint(1, PARTNERS)  # a dealer sold it and asks for activation
                tariff = tariff_pick[i & 4095]
                self.awaiting.append((i, partner, tariff))
            else:
                subscriber = rng.randint(1, self.n_subs)
                tariff = tariff_pick[i & 4095]
                fee = fees[tariff]
                activated = min(created + rng.uniform(0.05, 10) * DAY, now - 3600)
                if status == "active":
                    balance = 0 if rnd() < 0.05 else rng.randrange(1, 5 * fee)
                    billed = period
                elif status == "suspended":
                    balance = -rng.randrange(1, fee)
                    billed = period
                elif status == "blocked":
                    balance = rng.randrange(0, 2 * fee)
                    self.blocks.append((i, now - rng.uniform(0, 200) * DAY))
                else:  # deactivated
                    balance = 0 if rnd() < 0.7 else rng.randrange(1, fee)
                self.sim_sub[i] = subscriber
                self.sim_partner[i] = partner
                self.sim_start[i] = activated
                self.in_service.append(i)
                if subscriber <= self.n_users:
                    self.user_sims.setdefault(subscriber, []).append(i)
            self.balances.append(balance)
            self.billed.append(billed is not None)
            if balance:
                self.ledger_sims.append(i)
                self.ledger_amounts.append(balance)
                self.ledger_at.append(activated or created)
            yield (
                i,
                iccid_body + luhn_digit(iccid_body),
                f"+79{200_000_000 + i * 37:09d}",
                f"25099{3_000_000_000 + i * 13:010d}",
                status,
                subscriber or None,
                partner or None,
                tariff or None,
                "",
                rng.randint(1, 28),
                None,
                f"{rng.randrange(10**8):08d}",
                "active" if status == "blocked" else None,
                ts(activated) if activated else None,
                ts(created),
                ts(max(created, activated or created)),
            )

    def sim_balances(self) -> Iterator[tuple]:
        """The balance cache of every SIM (loaded directly: the replica role skips the trigger
        that adds a SIM's row)."""
        for i, balance in enumerate(self.balances, start=1):
            yield (i, balance, self.period if self.billed[i - 1] else None)

    def ledger(self) -> Iterator[tuple]:
        """One opening adjustment per SIM with a non-zero balance."""
        for n, sim_id in enumerate(self.ledger_sims, start=1):
            balance = self.ledger_amounts[n - 1]
            yield (n, sim_id, "adjustment", balance, balance, None, None, None,
                   "Начальный баланс (bench)", ts(self.ledger_at[n - 1]))  # fmt: skip

    def blocks_rows(self) -> Iterator[tuple]:
        rng = self.rng
        reasons = ("lost", "stolen", "debt", "fraud", "admin", "other")
        for n, (sim_id, at) in enumerate(self.blocks, start=1):
            yield (n, sim_id, rng.choice(reasons), "", self.admin_id, ts(at), "active", None, None)

    def activation_rows(self) -> Iterator[tuple]:
        rng = self.rng
        for n, (sim_id, partner, tariff) in enumerate(self.awaiting, start=1):
            yield (
                n,
                sim_id,
                self.partner_users[partner],
                None,
                partner,
                tariff,
                person(rng),
                f"+79{rng.randrange(10**9):09d}",
                "",
                f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randrange(10**6):06d}",
                "pending",
                "",
                None,
                None,
                ts(self.now - rng.uniform(0, 20) * DAY),
            )

    # -- money
    def payments(self) -> Iterator[tuple]:
        """Payments in time order (ids ascending with created_at), so that every index but the
        per-SIM and per-subscriber ones grows at its right edge, as in production."""
        rng = self.rng
        rnd = rng.random
        now = self.now
        span = 730 * DAY
        in_service = self.in_service
        sim_sub, sim_partner, sim_start = self.sim_sub, self.sim_partner, self.sim_start
        # in_service is in id order, i.e. in order of entry: the SIMs in service at time t are
        # (nearly) a prefix of it; `entered` is that order's monotonic clock
        entered = array("d", (self.sim_created[s] for s in in_service))
        rates = self.partner_rates
        brands = ("visa", "mastercard", "mir", "mir")
        declines = DECLINE_CODES
        # more payments lately (the base grew): ages skewed towards now
        moments = sorted(now - span * rnd() ** 1.5 for _ in range(self.args.payments))
        # commissions, kept compactly for the next table
        self.c_payment, self.c_partner = array("i"), array("h")
        self.c_amount, self.c_at, self.c_refund = array("i"), array("d"), array("b")
        for pid, created in enumerate(moments, start=1):
            k = bisect_right(entered, created - 10 * DAY) or 1
            sim = in_service[int(rnd() * k)]
            if sim_start[sim] > created:  # only when t precedes nearly every SIM
                created = sim_start[sim]
            partner = sim_partner[sim]
            r = rnd()
            method = (
                "card" if r < 0.55 else "autopay" if r < 0.85 else "partner" if r < 0.97 else
                "correction"
            )  # fmt: skip
            if method == "partner" and not partner:
                method = "card"
            r = rnd()
            if now - created < 3600 and r < 0.5:
                status = "pending"  # still in flight
            else:
                status = "succeeded" if r < 0.91 else "failed" if r < 0.985 else "refunded"
            completed = None if status == "pending" else created + 2 + rnd() * 30
            amount = AMOUNTS[int(rnd() * len(AMOUNTS))]
            card = method in ("card", "autopay")
            yield (
                pid,
                sim,
                sim_sub[sim],
                partner or None,
                None,
                None,
                amount,
                method,
                status,
                declines[int(rnd() * len(declines))] if status == "failed" else None,
                brands[pid & 3] if card else "",
                f"{(pid * 37) % 10000:04d}" if card else "",
                "sandbox",
                f"pi_bench_{pid:09d}" if card and status != "pending" else None,
                f"bench:{pid:09d}",
                ts(created),
                ts(completed) if completed else None,
            )
            if partner and method != "correction" and status in ("succeeded", "refunded"):
                self.c_payment.append(pid)
                self.c_partner.append(partner)
                self.c_amount.append((amount * rates[partner] + 5000) // 10000)
                self.c_at.append(completed)
                self.c_refund.append(status == "refunded")

    def commissions(self) -> Iterator[tuple]:
        rates = self.partner_rates
        cid = 0
        for k in range(len(self.c_payment)):
            partner, amount, at = self.c_partner[k], self.c_amount[k], ts(self.c_at[k])
            cid += 1
            yield (cid, partner, self.c_payment[k], "accrual", rates[partner], amount, at)
            if self.c_refund[k]:
                cid += 1
                yield (cid, partner, self.c_payment[k], "reversal", rates[partner], -amount, at)
        self.expected["commission"] = cid

    # -- support and quality
    def tickets(self) -> Iterator[tuple]:
        rng = self.rng
        authors = sorted(self.user_sims)
        self.ticket_rows: list[tuple[int, int, int, str, float]] = []
        if not authors:
            return
        statuses = ("new", "open", "waiting", "resolved", "closed")
        for t in range(1, self.n_tickets + 1):
            sub = rng.choice(authors)
            sim = rng.choice(self.user_sims[sub])
            category = rng.choice(list(TICKET_SUBJECTS))
            status = rng.choices(statuses, (10, 15, 10, 25, 40))[0]
            created = self.now - rng.uniform(0, 365) * DAY
            answered = created + rng.uniform(0.01, 2) * DAY if status != "new" else None
            rated = status in ("resolved", "closed") and rng.random() < 0.5
            self.ticket_rows.append((t, sub, sim, category, created))
            yield (
                t,
                sub,  # subscriber i has user i
                sub,
                None,
                sim,
                category,
                rng.choice(TICKET_SUBJECTS[category]),
                status,
                rng.choices(("low", "normal", "high", "urgent"), (20, 60, 15, 5))[0],
                self.admin_id if status != "new" else None,
                ts(answered) if answered else None,
                rng.randint(1, 5) if rated else None,
                "",
                ts(created),
                ts(answered or created),
            )

    def ticket_messages(self) -> Iterator[tuple]:
        """--ticket-messages messages in all: each ticket a conversation of 2..8 (the customer
        first, then support and the customer in turn), the last tickets taking the rest."""
        rng, n = self.rng, 0
        target = self.args.ticket_messages
        rows = self.ticket_rows
        for i, (t, sub, _sim, category, created) in enumerate(rows):
            left, tickets_left = target - n, len(rows) - i
            # about the mean still needed per ticket (2..8 at the default), so the sum lands
            # on the target without one huge conversation at the end
            mean = left / tickets_left
            size = round(mean * rng.uniform(*MESSAGES_PER_TICKET) / 5)
            size = left if tickets_left == 1 else min(size, left - (tickets_left - 1))
            size = max(1, size)
            at = created
            for k in range(size):
                n += 1
                order = rng.randint(100000, 999999)
                words = {"device": rng.choice(DEVICES), "place": rng.choice(PLACES),
                         "order": order, "hour": rng.randint(9, 22)}  # fmt: skip
                if k % 2 == 0:
                    opening = f"Здравствуйте! {TICKET_SUBJECTS[category][0]}. " if k == 0 else ""
                    body = (
                        f"{opening}{words['device'].capitalize()} {words['place']}: "
                        f"{rng.choice(SYMPTOMS)}. {rng.choice(ASKS).format(**words)}"
                    )
                    author = sub
                else:
                    body = rng.choice(ANSWERS).format(**words)
                    author = self.admin_id
                yield (n, t, author, body, False, "", "", ts(at))
                at += rng.uniform(0.05, 1.5) * 3600
        self.expected["ticket_message"] = n

    def speed_tests(self) -> Iterator[tuple]:
        rng = self.rng
        users = sorted(self.user_sims)
        self.speed_rows: list[tuple[int, int, int]] = []
        if not users:
            return
        for n in range(1, SPEED_TESTS + 1):
            sub = rng.choice(users)
            sim = rng.choice(self.user_sims[sub])
            down = int(rng.lognormvariate(9.8, 0.6))  # ~18 Mbit/s median
            self.speed_rows.append((n, sub, sim))
            yield (
                n,
                sim,
                sub,
                rng.randint(15, 120),
                rng.randint(1, 30),
                down,
                int(down * rng.uniform(0.2, 0.5)),
                "Mozilla/5.0 (bench)",
                ts(self.now - rng.uniform(0, 400) * DAY),
            )

    def ratings(self) -> Iterator[tuple]:
        rng = self.rng
        if not self.speed_rows:
            return
        tickets = [t for t in self.ticket_rows if t[3] in ("connection", "speed")]
        for n in range(1, RATINGS + 1):
            stars = rng.choices((1, 2, 3, 4, 5), (8, 9, 15, 30, 38))[0]
            aspect = rng.choice(("voice", "speed", "coverage"))
            speed_test = ticket = None
            if tickets and stars <= 2 and rng.random() < 0.3:
                ticket_id, sub, sim, _c, created = rng.choice(tickets)
                ticket = ticket_id
                at = created - 60
            else:
                test_id, sub, sim = rng.choice(self.speed_rows)
                if aspect == "speed":
                    speed_test = test_id
                at = self.now - rng.uniform(0, 400) * DAY
            comments = RATING_COMMENTS_LOW if stars <= 2 else RATING_COMMENTS_HIGH
            yield (n, sim, sub, aspect, stars, rng.choice(comments), speed_test, ticket, ts(at))


# --------------------------------------------------------------------------- main

COLUMNS = {
    "tariff": "id code name description monthly_fee_kop data_gb speed_mbps is_public is_archived "
    "created_at",
    "partner": "id code name inn contact_email contact_phone address commission_bp is_active "
    "created_at",
    "user_account": "id email phone password_hash role full_name locale is_active admin_role_id "
    "partner_id password_changed_at last_login_at created_at",
    "subscriber": "id contract_no user_id full_name email phone address document_no partner_id "
    "status notes created_at",
    "sim": "id iccid msisdn imsi status subscriber_id partner_id tariff_id label "
    "billing_day activation_code_hash puk status_before_block activated_at "
    "created_at updated_at",
    "sim_balance": "sim_id balance_kop billed_period",
    "consent_record": "user_id subscriber_id reference doc version accepted_at source ip "
    "user_agent",
    "ledger_entry": "id sim_id kind amount_kop balance_after_kop payment_id fee_period "
    "actor_user_id comment created_at",
    "sim_block": "id sim_id reason comment blocked_by_user_id blocked_at previous_status "
    "lifted_by_user_id lifted_at",
    "activation_request": "id sim_id requester_user_id subscriber_id partner_id tariff_id "
    "customer_name customer_phone customer_email customer_document status reason "
    "decided_by_user_id decided_at created_at",
    "payment": "id sim_id subscriber_id partner_id payer_user_id card_id amount_kop method status "
    "decline_code card_brand card_last4 gateway gateway_ref idempotency_key created_at "
    "completed_at",
    "commission": "id partner_id payment_id kind rate_bp amount_kop created_at",
    "ticket": "id author_user_id subscriber_id partner_id sim_id category subject status priority "
    "assignee_user_id first_response_at rating rating_comment created_at updated_at",
    "ticket_message": "id ticket_id author_user_id body is_internal attachment_name "
    "attachment_path created_at",
    "speed_test": "id sim_id user_id ping_ms jitter_ms download_kbps upload_kbps user_agent "
    "created_at",
    "quality_rating": "id sim_id user_id aspect stars comment speed_test_id ticket_id created_at",
}

ORPHAN_CHECKS = [  # (child table, column, parent table)
    ("subscriber", "user_id", "user_account"),
    ("sim", "subscriber_id", "subscriber"),
    ("sim", "partner_id", "partner"),
    ("sim", "tariff_id", "tariff"),
    ("sim_balance", "sim_id", "sim"),
    ("ledger_entry", "sim_id", "sim"),
    ("payment", "sim_id", "sim"),
    ("payment", "subscriber_id", "subscriber"),
    ("payment", "partner_id", "partner"),
    ("commission", "payment_id", "payment"),
    ("sim_block", "sim_id", "sim"),
    ("activation_request", "sim_id", "sim"),
    ("ticket", "sim_id", "sim"),
    ("quality_rating", "ticket_id", "ticket"),
    ("quality_rating", "speed_test_id", "speed_test"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="postgresql://…/paysim_bench (recreated)")
    parser.add_argument("--sims", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=2_000_000)
    parser.add_argument("--ticket-messages", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--admin-password", default="", help="default: a random one, printed")
    args = parser.parse_args(argv)
    if min(args.sims, args.subscribers, args.payments) < 1:
        parser.error("--sims, --subscribers and --payments must be positive")
    password = args.admin_password or f"Bench-{secrets.token_urlsafe(9)}"
    started = time.perf_counter()

    t0 = time.perf_counter()
    url = prepare_database(args.db)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    print(f"database recreated and migrated in {time.perf_counter() - t0:.1f} s")

    gen = Generator(args)
    loader = Loader(url)
    cols = {t: c.split() for t, c in COLUMNS.items()}
    load = loader.load

    load("tariff", cols["tariff"], gen.tariffs())
    load("partner", cols["partner"], gen.partners())
    load("user_account", cols["user_account"], gen.users(hash_password(USER_PASSWORD)))
    with loader.conn.cursor() as cur:  # create_admin below takes the next id
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('user_account', 'id'), "
            "(SELECT max(id) FROM user_account))"
        )
    loader.conn.commit()
    from paysim_app.accounts.identity import create_admin

    with session_scope() as session:
        gen.admin_id = create_admin(
            session, ADMIN_EMAIL, password, ROLE_SUPERADMIN, full_name="Администратор"
        ).id
    app_db.get_engine().dispose()
    load("subscriber", cols["subscriber"], gen.subscribers())
    from paysim_app.accounts import consent

    with session_scope() as session:  # the app's current texts (their first versions if none)
        current = [(text.doc, text.version) for text in consent.current_texts(session)]
    app_db.get_engine().dispose()
    load("consent_record", cols["consent_record"], gen.consents(current))
    load("sim", cols["sim"], gen.sims())
    load("sim_balance", cols["sim_balance"], gen.sim_balances())
    load("ledger_entry", cols["ledger_entry"], gen.ledger())
    load("sim_block", cols["sim_block"], gen.blocks_rows())
    load("activation_request", cols["activation_request"], gen.activation_rows())
    load("payment", cols["payment"], gen.payments())
    load("commission", cols["commission"], gen.commissions())
    took = time.perf_counter()
    with session_scope() as session:  # the triggers that keep it were off (the replica role)
        rows = takings.rebuild(session)
    app_db.get_engine().dispose()
    took = time.perf_counter() - took
    print(f"  {'partner_takings':<22} {rows:>10,} rows  {took:7.1f} s (partners.takings.rebuild)")
    load("ticket", cols["ticket"], gen.tickets())
    load("ticket_message", cols["ticket_message"], gen.ticket_messages())
    load("speed_test", cols["speed_test"], gen.speed_tests())
    load("quality_rating", cols["quality_rating"], gen.ratings())
    took = loader.finish()
    print(f"  {'sequences + VACUUM ANALYZE':<26} {'':>10}       {took:7.1f} s")
    total = time.perf_counter() - started

    ok = check(loader, gen, args)
    disk_report(loader.conn)
    print(f"\ntotal {total:.1f} s on {os.cpu_count()} cores")
    print(f"superadmin: {ADMIN_EMAIL} / {password}")
    print(f"subscriber and partner users: client1@bench.example.com … / {USER_PASSWORD}")
    loader.conn.close()
    return 0 if ok else 1


def disk_report(conn, top: int = 6) -> None:
    """The database's size on disk and the indexes' share of it, in all and for the largest
    tables (tables as pg_table_size: heap, TOAST and maps; indexes as pg_indexes_size)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname = 'public'"
            " ORDER BY pg_total_relation_size(c.oid) DESC"
        )
        tables = cur.fetchall()
        cur.execute("SELECT pg_database_size(current_database())")
        database = cur.fetchone()[0]
    conn.commit()
    gb = 1024**3
    heap, indexes = sum(t[1] for t in tables), sum(t[2] for t in tables)
    print(
        f"\ndisk: the database {database / gb:.2f} GB; tables {heap / gb:.2f} GB, indexes"
        f" {indexes / gb:.2f} GB ({indexes / max(heap + indexes, 1):.0%} of the two)"
    )
    for name, table, index in tables[:top]:
        share = index / max(table + index, 1)
        print(f"  {name:<22} {table / gb:6.2f} GB + indexes {index / gb:6.2f} GB ({share:.0%})")


def check(loader: Loader, gen: Generator, args: argparse.Namespace) -> bool:
    """Row counts against what was generated; orphans (the FK triggers were skipped); the
    balance invariant."""
    expected = {
        "tariff": len(TARIFFS),
        "partner": PARTNERS,
        "user_account": gen.n_users + PARTNERS + 1,
        "subscriber": args.subscribers,
        "sim": args.sims,
        "sim_balance": args.sims,
        "ledger_entry": len(gen.ledger_sims),
        "sim_block": len(gen.blocks),
        "activation_request": len(gen.awaiting),
        "payment": args.payments,
        "commission": gen.expected.get("commission", 0),
        "ticket_message": gen.expected.get("ticket_message", 0),
    }
    ok = True
    print("\nchecks")
    with loader.conn.cursor() as cur:
        for table, want in expected.items():
            cur.execute(f'SELECT count(*) FROM "{table}"')
            got = cur.fetchone()[0]
            ok &= got == want
            print(f"  {table:<22} {got:>10,} rows  {'ok' if got == want else f'WANT {want:,}'}")
        for child, column, parent in ORPHAN_CHECKS:
            cur.execute(
                f'SELECT count(*) FROM "{child}" c WHERE c."{column}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{parent}" p WHERE p.id = c."{column}")'
            )
            orphans = cur.fetchone()[0]
            if orphans:
                ok = False
                print(f"  ORPHANS {child}.{column} -> {parent}: {orphans}")
        cur.execute(
            "SELECT count(*) FROM sim_balance s LEFT JOIN ledger_entry l ON l.sim_id = s.sim_id "
            "WHERE s.balance_kop <> coalesce(l.amount_kop, 0)"
        )
        bad = cur.fetchone()[0]
        ok &= bad == 0
        print(f"  balance == sum(ledger) {'ok' if bad == 0 else f'{bad} SIMs differ'}")
        cur.execute(
            "SELECT count(*) FROM payment p JOIN commission c ON c.payment_id = p.id "
            "AND c.kind = 'accrual' WHERE p.status NOT IN ('succeeded', 'refunded') "
            "OR p.partner_id IS NULL"
        )
        stray = cur.fetchone()[0]
        ok &= stray == 0
        print(f"  commissions only on paid partner payments {'ok' if stray == 0 else stray}")
    loader.conn.commit()
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
