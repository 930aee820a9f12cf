"""Deterministic demo data for `python -m paysim_app seed-demo` (plain Python, no reflex).

Everything random comes from random.Random(2026), and every date is relative to a reference
day ("today", Europe/Moscow by default), so two empty databases seeded with the same reference
day and clock get the same SIMs, payments and balances.

The money follows the same rules as the services, through their own functions: the entries are
the app's postings (payments.credit_posting, billing.fee_posting, addons.purchase_posting) made
rows by ledger.entry_row, commissions come from payments.commission_of. Every balance change is
a ledger entry, a SIM's balance_kop is the sum of its entries, balance_after_kop is the running
balance, a monthly fee is written at most once per SIM and period 'YYYY-MM', and every successful
payment on a SIM sold by a partner earns that partner a commission.

The demo passwords are public (demo12345), so the CLI only seeds when PAYSIM_DEMO is on.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, insert
from sqlmodel import Session, select
from stdnum import luhn
from stdnum.ru import inn as ru_inn

from paysim_app import coverage, demo_usage
from paysim_app.accounts import consent, hash_password
from paysim_app.accounts.identity import actor_for, create_admin, next_contract_no
from paysim_app.billing import ledger
from paysim_app.billing.cycle import fee_posting
from paysim_app.billing.payments import commission_of, credit_posting
from paysim_app.catalogue.addons import purchase_posting
from paysim_app.core import audit
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    AuditLog,
    AutopayRun,
    AutopaySetting,
    Block,
    Commission,
    DemandLead,
    LedgerEntry,
    Notification,
    Partner,
    Payment,
    QualityRating,
    SavedCard,
    Sim,
    SimAddon,
    SpeedTest,
    StaticIp,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    Ticket,
    TicketMessage,
    User,
)
from paysim_app.models.usage import UsageDay, UsageHour
from paysim_app.partners import orders as dealer_orders
from paysim_app.settings import get_settings
from paysim_app.sims import activations, orders

SEED = 2026
DEMO_PASSWORD = "demo12345"
DEMO_SUBSCRIBER_EMAIL = "demo@paysim.demo"
DEMO_SUBSCRIBER_PHONE = "+79990000001"
DEMO_PARTNER_EMAIL = "partner@paysim.demo"
DEMO_ADMIN_EMAIL = "admin@paysim.demo"
DEMO_SUPPORT_EMAIL = "support@paysim.demo"

SIM_TOTAL = 300
DEMO_SUBSCRIBER_SIMS = 4  # the first plans are the demo subscriber's: the others' stories skip them
HISTORY_DAYS = 181  # payments and fees reach back six months before the reference day
OTHER_LOGIN_SUBSCRIBERS = 10  # besides the demo subscriber; each can sign in
CONTRACT_ONLY_SUBSCRIBERS = 80  # dealers' customers who never opened the cabinet


@dataclass(frozen=True)
class DemoLogin:
    role: str
    login: str
    note: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("subscriber", DEMO_SUBSCRIBER_EMAIL, "Иван Петров; also by phone +7 999 000-00-01"),
    DemoLogin("partner", DEMO_PARTNER_EMAIL, "dealer SVYAZ (Связь-Сервис)"),
    DemoLogin("admin", DEMO_ADMIN_EMAIL, f"role {ROLE_SUPERADMIN}"),
    DemoLogin("support", DEMO_SUPPORT_EMAIL, f"role {ROLE_SUPPORT}"),
)


class DemoSeedError(Exception):
    """The database cannot take the demo data (it already has some of it)."""


# --------------------------------------------------------------------------- catalogue

TARIFFS = (
    # code, name, description, fee (kop), GB (None = unlimited), Mbit/s, archived
    (
        "START",
        "Старт",
        "15 ГБ в месяц, до 20 Мбит/с — почта, мессенджеры, новости",
        35000,
        15,
        20,
        False,
    ),
    (
        "OPTIMUM",
        "Оптимум",
        "50 ГБ в месяц, до 50 Мбит/с — видео и работа из дома",
        65000,
        50,
        50,
        False,
    ),
    (
        "MAXIMUM",
        "Максимум",
        "Безлимитный интернет до 100 Мбит/с — для всей семьи",
        99000,
        None,
        100,
        False,
    ),
    (
        "OLD_UNLIM",
        "Безлимит 2024",
        "Архивный безлимит до 30 Мбит/с, больше не подключается",
        50000,
        None,
        30,
        True,
    ),
)
TARIFF_WEIGHTS = {"START": 30, "OPTIMUM": 40, "MAXIMUM": 20, "OLD_UNLIM": 10}

ADDONS = (
    # code, name, description, price (kop), days
    ("EXTRA_10GB", "+10 ГБ", "Ещё 10 ГБ до конца периода", 15000, 30),
    ("NIGHT_UNLIM", "Ночной безлимит", "Безлимитный трафик с 01:00 до 07:00", 9900, 30),
    (
        "STATIC_IP",
        "Статический IP",
        "Постоянный внешний IPv4-адрес для камер и удалённого доступа",
        20000,
        30,
    ),
    ("SPEED_BOOST", "Ускорение", "Скорость до 100 Мбит/с на любом тарифе", 9900, 7),
)
# what each demo add-on does (AddonService.kind and its parameters; Moscow hours for the night)
ADDON_KINDS = {
    "EXTRA_10GB": {"kind": "data_pack", "data_gb": 10},
    "NIGHT_UNLIM": {"kind": "night_unlimited", "night_from_hour": 1, "night_to_hour": 7},
    "STATIC_IP": {"kind": "static_ip"},
    "SPEED_BOOST": {"kind": "speed_booster", "speed_mbps": 100},
}
STATIC_IP_POOL = "198.51.100.0/26"  # TEST-NET-2: documentation addresses, 62 hosts

PARTNERS = (
    # code, name, INN body (9 digits, check digit added), e-mail, phone, address, commission (bp)
    (
        "SVYAZ",
        "ООО «Связь-Сервис»",
        "770123456",
        "office@svyaz-service.example.com",
        "+74951230001",
        "Московская обл., г. Дмитров, ул. Профессиональная, д. 4",
        1000,
    ),
    (
        "NETPOINT",
        "ИП Соколов А. В. (NetPoint)",
        "500765432",
        "shop@netpoint.example.com",
        "+74961230002",
        "Московская обл., г. Истра, ул. Советская, д. 12",
        750,
    ),
)
PARTNER_USERS = (
    (DEMO_PARTNER_EMAIL, "Павел Орлов"),
    ("netpoint@paysim.demo", "Андрей Соколов"),
)

COVERAGE_SETTLEMENTS = """region;name;kind;quality;lat;lon
Московская область;Дмитров;город;good;56.3442;37.5204
Московская область;Истра;город;good;55.9142;36.8603
Московская область;Яхрома;город;fair;56.2890;37.4840
Московская область;Рогачёво;село;fair;56.4330;37.1620
Тверская область;Тверь;город;good;56.8587;35.9176
Тверская область;Конаково;город;good;56.7000;36.7700
Тверская область;Кашин;город;fair;57.3597;37.6119
Тверская область;Ёлкино;деревня;none;57.1000;34.5000
Ярославская область;Ярославль;город;good;57.6261;39.8845
Ярославская область;Переславль-Залесский;город;good;56.7360;38.8540
Ярославская область;Углич;город;fair;57.5225;38.3020
"""
COVERAGE_STATIONS = """code;lat;lon;radius_m;region;settlement;technology;band
BS-DMT-01;56.3442;37.5204;6000;Московская область;Дмитров;LTE-A;B3
BS-DMT-02;56.2890;37.4840;4000;Московская область;Яхрома;LTE;B20
BS-IST-01;55.9142;36.8603;5000;Московская область;Истра;LTE-A;B7
BS-TVR-01;56.8587;35.9176;7000;Тверская область;Тверь;LTE-A;B3
BS-TVR-02;56.8200;35.8600;4000;Тверская область;Тверь;LTE;B20
BS-KNK-01;56.7000;36.7700;5000;Тверская область;Конаково;LTE;B3
BS-KSH-01;57.3597;37.6119;2500;Тверская область;Кашин;LTE;B20
BS-YAR-01;57.6261;39.8845;8000;Ярославская область;Ярославль;LTE-A;B7
BS-PRS-01;56.7360;38.8540;5000;Ярославская область;Переславль-Залесский;LTE;B3
BS-UGL-01;57.5225;38.3020;3000;Ярославская область;Углич;LTE;B20
"""
# days ago, contact, settlement of the list (or None), the place as typed
COVERAGE_LEADS = (
    (20, "+79161110001", "Ёлкино", ""),
    (9, "elkino.dacha@example.ru", "Ёлкино", ""),
    (2, "+79161110003", "Ёлкино", ""),
    (5, "+79161110004", "Рогачёво", ""),
    (1, "zarechye@example.ru", None, "Тверская обл., д. Заречье"),
)


DEMO_SUBSCRIBER_NAME = "Иван Петров"
# name, e-mail (None: signs in by phone only), dealer index (None: bought directly)
LOGIN_SUBSCRIBERS = (
    ("Мария Иванова", "m.ivanova@paysim.demo", None),
    ("Алексей Смирнов", "a.smirnov@paysim.demo", None),
    ("Елена Кузнецова", "e.kuznetsova@paysim.demo", 0),
    ("Дмитрий Попов", None, None),
    ("Ольга Соколова", "o.sokolova@paysim.demo", None),
    ("Сергей Лебедев", "s.lebedev@paysim.demo", 1),
    ("Наталья Козлова", None, None),
    ("Андрей Новиков", "a.novikov@paysim.demo", None),
    ("Татьяна Морозова", "t.morozova@paysim.demo", 0),
    ("Николай Волков", None, None),
)
AUTOPAY_LOGIN_SUBSCRIBERS = (0, 3, 6)  # these pay by a saved card every month

# fmt: off
MALE_FIRST = ("Александр", "Михаил", "Владимир", "Евгений", "Игорь", "Роман", "Виктор", "Юрий",
              "Максим", "Артём")
FEMALE_FIRST = ("Анна", "Екатерина", "Ирина", "Светлана", "Юлия", "Людмила", "Галина", "Марина",
                "Ксения", "Дарья")
MALE_PATRONYMIC = ("Александрович", "Сергеевич", "Николаевич", "Петрович", "Иванович",
                   "Андреевич")
FEMALE_PATRONYMIC = ("Александровна", "Сергеевна", "Николаевна", "Петровна", "Ивановна",
                     "Андреевна")
SURNAMES = tuple((male, male + "а") for male in (
    "Белов", "Григорьев", "Егоров", "Захаров", "Зайцев", "Киселёв", "Комаров", "Макаров",
    "Медведев", "Никитин", "Орлов", "Павлов", "Романов", "Степанов", "Тарасов", "Фёдоров",
    "Фролов", "Чернов", "Широков", "Яковлев",
))
PLACES = (
    "Дмитровский г.о., д. Ольгово", "Истринский г.о., д. Никулино", "Рузский г.о., СНТ «Рассвет»",
    "Можайский г.о., с. Борисово", "Клинский г.о., д. Ясенево", "Сергиево-Посадский г.о., п. Лоза",
    "Наро-Фоминский г.о., д. Каурки", "Волоколамский г.о., с. Ярополец",
    "г.о. Чехов, д. Любучаны", "г.о. Кашира, д. Злобино",
)
STREETS = ("ул. Лесная", "ул. Садовая", "ул. Полевая", "ул. Центральная", "ул. Школьная",
           "ул. Луговая")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
    "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
), strict=True))
# fmt: on
SIM_LABELS = ("", "", "", "Дом", "Дача", "Офис", "Модем", "Роутер", "Гараж", "Камеры")

# Stripe's test cards: what a successful payment and each decline look like.
OK_CARDS = (("visa", "4242"), ("mastercard", "4444"), ("visa", "1881"))
DECLINE_CARDS = {
    "card_declined": ("visa", "0002"),
    "insufficient_funds": ("visa", "9995"),
    "expired_card": ("visa", "0069"),
    "incorrect_cvc": ("visa", "0127"),
    "authentication_required": ("visa", "3184"),
}
DECLINE_WEIGHTS = {
    "card_declined": 3,
    "insufficient_funds": 4,
    "expired_card": 2,
    "incorrect_cvc": 2,
    "authentication_required": 1,
}
AUTOPAY_DECLINES = (
    "insufficient_funds",
    "card_declined",
    "expired_card",
    "authentication_required",
)
OTHER_SIM_STATUS_WEIGHTS = {
    "active": 62,
    "suspended": 12,
    "blocked": 9,
    "deactivated": 12,
    "awaiting_activation": 5,
}


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def _round_up(kop: int, step: int = 10000) -> int:
    return -(-kop // step) * step


def make_iccid(body18: str) -> str:
    """A 19-digit ICCID: the 18 given digits and their Luhn check digit."""
    return body18 + luhn.calc_check_digit(body18)


# --------------------------------------------------------------------------- plans


@dataclass(eq=False)
class SubPlan:
    full_name: str
    email: str
    phone: str
    address: str
    partner: Partner | None
    login_by_email: bool = True
    user: User | None = None  # only those who can sign in
    row: Subscriber | None = None
    cards: list[SavedCard] = field(default_factory=list)
    sims: list[SimPlan] = field(default_factory=list)


@dataclass(eq=False)
class Event:
    at: datetime
    seq: int
    kind: str  # payment | fee | addon
    amount: int = 0  # ledger amount (fee and addon negative)
    pay: Pay | None = None
    fee_period: str | None = None
    addon: AddonService | None = None
    ledger_index: int | None = None


@dataclass(eq=False)
class Pay:
    sim: SimPlan
    row: dict
    id: int | None = None
    autopay_period: str | None = None


@dataclass(eq=False)
class SimPlan:
    status: str
    subscriber: SubPlan | None = None
    partner: Partner | None = None
    tariff: Tariff | None = None
    label: str = ""
    created_at: datetime | None = None
    requested_at: datetime | None = None  # awaiting activation since
    customer: tuple[str, str] = ("", "")  # a dealer's walk-in customer: name, phone
    activated_at: datetime | None = None
    stop_at: datetime | None = None  # blocked or deactivated at; no fees after it
    billing_day: int = 1
    tariff_before: Tariff | None = None  # until switch_at
    switch_at: datetime | None = None
    autopay_card: SavedCard | None = None
    fail_autopay_at: int | None = None  # the n-th fee whose autopay charge is declined
    block_reason: str = ""
    block_comment: str = ""
    blocked_by: User | None = None
    events: list[Event] = field(default_factory=list)
    balance: int = 0
    id: int | None = None
    row: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- entry points


def moscow_now() -> datetime:
    return datetime.now(ZoneInfo(get_settings().paysim_timezone))


def database_has_users(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def seed_demo(session: Session, today: date | None = None, now: datetime | None = None) -> dict:
    """Write the demo data into `session` (the caller commits); returns counts per table.

    `today` is the reference day (default: today in Europe/Moscow); `now` the clock the newest
    rows stay behind (default: the real time when `today` is today, else noon of `today`).
    Refuses with DemoSeedError when the database already has SIMs, partners, tariffs,
    subscribers or one of the demo logins; an admin made with create-admin is fine.
    """
    tz = ZoneInfo(get_settings().paysim_timezone)
    real_now = datetime.now(tz)
    if today is None:
        today = real_now.date()
    if now is None:
        now = real_now if real_now.date() == today else datetime.combine(today, time(12), tz)
    now = now.astimezone(tz)
    _check_can_seed(session)
    return _Seeder(session, today, now, tz).run()


def _check_can_seed(session: Session) -> None:
    logins = [d.login for d in DEMO_LOGINS] + [email for email, _ in PARTNER_USERS]
    taken = session.exec(
        select(func.count())
        .select_from(User)
        .where((User.email.in_(logins)) | (User.phone == DEMO_SUBSCRIBER_PHONE))
    ).one()
    busy = {
        "demo logins": taken,
        "SIMs": session.exec(select(func.count()).select_from(Sim)).one(),
        "subscribers": session.exec(select(func.count()).select_from(Subscriber)).one(),
        "partners": session.exec(select(func.count()).select_from(Partner)).one(),
        "tariffs": session.exec(select(func.count()).select_from(Tariff)).one(),
    }
    found = ", ".join(f"{n} {what}" for what, n in busy.items() if n)
    if found:
        raise DemoSeedError(
            f"the database already has data ({found}); the demo seed needs an empty database"
        )


def count_rows(session: Session) -> dict[str, int]:
    """Rows per table that the demo writes, plus a few figures worth printing."""

    def n(model, *where) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    return {
        "tariffs": n(Tariff),
        "addon_services": n(AddonService),
        "partners": n(Partner),
        "users": n(User),
        "subscribers": n(Subscriber),
        "sims": n(Sim),
        "payments": n(Payment),
        "payments_failed": n(Payment, Payment.status == "failed"),
        "ledger_entries": n(LedgerEntry),
        "commissions": n(Commission),
        "saved_cards": n(SavedCard),
        "autopay_settings": n(AutopaySetting),
        "activation_requests": n(ActivationRequest),
        "tariff_change_requests": n(TariffChangeRequest),
        "blocks": n(Block),
        "tickets": n(Ticket),
        "ticket_messages": n(TicketMessage),
        "quality_ratings": n(QualityRating),
        "speed_tests": n(SpeedTest),
        "notifications": n(Notification),
        "audit_entries": n(AuditLog),
        "usage_days": n(UsageDay),
        "usage_hours": n(UsageHour),
    }


# --------------------------------------------------------------------------- the seeder


class _Seeder:
    def __init__(self, session: Session, today: date, now: datetime, tz: ZoneInfo):
        self.s = session
        self.today = today
        self.now = now
        self.tz = tz
        self.rng = random.Random(SEED)
        self.seq = 0
        self.sims: list[SimPlan] = []
        self.pays: list[Pay] = []
        self.audits: list[AuditLog] = []
        self.switched: SimPlan | None = None

    # ---- small helpers

    def at(self, days_ago: int, hour: int = 12, minute: int = 0) -> datetime:
        """A local time `days_ago` days before the reference day (never after now)."""
        d = self.today - timedelta(days=days_ago)
        return min(datetime.combine(d, time(hour, minute), self.tz), self.now)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def token(self, prefix: str) -> str:
        return f"{prefix}{self.rng.getrandbits(96):024x}"

    def key(self) -> str:
        return f"demo-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def audit(
        self,
        actor: User | None,
        action: str,
        entity: str,
        entity_id: object,
        before: dict | None,
        after: dict | None,
        at: datetime,
    ) -> None:
        self.audits.append(
            audit.entry(
                actor.id if actor else None, action, entity, entity_id, before, after, created_at=at
            )
        )

    # ---- the steps

    def run(self) -> dict:
        self.make_catalogue()
        self.make_partners()
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.make_admins()
        self.make_partner_users()
        self.plan_subscribers()
        self.plan_sims()
        self.make_subscribers()
        self.make_cards()
        for plan in self.sims:
            if plan.activated_at is not None:
                self.simulate(plan)
        self.add_todays_payments()
        self.add_addons()
        self.insert_sims()
        self.insert_money()
        ledger.set_balances(self.s)
        self.make_autopay()
        self.make_requests()
        self.make_blocks()
        self.make_support()
        self.make_quality()
        self.make_coverage()
        self.make_orders()
        self.make_notifications()
        demo_usage.seed_usage(self)
        self.s.add_all(self.audits)
        self.s.flush()
        return count_rows(self.s)

    def make_catalogue(self) -> None:
        self.tariffs: dict[str, Tariff] = {}
        for code, name, desc, fee, gb, mbps, archived in TARIFFS:
            t = Tariff(
                code=code,
                name=name,
                description=desc,
                monthly_fee_kop=fee,
                data_gb=gb,
                speed_mbps=mbps,
                is_public=not archived,
                is_archived=archived,
                created_at=self.at(400, 10),
            )
            self.s.add(t)
            self.tariffs[code] = t
        self.addons: dict[str, AddonService] = {}
        for code, name, desc, price, days in ADDONS:
            a = AddonService(
                code=code,
                name=name,
                description=desc,
                price_kop=price,
                period_days=days,
                created_at=self.at(400, 10),
                **ADDON_KINDS.get(code, {}),
            )
            self.s.add(a)
            self.addons[code] = a
        self.s.flush()

    def make_partners(self) -> None:
        self.partners: list[Partner] = []
        for code, name, inn9, email, phone, address, bp in PARTNERS:
            p = Partner(
                code=code,
                name=name,
                inn=inn9 + ru_inn.calc_company_check_digit(inn9),
                contact_email=email,
                contact_phone=phone,
                address=address,
                commission_bp=bp,
                created_at=self.at(380, 11),
            )
            self.s.add(p)
            self.partners.append(p)
        self.s.flush()

    def make_admins(self) -> None:
        self.admin = create_admin(
            self.s, DEMO_ADMIN_EMAIL, DEMO_PASSWORD, ROLE_SUPERADMIN, full_name="Анна Смирнова"
        )
        self.support = create_admin(
            self.s, DEMO_SUPPORT_EMAIL, DEMO_PASSWORD, ROLE_SUPPORT, full_name="Олег Кузнецов"
        )
        for admin in (self.admin, self.support):
            admin.created_at = self.at(390, 9)
            admin.password_changed_at = admin.created_at

    def make_partner_users(self) -> None:
        self.partner_users: list[User] = []
        for partner, (email, name) in zip(self.partners, PARTNER_USERS, strict=True):
            u = User(
                email=email,
                password_hash=self.password_hash,
                role="partner",
                full_name=name,
                partner_id=partner.id,
                is_active=True,
                created_at=self.at(370, 10),
                password_changed_at=self.at(370, 10),
            )
            self.s.add(u)
            self.partner_users.append(u)
        self.s.flush()
        for partner, user in zip(self.partners, self.partner_users, strict=True):
            self.audit(
                self.admin,
                "partner.create",
                "partner",
                partner.id,
                None,
                {"code": partner.code, "commission_bp": partner.commission_bp, "user": user.email},
                self.at(370, 10),
            )

    def partner_user(self, partner: Partner) -> User:
        return self.partner_users[[p.id for p in self.partners].index(partner.id)]

    def random_address(self) -> str:
        r = self.rng
        return f"Московская обл., {r.choice(PLACES)}, {r.choice(STREETS)}, д. {r.randint(1, 60)}"

    def plan_subscribers(self) -> None:
        r = self.rng
        self.demo = SubPlan(
            DEMO_SUBSCRIBER_NAME,
            DEMO_SUBSCRIBER_EMAIL,
            DEMO_SUBSCRIBER_PHONE,
            "Московская обл., Истринский г.о., д. Никулино, ул. Лесная, д. 12",
            None,
        )
        self.login_subs: list[SubPlan] = []
        for i, (name, email, dealer) in enumerate(LOGIN_SUBSCRIBERS):
            phone = f"+7999000{i + 2:04d}"
            self.login_subs.append(
                SubPlan(
                    name,
                    email or f"{_translit(name.split()[1])}{i + 2}@example.com",
                    phone,
                    self.random_address(),
                    self.partners[dealer] if dealer is not None else None,
                    login_by_email=email is not None,
                )
            )
        self.contract_subs: list[SubPlan] = []
        phones = r.sample(range(900_000_000, 990_000_000), CONTRACT_ONLY_SUBSCRIBERS)
        for i in range(CONTRACT_ONLY_SUBSCRIBERS):
            female = r.random() < 0.5
            surname = r.choice(SURNAMES)[1 if female else 0]
            first = r.choice(FEMALE_FIRST if female else MALE_FIRST)
            middle = r.choice(FEMALE_PATRONYMIC if female else MALE_PATRONYMIC)
            email = ""
            if r.random() < 0.6:
                domain = r.choice(("example.com", "example.net", "example.org"))
                email = f"{_translit(surname)}.{_translit(first)[0]}{r.randint(10, 99)}@{domain}"
            x = r.random()
            partner = self.partners[0] if x < 0.5 else self.partners[1] if x < 0.8 else None
            self.contract_subs.append(
                SubPlan(
                    f"{surname} {first} {middle}",
                    email,
                    f"+79{phones[i]:09d}",
                    self.random_address(),
                    partner,
                )
            )

    def choose_tariff(self, days_ago: int) -> Tariff:
        while True:
            code = self.rng.choices(list(TARIFF_WEIGHTS), list(TARIFF_WEIGHTS.values()))[0]
            if code != "OLD_UNLIM" or days_ago >= 120:  # archived four months ago
                return self.tariffs[code]

    def activation_days_ago(self, status: str) -> int:
        r = self.rng
        low = 45 if status in ("suspended", "deactivated", "blocked") else 20
        if r.random() < 0.4:
            return r.randint(160, HISTORY_DAYS)
        return r.randint(low, HISTORY_DAYS)

    def owned_sim(
        self,
        sub: SubPlan,
        status: str,
        *,
        days_ago: int | None = None,
        tariff: Tariff | None = None,
        label: str | None = None,
    ) -> SimPlan:
        r = self.rng
        plan = SimPlan(status=status, subscriber=sub, partner=sub.partner)
        plan.label = label if label is not None else r.choice(SIM_LABELS)
        if status == "awaiting_activation":
            requested = r.randint(1, 6)
            plan.tariff = tariff or self.choose_tariff(0)
            plan.created_at = self.at(requested + r.randint(20, 90), 10)
            plan.requested_at = self.at(requested, r.randint(9, 20), r.randint(0, 59))
        else:
            days_ago = days_ago if days_ago is not None else self.activation_days_ago(status)
            plan.tariff = tariff or self.choose_tariff(days_ago)
            plan.activated_at = self.at(days_ago, r.randint(10, 19), r.randint(0, 59))
            plan.billing_day = min(plan.activated_at.day, 28)
            plan.created_at = plan.activated_at - timedelta(days=r.randint(3, 40), hours=2)
            if status == "blocked":
                plan.stop_at = self.at(
                    r.randint(1, min(days_ago - 10, 60)), r.randint(8, 22), r.randint(0, 59)
                )
            elif status == "deactivated":
                plan.stop_at = self.at(
                    r.randint(5, days_ago - 40), r.randint(10, 18), r.randint(0, 59)
                )
        sub.sims.append(plan)
        self.sims.append(plan)
        return plan

    def plan_sims(self) -> None:
        r = self.rng
        t = self.tariffs
        # the demo subscriber: exactly four SIMs, one per story (demo_usage tells the usage's)
        home_days = demo_usage.story_days_ago(self.today, 20)
        self.home = self.owned_sim(
            self.demo, "active", days_ago=home_days, tariff=t["OPTIMUM"], label="Дом"
        )
        self.dacha = self.owned_sim(
            self.demo, "suspended", days_ago=150, tariff=t["START"], label="Дача"
        )
        self.tablet = self.owned_sim(
            self.demo, "blocked", days_ago=120, tariff=t["MAXIMUM"], label="Планшет"
        )
        self.tablet.stop_at = self.at(12, 21, 40)
        self.tablet.block_reason = "lost"
        self.tablet.block_comment = "Планшет забыли в такси"
        cameras_days = demo_usage.story_days_ago(self.today, 16)
        self.cameras = self.owned_sim(
            self.demo, "active", days_ago=cameras_days, tariff=t["START"], label="Камеры"
        )
        statuses, weights = list(OTHER_SIM_STATUS_WEIGHTS), list(OTHER_SIM_STATUS_WEIGHTS.values())
        for i, sub in enumerate(self.login_subs):
            if i == 1:  # added a second SIM in the cabinet; the activation request waits
                self.owned_sim(sub, "active")
                self.owned_sim(sub, "awaiting_activation", label="Офис")
                continue
            for k in range(r.choice((1, 1, 2, 2, 3))):
                status = "active" if k == 0 else r.choices(statuses, weights)[0]
                self.owned_sim(sub, status)
        for sub in self.contract_subs:
            for _ in range(r.choice((1, 2, 2, 3))):
                status = r.choices(statuses, weights)[0]
                if status == "awaiting_activation" and sub.partner is None:
                    status = "active"  # only a dealer asks to activate for a customer
                self.owned_sim(sub, status)
        # one SIM moved from the archived tariff to OPTIMUM two months ago
        for plan in self.sims[DEMO_SUBSCRIBER_SIMS:]:
            if (
                plan.status == "active"
                and plan.tariff.code == "OLD_UNLIM"
                and plan.activated_at < self.at(110)
            ):
                first = (self.today.replace(day=1) - timedelta(days=40)).replace(day=1)
                plan.tariff_before, plan.tariff = plan.tariff, t["OPTIMUM"]
                plan.switch_at = datetime.combine(first, time(0), self.tz)
                self.switched = plan
                break
        # blocks of other SIMs: the subscriber's own (lost, stolen) or the operator's
        for plan in self.sims[DEMO_SUBSCRIBER_SIMS:]:
            if plan.status == "blocked":
                plan.block_reason = r.choice(("lost", "lost", "stolen", "fraud", "admin"))
                plan.block_comment = {
                    "lost": "Потерян модем",
                    "stolen": "Украли роутер вместе с SIM",
                    "fraud": "Подозрительная активность: массовая рассылка",
                    "admin": "Блокировка по запросу службы безопасности",
                }[plan.block_reason]
        # dealers' SIMs waiting for activation for walk-in customers (no contract yet)
        for p_index, n in ((0, 5), (1, 3)):
            for _ in range(n):
                plan = SimPlan(status="awaiting_activation", partner=self.partners[p_index])
                plan.tariff = self.choose_tariff(0)
                requested = r.randint(0, 5)
                plan.created_at = self.at(requested + r.randint(20, 120), 10)
                plan.requested_at = self.at(requested, r.randint(9, 11), r.randint(0, 59))
                female = r.random() < 0.5
                plan.customer = (
                    f"{r.choice(SURNAMES)[1 if female else 0]} "
                    + r.choice(FEMALE_FIRST if female else MALE_FIRST),
                    f"+79{r.randrange(900_000_000, 990_000_000):09d}",
                )
                self.sims.append(plan)
        if len(self.sims) > SIM_TOTAL:  # pragma: no cover - a change of the numbers above
            raise RuntimeError(f"{len(self.sims)} planned SIMs do not fit in {SIM_TOTAL}")
        # the stock: most of it handed to the dealers
        batches = [self.at(d, 10) for d in (230, 140, 60, 14)]
        while len(self.sims) < SIM_TOTAL:
            x = r.random()
            partner = self.partners[0] if x < 0.45 else self.partners[1] if x < 0.75 else None
            self.sims.append(
                SimPlan(status="in_stock", partner=partner, created_at=r.choice(batches))
            )
        # numbers: ICCID in delivery order, MSISDN/IMSI unique and apart from the users' phones
        serials = sorted(r.sample(range(10**6, 10**8), SIM_TOTAL))
        msisdns = r.sample(range(100_000_000, 900_000_000), SIM_TOTAL)
        imsis = r.sample(range(10**9, 10**10), SIM_TOTAL)
        order = sorted(range(SIM_TOTAL), key=lambda i: (self.sims[i].created_at, i))
        for n, i in enumerate(order):
            plan = self.sims[i]
            plan.row = {
                "iccid": make_iccid(f"89701026{serials[n]:010d}"),
                "msisdn": f"+79{msisdns[i]:09d}",
                "imsi": f"25001{imsis[i]:010d}",
                "puk": f"{r.randrange(10**8):08d}",
            }

    def make_subscribers(self) -> None:
        everyone = [self.demo, *self.login_subs, *self.contract_subs]
        everyone.sort(
            key=lambda sp: min(self.sim_start(p) for p in sp.sims) if sp.sims else self.at(200)
        )
        for sp in everyone:
            joined = min(self.sim_start(p) for p in sp.sims) if sp.sims else self.at(200)
            joined -= timedelta(hours=1)
            if sp is self.demo or sp in self.login_subs:
                by_email = sp.login_by_email
                sp.user = User(
                    email=sp.email if by_email else None,
                    phone=sp.phone if (sp is self.demo or not by_email) else None,
                    password_hash=self.password_hash,
                    role="subscriber",
                    full_name=sp.full_name,
                    created_at=joined,
                    password_changed_at=joined,
                )
                self.s.add(sp.user)
                self.s.flush()
            sp.row = Subscriber(
                contract_no=next_contract_no(self.s),
                user_id=sp.user.id if sp.user else None,
                full_name=sp.full_name,
                email=sp.email,
                phone=sp.phone,
                address=sp.address,
                partner_id=sp.partner.id if sp.partner else None,
                status="active" if any(p.status != "deactivated" for p in sp.sims) else "inactive",
                created_at=joined,
            )
            self.s.add(sp.row)
            self.s.flush()
            if sp.user is not None:  # accepted the current legal texts when they registered
                consent.record_consents(
                    self.s,
                    personal_data=True,
                    terms=True,
                    source="registration",
                    user_id=sp.user.id,
                    subscriber_id=sp.row.id,
                )

    def sim_start(self, plan: SimPlan) -> datetime:
        return plan.activated_at or plan.requested_at

    def make_cards(self) -> None:
        exp_far = self.today.year + 2
        d = self.demo
        visa = SavedCard(
            subscriber_id=d.row.id,
            gateway_token="pm_card_visa",
            gateway_customer="cus_demo_0001",
            brand="visa",
            last4="4242",
            exp_month=12,
            exp_year=exp_far,
            is_default=True,
            created_at=self.home.activated_at + timedelta(minutes=1),
        )
        # expires at the end of this month: within 30 days of the reference day
        master = SavedCard(
            subscriber_id=d.row.id,
            gateway_token="pm_card_mastercard",
            gateway_customer="cus_demo_0001",
            brand="mastercard",
            last4="4444",
            exp_month=self.today.month,
            exp_year=self.today.year,
            created_at=self.dacha.activated_at + timedelta(minutes=1),
        )
        self.s.add_all([visa, master])
        d.cards = [visa, master]
        self.home.autopay_card = visa
        self.home.fail_autopay_at = 3
        for i in AUTOPAY_LOGIN_SUBSCRIBERS:
            sp = self.login_subs[i]
            first = sp.sims[0]
            card = SavedCard(
                subscriber_id=sp.row.id,
                gateway_token="pm_card_visa",
                gateway_customer=f"cus_demo_{i + 2:04d}",
                brand="visa",
                last4="4242",
                exp_month=self.rng.randint(1, 12),
                exp_year=exp_far - self.rng.randint(0, 1),
                is_default=True,
                created_at=first.activated_at + timedelta(minutes=1),
            )
            self.s.add(card)
            sp.cards = [card]
            first.autopay_card = card
        self.s.flush()

    # ---- money

    def fee_times(self, plan: SimPlan) -> list[datetime]:
        act = plan.activated_at
        end = min(plan.stop_at or self.now, self.now)
        times = [act + timedelta(minutes=5)]
        y, m = act.year, act.month
        while True:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            t = datetime(y, m, plan.billing_day, 3, 0, tzinfo=self.tz)
            if t > end:
                return times
            times.append(t)

    def fee_of(self, plan: SimPlan, at: datetime) -> int:
        if plan.switch_at is not None and at < plan.switch_at:
            return plan.tariff_before.monthly_fee_kop
        return plan.tariff.monthly_fee_kop

    def card_for(self, plan: SimPlan) -> tuple[str, str, SavedCard | None]:
        sub = plan.subscriber
        if sub is not None and sub.cards and self.rng.random() < 0.7:
            card = sub.cards[0] if len(sub.cards) == 1 else self.rng.choice(sub.cards)
            return card.brand, card.last4, card
        brand, last4 = self.rng.choice(OK_CARDS)
        return brand, last4, None

    def add_payment(
        self,
        plan: SimPlan,
        at: datetime,
        amount: int,
        method: str,
        *,
        decline: str | None = None,
        card: tuple | None = None,
        autopay_period: str | None = None,
    ) -> Pay:
        sub = plan.subscriber
        brand, last4, saved = card or ("", "", None)
        if method == "partner":
            payer = self.partner_user(plan.partner).id
        else:
            payer = sub.user.id if sub and sub.user else None
        row = {
            "subscriber_id": sub.row.id if sub else None,
            "partner_id": plan.partner.id if plan.partner else None,
            "payer_user_id": payer,
            "card_id": saved.id if saved else None,
            "amount_kop": amount,
            "method": method,
            "status": "failed" if decline else "succeeded",
            "decline_code": decline,
            "card_brand": brand,
            "card_last4": last4,
            "gateway": "partner" if method == "partner" else "sandbox",
            "gateway_ref": None if method == "partner" else self.token("pi_demo_"),
            "idempotency_key": self.key(),
            "created_at": at,
            "completed_at": at + timedelta(seconds=self.rng.randint(2, 40)),
        }
        pay = Pay(plan, row, autopay_period=autopay_period)
        self.pays.append(pay)
        plan.events.append(Event(at, self.next_seq(), "payment", 0 if decline else amount, pay=pay))
        return pay

    def top_up(self, plan: SimPlan, at: datetime, amount: int, method: str | None = None) -> None:
        """One successful top-up, sometimes after a declined attempt with another card."""
        r = self.rng
        if method is None:
            method = self.manual_method(plan)
        if method == "card":
            if r.random() < 0.13:
                code = r.choices(list(DECLINE_WEIGHTS), list(DECLINE_WEIGHTS.values()))[0]
                before = at - timedelta(minutes=r.randint(3, 90))
                self.add_payment(
                    plan, before, amount, "card", decline=code, card=(*DECLINE_CARDS[code], None)
                )
            self.add_payment(plan, at, amount, "card", card=self.card_for(plan))
        else:
            self.add_payment(plan, at, amount, method)

    def manual_method(self, plan: SimPlan) -> str:
        if plan.partner is None:
            return "card"
        cabinet = plan.subscriber is not None and plan.subscriber.user is not None
        return "partner" if self.rng.random() < (0.3 if cabinet else 0.75) else "card"

    def simulate(self, plan: SimPlan) -> None:
        r = self.rng
        fees = self.fee_times(plan)
        suspend_at = None
        if plan.status == "suspended":
            suspend_at = len(fees) - 1 if len(fees) < 3 or r.random() < 0.6 else len(fees) - 2
            fees = fees[: suspend_at + 1]
        # a debtor pays just what is due, so the fee that finds no money leaves a debt
        exact = plan.status == "suspended"
        balance = 0
        previous = plan.activated_at - timedelta(days=1)
        for i, fee_at in enumerate(fees):
            fee = self.fee_of(plan, fee_at)
            period = f"{fee_at.year:04d}-{fee_at.month:02d}"
            if i == suspend_at:
                # the money ran out: the card is declined, the fee drives the balance below zero
                for _ in range(r.choice((1, 1, 2))):
                    code = r.choices(list(DECLINE_WEIGHTS), list(DECLINE_WEIGHTS.values()))[0]
                    at = fee_at - timedelta(hours=r.randint(2, 60))
                    self.add_payment(
                        plan,
                        max(at, previous + timedelta(hours=1)),
                        fee,
                        "card",
                        decline=code,
                        card=(*DECLINE_CARDS[code], None),
                    )
            elif i == 0:
                # paid at the counter or online right at activation
                extra = r.choice((0, 0, 0, 10000, 15000, 35000))
                amount = _round_up(fee) + (0 if exact else extra)
                self.top_up(plan, plan.activated_at - timedelta(minutes=3), amount)
            elif plan.autopay_card is not None:
                card = (plan.autopay_card.brand, plan.autopay_card.last4, plan.autopay_card)
                at = fee_at - timedelta(minutes=5)
                if i == plan.fail_autopay_at or (
                    plan.fail_autopay_at is None and r.random() < 0.08
                ):
                    code = (
                        "insufficient_funds"
                        if i == plan.fail_autopay_at
                        else r.choice(AUTOPAY_DECLINES)
                    )
                    self.add_payment(
                        plan, at, fee, "autopay", decline=code, card=card, autopay_period=period
                    )
                    # the subscriber paid by hand the same day
                    self.add_payment(
                        plan,
                        fee_at + timedelta(hours=r.randint(4, 14)),
                        _round_up(fee),
                        "card",
                        card=self.other_card(plan),
                    )
                else:
                    self.add_payment(plan, at, fee, "autopay", card=card, autopay_period=period)
            else:
                need = fee - balance
                if need > 0 or (not exact and r.random() < 0.35):
                    amount = _round_up(max(need, 1))
                    if not exact:
                        amount += r.choice((0, 0, 0, 10000, 15000, 35000, 50000))
                    first_at = max(
                        previous + timedelta(hours=2), fee_at - timedelta(hours=r.randint(2, 96))
                    )
                    if not exact and amount >= 40000 and r.random() < 0.3:
                        half = _round_up(amount // 2)
                        early = max(
                            previous + timedelta(hours=1),
                            first_at - timedelta(days=r.randint(3, 12)),
                        )
                        self.top_up(plan, early, half)
                        amount -= half
                    self.top_up(plan, first_at, amount)
            plan.events.append(Event(fee_at, self.next_seq(), "fee", -fee, fee_period=period))
            balance = sum(e.amount for e in plan.events)
            previous = fee_at
        if plan.status == "suspended" and r.random() < 0.5:
            at = previous + timedelta(days=r.randint(1, 6), hours=r.randint(1, 12))
            if at < self.now:
                code = r.choice(("insufficient_funds", "card_declined"))
                self.add_payment(
                    plan,
                    at,
                    self.fee_of(plan, at),
                    "card",
                    decline=code,
                    card=(*DECLINE_CARDS[code], None),
                )
        if plan.status == "active" and r.random() < 0.35:
            at = previous + timedelta(days=r.randint(1, 20), hours=r.randint(1, 12))
            if at < self.now - timedelta(hours=1):
                self.top_up(plan, at, r.choice((20000, 30000, 50000, 100000)))

    def other_card(self, plan: SimPlan) -> tuple[str, str, SavedCard | None]:
        sub = plan.subscriber
        others = [c for c in (sub.cards if sub else []) if c is not plan.autopay_card]
        if others:
            return others[0].brand, others[0].last4, others[0]
        return "mastercard", "4444", None

    def add_todays_payments(self) -> None:
        """A few payments made today (Moscow time), so the admin's 'today' is not empty."""
        r = self.rng
        midnight = datetime.combine(self.today, time(0), self.tz)
        span = max(self.now - midnight, timedelta(0))
        active = [p for p in self.sims[DEMO_SUBSCRIBER_SIMS:] if p.status == "active"]
        for k, plan in enumerate(r.sample(active, min(8, len(active)))):
            at = midnight + span * (0.1 + 0.8 * r.random())
            amount = r.choice((30000, 50000, 65000, 100000))
            if k == 0:
                code = "insufficient_funds"
                self.add_payment(
                    plan, at, amount, "card", decline=code, card=(*DECLINE_CARDS[code], None)
                )
                at += span * 0.05
            method = self.manual_method(plan)
            card = self.card_for(plan) if method == "card" else None
            self.add_payment(plan, at, amount, method, card=card)

    def add_addons(self) -> None:
        """Add-ons bought from the balance, each right after a top-up that pays for it."""
        r = self.rng
        buys = [
            (self.home, self.addons["NIGHT_UNLIM"], 9),
            (self.home, self.addons["EXTRA_10GB"], 4),
            (self.cameras, self.addons["STATIC_IP"], 16),
        ]
        candidates = [
            p
            for p in self.sims[DEMO_SUBSCRIBER_SIMS:]
            if p.status == "active" and p.activated_at < self.at(60)
        ]
        for plan in r.sample(candidates, min(4, len(candidates))):
            buys.append((plan, r.choice(list(self.addons.values())), r.randint(2, 40)))
        self.addon_buys = []
        for plan, addon, days_ago in buys:
            at = self.at(days_ago, 14, r.randint(0, 59))
            self.top_up(plan, at - timedelta(minutes=4), _round_up(addon.price_kop), "card")
            event = Event(at, self.next_seq(), "addon", -addon.price_kop, addon=addon)
            plan.events.append(event)
            self.addon_buys.append((plan, addon, event))

    def insert_sims(self) -> None:
        rows = []
        for plan in self.sims:
            plan.events.sort(key=lambda e: (e.at, e.seq))
            plan.balance = sum(e.amount for e in plan.events)
            last = max(
                [plan.created_at, *(e.at for e in plan.events)]
                + ([plan.stop_at] if plan.stop_at else [])
            )
            rows.append(
                {
                    **plan.row,
                    "status": plan.status,
                    "subscriber_id": plan.subscriber.row.id if plan.subscriber else None,
                    "partner_id": plan.partner.id if plan.partner else None,
                    "tariff_id": plan.tariff.id if plan.tariff else None,
                    "label": plan.label,
                    "billing_day": plan.billing_day,
                    "status_before_block": "active" if plan.status == "blocked" else None,
                    "activated_at": plan.activated_at,
                    "created_at": plan.created_at,
                    "updated_at": last,
                }
            )
        ids = self.s.scalars(
            insert(Sim).returning(Sim.id, sort_by_parameter_order=True), rows
        ).all()
        for plan, sim_id in zip(self.sims, ids, strict=True):
            plan.id = sim_id

    def posting(self, plan: SimPlan, e: Event) -> ledger.Posting:
        """The entry the app itself writes for this event (settlement, the billing cycle, an
        add-on bought in the cabinet): the demo's history has the shape of real history."""
        if e.kind == "payment":
            return credit_posting(plan.id, e.pay.id, e.amount)
        if e.kind == "fee":
            return fee_posting(plan.id, -e.amount, e.fee_period)
        sub = plan.subscriber
        buyer = sub.user.id if sub is not None and sub.user is not None else None
        return purchase_posting(plan.id, e.addon, buyer)

    def insert_money(self) -> None:
        pays = sorted(self.pays, key=lambda p: (p.row["created_at"], p.row["idempotency_key"]))
        ids = self.s.scalars(
            insert(Payment).returning(Payment.id, sort_by_parameter_order=True),
            [{**p.row, "sim_id": p.sim.id} for p in pays],
        ).all()
        for pay, pay_id in zip(pays, ids, strict=True):
            pay.id = pay_id
        # the ledger, in time order, with the running balance of each SIM
        entries: list[tuple[datetime, int, dict, Event]] = []
        for plan in self.sims:
            running = 0
            for e in plan.events:
                if e.amount == 0:
                    continue  # a declined payment moves no money
                running += e.amount
                posting = self.posting(plan, e)
                assert posting.amount_kop == e.amount
                entries.append((e.at, e.seq, ledger.entry_row(posting, running, e.at), e))
            assert running == plan.balance
        entries.sort(key=lambda x: (x[0], x[1]))
        ledger_ids = self.s.scalars(
            insert(LedgerEntry).returning(LedgerEntry.id, sort_by_parameter_order=True),
            [row for _, _, row, _ in entries],
        ).all()
        for (_, _, _, event), ledger_id in zip(entries, ledger_ids, strict=True):
            event.ledger_index = ledger_id
        commissions = []
        for pay in pays:
            partner = pay.sim.partner
            if pay.row["status"] == "succeeded" and partner is not None:
                commissions.append(
                    {
                        "partner_id": partner.id,
                        "payment_id": pay.id,
                        "rate_bp": partner.commission_bp,
                        "amount_kop": commission_of(pay.row["amount_kop"], partner.commission_bp),
                        "created_at": pay.row["completed_at"],
                    }
                )
        if commissions:
            self.s.execute(insert(Commission), commissions)
        pool = [
            StaticIp(address=str(a), created_at=self.at(400, 10))
            for a in ipaddress.ip_network(STATIC_IP_POOL).hosts()
        ]
        self.s.add_all(pool)
        for plan, addon, event in self.addon_buys:
            bought = SimAddon(
                sim_id=plan.id,
                addon_id=addon.id,
                started_at=event.at,
                expires_at=event.at + timedelta(days=addon.period_days),
                # a pack is bought when needed; a booster for a trip
                auto_renew=addon.kind not in ("data_pack", "speed_booster"),
                ledger_entry_id=event.ledger_index,
            )
            self.s.add(bought)
            if addon.kind == "static_ip" and (bought.auto_renew or bought.expires_at > self.now):
                self.s.flush()  # the address is held by this purchase (renew_due hands it on)
                address = pool.pop(0)
                address.sim_id, address.sim_addon_id = plan.id, bought.id
                address.assigned_at = event.at
        self.payments_by_time = pays

    def make_autopay(self) -> None:
        runs = []
        for plan in self.sims:
            card = plan.autopay_card
            if card is None:
                continue
            self.s.add(
                AutopaySetting(
                    sim_id=plan.id,
                    card_id=card.id,
                    mode="monthly",
                    enabled=True,
                    created_at=card.created_at,
                    updated_at=card.created_at,
                )
            )
            for e in plan.events:
                if e.pay is not None and e.pay.autopay_period:
                    row = e.pay.row
                    runs.append(
                        {
                            "sim_id": plan.id,
                            "period": e.pay.autopay_period,
                            "mode": "monthly",
                            "attempt": 1,
                            "status": row["status"],
                            "payment_id": e.pay.id,
                            "decline_code": row["decline_code"],
                            "next_retry_at": None,
                            "created_at": row["created_at"],
                        }
                    )
        if runs:
            self.s.execute(insert(AutopayRun), runs)

    # ---- requests, blocks, support, quality, notifications

    def make_requests(self) -> None:
        r = self.rng
        reqs: list[tuple[ActivationRequest, str]] = []
        # pending: dealers' walk-in customers and subscribers who added a SIM themselves
        for plan in self.sims:
            if plan.status != "awaiting_activation":
                continue
            sub = plan.subscriber
            if sub is not None and sub.user is not None:
                requester = sub.user
            else:
                requester = self.partner_user(plan.partner)
            name, phone = (sub.full_name, sub.phone) if sub else plan.customer
            reqs.append(
                (
                    ActivationRequest(
                        sim_id=plan.id,
                        requester_user_id=requester.id,
                        subscriber_id=sub.row.id if sub else None,
                        partner_id=plan.partner.id if plan.partner else None,
                        tariff_id=plan.tariff.id,
                        customer_name=name,
                        customer_phone=phone,
                        customer_email=sub.email if sub else "",
                        status="pending",
                        created_at=plan.requested_at,
                    ),
                    "pending",
                )
            )
        # decided: approvals of SIMs that are active now, and two rejections
        approved = [self.home] + [
            p
            for p in self.sims[DEMO_SUBSCRIBER_SIMS:]
            if p.status == "active" and (p.partner is not None or p.subscriber.user is not None)
        ][:12]
        for plan in approved:
            sub = plan.subscriber
            by_partner = plan.partner is not None and (sub.user is None or r.random() < 0.5)
            requester = self.partner_user(plan.partner) if by_partner else sub.user
            created = plan.activated_at - timedelta(hours=r.randint(2, 30))
            reqs.append(
                (
                    ActivationRequest(
                        sim_id=plan.id,
                        requester_user_id=requester.id,
                        subscriber_id=sub.row.id,
                        partner_id=plan.partner.id if plan.partner else None,
                        tariff_id=(plan.tariff_before or plan.tariff).id,
                        customer_name=sub.full_name,
                        customer_phone=sub.phone,
                        customer_email=sub.email,
                        status="approved",
                        decided_by_user_id=self.admin.id,
                        decided_at=plan.activated_at,
                        created_at=created,
                    ),
                    "approved",
                )
            )
        stock = [p for p in self.sims if p.status == "in_stock" and p.partner is not None]
        for plan, reason in zip(
            stock[:2],
            ("Данные паспорта не совпадают с анкетой", "SIM-карта числится за другим дилером"),
            strict=True,
        ):
            created = self.at(r.randint(8, 30), 11)
            reqs.append(
                (
                    ActivationRequest(
                        sim_id=plan.id,
                        requester_user_id=self.partner_user(plan.partner).id,
                        partner_id=plan.partner.id,
                        tariff_id=self.tariffs["START"].id,
                        customer_name="Клиент без договора",
                        customer_phone="+79161234567",
                        status="rejected",
                        reason=reason,
                        decided_by_user_id=self.admin.id,
                        decided_at=created + timedelta(hours=3),
                        created_at=created,
                    ),
                    "rejected",
                )
            )
        for req, _ in reqs:
            self.s.add(req)
        self.s.flush()
        for req, status in reqs:
            if status == "pending":
                continue
            action = "activation.approve" if status == "approved" else "activation.reject"
            self.audit(
                self.admin,
                action,
                "activation_request",
                req.id,
                {"status": "pending"},
                {"status": status, "sim_id": req.sim_id, "reason": req.reason},
                req.decided_at,
            )
        self.activation_requests = [req for req, _ in reqs]
        # tariff changes: the demo subscriber wants MAXIMUM; one approved switch from the archive
        t = self.tariffs
        pending = TariffChangeRequest(
            sim_id=self.home.id,
            requester_user_id=self.demo.user.id,
            from_tariff_id=t["OPTIMUM"].id,
            to_tariff_id=t["MAXIMUM"].id,
            effective="next_period",
            status="pending",
            created_at=self.at(2, 20, 15),
        )
        self.s.add(pending)
        switched = self.switched
        decided = []
        if switched is not None:
            requester = switched.subscriber.user or (
                self.partner_user(switched.partner) if switched.partner else self.admin
            )
            created = switched.switch_at - timedelta(days=9)
            decided.append(
                TariffChangeRequest(
                    sim_id=switched.id,
                    requester_user_id=requester.id,
                    from_tariff_id=t["OLD_UNLIM"].id,
                    to_tariff_id=t["OPTIMUM"].id,
                    effective="next_period",
                    status="approved",
                    decided_by_user_id=self.admin.id,
                    decided_at=created + timedelta(hours=5),
                    created_at=created,
                )
            )
        someone = next(
            (
                p
                for p in self.sims[DEMO_SUBSCRIBER_SIMS:]
                if p.status == "active"
                and p.subscriber.user is not None
                and p.tariff.code == "START"
            ),
            None,
        )
        if someone is not None:
            created = self.at(20, 13)
            decided.append(
                TariffChangeRequest(
                    sim_id=someone.id,
                    requester_user_id=someone.subscriber.user.id,
                    from_tariff_id=t["START"].id,
                    to_tariff_id=t["OLD_UNLIM"].id,
                    effective="now",
                    status="rejected",
                    reason="Тариф «Безлимит 2024» в архиве и больше не подключается",
                    decided_by_user_id=self.admin.id,
                    decided_at=created + timedelta(hours=2),
                    created_at=created,
                )
            )
        self.s.add_all(decided)
        self.s.flush()
        for req in decided:
            action = "tariff_change.approve" if req.status == "approved" else "tariff_change.reject"
            self.audit(
                self.admin,
                action,
                "tariff_change_request",
                req.id,
                {"status": "pending"},
                {
                    "status": req.status,
                    "sim_id": req.sim_id,
                    "to_tariff_id": req.to_tariff_id,
                    "reason": req.reason,
                },
                req.decided_at,
            )
        self.audit(
            self.admin,
            "tariff.archive",
            "tariff",
            t["OLD_UNLIM"].id,
            {"is_archived": False},
            {"is_archived": True},
            self.at(120, 9),
        )

    def make_blocks(self) -> None:
        r = self.rng
        for plan in self.sims:
            if plan.status != "blocked":
                continue
            own = plan.block_reason in ("lost", "stolen") and plan.subscriber.user is not None
            who = plan.subscriber.user if own else self.admin
            block = Block(
                sim_id=plan.id,
                reason=plan.block_reason,
                comment=plan.block_comment,
                blocked_by_user_id=who.id,
                blocked_at=plan.stop_at,
                previous_status="active",
            )
            self.s.add(block)
            self.s.flush()
            if not own:
                self.audit(
                    self.admin,
                    "sim.block",
                    "sim",
                    plan.id,
                    {"status": "active"},
                    {"status": "blocked", "reason": plan.block_reason, "block_id": block.id},
                    plan.stop_at,
                )
        # lifted blocks in the history of a few active SIMs
        history = [
            p
            for p in self.sims[DEMO_SUBSCRIBER_SIMS:]
            if p.status == "active" and p.activated_at < self.at(90)
        ][:3]
        for plan in history:
            blocked_at = plan.activated_at + timedelta(days=r.randint(20, 60), hours=3)
            lifted_at = blocked_at + timedelta(days=r.randint(1, 4))
            block = Block(
                sim_id=plan.id,
                reason="lost",
                comment="Нашёлся",
                blocked_by_user_id=(plan.subscriber.user or self.admin).id,
                blocked_at=blocked_at,
                previous_status="active",
                lifted_by_user_id=self.admin.id,
                lifted_at=lifted_at,
            )
            self.s.add(block)
            self.s.flush()
            self.audit(
                self.admin,
                "sim.unblock",
                "sim",
                plan.id,
                {"status": "blocked"},
                {"status": "active", "block_id": block.id},
                lifted_at,
            )

    def ticket(
        self,
        author: User,
        subject: str,
        category: str,
        status: str,
        created: datetime,
        thread: list[tuple[User, str, bool, timedelta]],
        *,
        sub: SubPlan | None = None,
        partner: Partner | None = None,
        sim: SimPlan | None = None,
        priority: str = "normal",
        rating: int | None = None,
        rating_comment: str = "",
    ) -> Ticket:
        staff = (self.admin.id, self.support.id)
        first_response = next(
            (created + dt for u, _, internal, dt in thread if u.id in staff and not internal), None
        )
        last = created + max(dt for *_, dt in thread)
        t = Ticket(
            author_user_id=author.id,
            subscriber_id=sub.row.id if sub else None,
            partner_id=partner.id if partner else None,
            sim_id=sim.id if sim else None,
            category=category,
            subject=subject,
            status=status,
            priority=priority,
            assignee_user_id=self.support.id if status != "new" else None,
            first_response_at=first_response,
            rating=rating,
            rating_comment=rating_comment,
            created_at=created,
            updated_at=last,
        )
        self.s.add(t)
        self.s.flush()
        self.s.add_all(
            TicketMessage(
                ticket_id=t.id,
                author_user_id=u.id,
                body=body,
                is_internal=internal,
                created_at=created + dt,
            )
            for u, body, internal, dt in thread
        )
        return t

    def make_support(self) -> None:
        demo, sup, adm = self.demo.user, self.support, self.admin
        partner_user = self.partner_users[0]

        def h(hours: int) -> timedelta:
            return timedelta(hours=hours)

        self.demo_ticket = self.ticket(
            demo,
            "Слабый сигнал на даче",
            "connection",
            "waiting",
            self.at(6, 19, 5),
            [
                (
                    demo,
                    (
                        "На даче модем показывает одну-две полоски, страницы открываются очень "
                        "медленно. Что можно сделать?"
                    ),
                    False,
                    h(0),
                ),
                (
                    sup,
                    "Проверил базовую станцию 4521 рядом с вами: загрузка вечером до 85 %.",
                    True,
                    h(14),
                ),
                (
                    sup,
                    (
                        "Здравствуйте, Иван! Попробуйте поставить модем у окна на втором этаже "
                        "или подключить внешнюю антенну. Напишите, пожалуйста, стало ли лучше."
                    ),
                    False,
                    h(15),
                ),
            ],
            sub=self.demo,
            sim=self.dacha,
            priority="normal",
        )
        self.ticket(
            demo,
            "Дважды списали абонентскую плату?",
            "payments",
            "closed",
            self.at(70, 10),
            [
                (demo, "В истории вижу два списания в один день.", False, h(0)),
                (
                    sup,
                    (
                        "Это пополнение и абонентская плата за месяц, двойного списания нет. "
                        "Подробности — в разделе «Платежи»."
                    ),
                    False,
                    h(3),
                ),
                (demo, "Понял, спасибо!", False, h(5)),
            ],
            sub=self.demo,
            sim=self.home,
            rating=5,
            rating_comment="Быстро ответили",
        )
        stock = next(
            p
            for p in self.sims
            if p.status == "awaiting_activation"
            and p.partner is self.partners[0]
            and p.subscriber is None
        )
        self.ticket(
            partner_user,
            f"Не проходит активация SIM {stock.row['iccid']}",
            "sim",
            "open",
            self.at(1, 11, 20),
            [
                (
                    partner_user,
                    "Клиент ждёт в офисе, заявку отправили вчера. Когда активируют?",
                    False,
                    h(0),
                ),
                (adm, "Заявка в очереди, проверяем данные клиента. Ответим сегодня.", False, h(2)),
            ],
            partner=self.partners[0],
            sim=stock,
            priority="high",
        )
        self.ticket(
            self.partner_users[1],
            "Нужны ещё 50 SIM-карт",
            "other",
            "new",
            self.at(0, 9, 30),
            [
                (
                    self.partner_users[1],
                    "Заканчиваются SIM-карты, пришлите, пожалуйста, партию.",
                    False,
                    h(0),
                )
            ],
            partner=self.partners[1],
        )
        others = [sp for sp in self.login_subs if sp.sims and sp.sims[0].id]
        stories = (
            (
                "Вечером падает скорость",
                "speed",
                "new",
                None,
                "После 20:00 скорость меньше 1 Мбит/с.",
            ),
            (
                "Как перейти на «Максимум»?",
                "tariff",
                "resolved",
                4,
                "Хочу безлимит, как сменить тариф?",
            ),
            ("Не приходит SMS с кодом", "other", "open", None, "Не могу войти в кабинет."),
        )
        for sp, (subject, category, status, rating, text) in zip(others, stories, strict=False):
            thread = [(sp.user, text, False, h(0))]
            if status != "new":
                thread.append(
                    (sup, "Здравствуйте! Разбираемся, ответим в течение дня.", False, h(4))
                )
            self.ticket(
                sp.user,
                subject,
                category,
                status,
                self.at(self.rng.randint(2, 25), 12),
                thread,
                sub=sp,
                sim=sp.sims[0],
                rating=rating,
            )

    def make_orders(self) -> None:
        """SIM orders in every status (sims.orders), through the orders' own verbs, each step
        on its own day of the last week (the verbs' clock travels there): the demo subscriber's
        waits at the demo dealer in Dmitrov; others are new, handed out (its activation request
        waits in the queue), shipped, active, cancelled and rejected."""
        admin = actor_for(self.s, self.admin)
        svyaz = self.partners[0]
        dealer = actor_for(self.s, self.partner_user(svyaz))
        tariff = next(t for t in self.tariffs.values() if not t.is_archived)

        def stock(partner_id):
            return self.s.exec(
                select(Sim.id)
                .where(Sim.status == "in_stock", Sim.subscriber_id.is_(None))
                .where(Sim.partner_id == partner_id if partner_id else Sim.partner_id.is_(None))
                .order_by(Sim.id)
            ).first()

        subs = [self.demo, *self.login_subs[:6]]
        plan = ("waiting", "new", "handed_out", "shipped", "active", "cancelled", "rejected")
        ways = ("pickup", "pickup", "pickup", "delivery", "delivery", "pickup", "delivery")
        for n, (sp, status, way) in enumerate(zip(subs, plan, ways, strict=True), start=1):
            days = 1 + (n * 2) % 7
            customer = actor_for(self.s, sp.user)
            form = orders.OrderForm(
                tariff_id=str(tariff.id),
                customer_name=sp.full_name,
                phone=sp.phone or f"+7999555{n:04d}",
                document_no=f"46{n:02d} 5{n:05d}",
                settlement="Дмитров" if way == "pickup" else "Истра",
                way=way,
                partner_id=str(svyaz.id) if way == "pickup" else "",
                address="" if way == "pickup" else f"ул. Ленина, д. {n + 3}, кв. {n * 7}",
                consent=True,
            )
            steps = [lambda c=customer, f=form: orders.place_order(self.s, c, f)]
            if status == "waiting":
                steps.append(lambda o: orders.mark_waiting(self.s, dealer, o.id))
            elif status == "handed_out":
                steps.append(
                    lambda o: dealer_orders.hand_out_order(
                        self.s,
                        dealer,
                        o.id,
                        stock(svyaz.id),
                        dealer_orders.sale_form_for(self.s, dealer, o.id),
                    )
                )
            elif status in ("shipped", "active"):
                steps.append(lambda o: orders.ship_order(self.s, admin, o.id, stock(None)))
            if status == "active":
                steps.append(lambda o: orders.deliver_order(self.s, admin, o.id))
                steps.append(
                    lambda o: (
                        activations.approve_activation(self.s, admin, o.activation_request_id)
                        and orders.order_detail(self.s, admin, o.id)
                    )
                )
            elif status == "cancelled":
                steps.append(lambda o, c=customer: orders.cancel_order(self.s, c, o.id))
            elif status == "rejected":
                steps.append(
                    lambda o: orders.reject_order(
                        self.s, admin, o.id, "Адрес вне зоны доставки курьера"
                    )
                )
            order = None
            for i, step in enumerate(steps):
                with time_machine.travel(self.at(max(days - i, 0), 10 + 2 * i), tick=False):
                    order = step() if order is None else step(order)
        self.s.flush()

    def make_coverage(self) -> None:
        """Coverage in three regions (one hamlet without it), base stations and a few 'no
        coverage yet' contacts, through coverage's own import and verbs."""
        admin = actor_for(self.s, self.admin)
        for text in (COVERAGE_SETTLEMENTS, COVERAGE_STATIONS):
            report = coverage.confirm_import(self.s, admin, text.encode(), "demo.csv")
            if not report.applied:
                raise DemoSeedError(f"demo coverage: {report.error or report.samples}")
        places = {}
        for name in ("Ёлкино", "Рогачёво"):
            [hit] = coverage.find_settlements(self.s, name)
            places[name] = hit.id
        for days, contact, settlement, place in COVERAGE_LEADS:
            lead = coverage.leave_contact(
                self.s,
                contact=contact,
                settlement_id=places.get(settlement),
                place=place,
                consent=True,
            )
            self.s.get(DemandLead, lead.id).created_at = self.at(days, 10 + days % 9)

    def make_quality(self) -> None:
        r = self.rng
        tests = []
        ratings = []
        home_test = SpeedTest(
            sim_id=self.home.id,
            user_id=self.demo.user.id,
            ping_ms=38,
            jitter_ms=6,
            download_kbps=31500,
            upload_kbps=8200,
            user_agent="Mozilla/5.0 (demo)",
            created_at=self.at(3, 20, 10),
        )
        self.s.add(home_test)
        self.s.flush()
        ratings.append(
            QualityRating(
                sim_id=self.home.id,
                user_id=self.demo.user.id,
                aspect="speed",
                stars=4,
                comment="Днём отлично, вечером похуже",
                speed_test_id=home_test.id,
                created_at=self.at(3, 20, 11),
            )
        )
        ratings.append(
            QualityRating(
                sim_id=self.dacha.id,
                user_id=self.demo.user.id,
                aspect="coverage",
                stars=2,
                comment="На даче слабый сигнал",
                ticket_id=self.demo_ticket.id,
                created_at=self.at(6, 19, 0),
            )
        )
        comments = (
            "",
            "",
            "Всё работает",
            "Иногда пропадает связь",
            "Скорость радует",
            "Хотелось бы побыстрее",
        )
        for sp in self.login_subs:
            plan = next((p for p in sp.sims if p.status == "active"), None)
            if plan is None:
                continue
            created = self.at(r.randint(1, 60), r.randint(9, 22))
            test = SpeedTest(
                sim_id=plan.id,
                user_id=sp.user.id,
                ping_ms=r.randint(25, 90),
                jitter_ms=r.randint(2, 25),
                download_kbps=r.randint(3000, 60000),
                upload_kbps=r.randint(1000, 15000),
                user_agent="Mozilla/5.0 (demo)",
                created_at=created,
            )
            tests.append(test)
            ratings.append(
                QualityRating(
                    sim_id=plan.id,
                    user_id=sp.user.id,
                    aspect=r.choice(("voice", "speed", "coverage")),
                    stars=r.choices((1, 2, 3, 4, 5), (1, 1, 2, 4, 4))[0],
                    comment=r.choice(comments),
                    created_at=created,
                )
            )
        self.s.add_all(tests)
        self.s.flush()
        for rating, test in zip(ratings[2:], tests, strict=True):
            if rating.aspect == "speed":
                rating.speed_test_id = test.id
        self.s.add_all(ratings)

    def make_notifications(self) -> None:
        user = self.demo.user.id
        home, dacha, tablet = (p.row["msisdn"] for p in (self.home, self.dacha, self.tablet))
        items = [
            (
                "autopay_succeeded",
                "Автоплатёж выполнен",
                (
                    f"Оплата {self.tariffs['OPTIMUM'].monthly_fee_kop // 100} ₽ по номеру "
                    f"{home} картой Visa •••• 4242."
                ),
                30,
                True,
            ),
            (
                "sim_suspended",
                "Номер приостановлен",
                (
                    f"На номере {dacha} недостаточно средств. Пополните баланс, чтобы "
                    "возобновить доступ."
                ),
                25,
                True,
            ),
            (
                "sim_blocked",
                "Номер заблокирован",
                f"Номер {tablet} заблокирован по вашему заявлению (утеря).",
                12,
                True,
            ),
            ("addon_enabled", "Услуга подключена", "«Ночной безлимит» на номере " + home, 9, True),
            (
                "ticket_reply",
                "Ответ службы поддержки",
                "По обращению «Слабый сигнал на даче» есть ответ.",
                5,
                False,
            ),
            (
                "card_expiring",
                "Срок действия карты истекает",
                "Карта Mastercard •••• 4444 действует до конца месяца. Добавьте новую карту.",
                1,
                False,
            ),
        ]
        for kind, title, body, days_ago, read in items:
            created = self.at(days_ago, 9, 30)
            self.s.add(
                Notification(
                    user_id=user,
                    kind=kind,
                    title=title,
                    body=body,
                    read_at=created + timedelta(hours=2) if read else None,
                    created_at=created,
                )
            )
