"""The admin's SIM stock: the list over every SIM ever entered, a SIM's card with its history,
manual create / edit / delete, and bulk actions on selected rows. Every write is audited."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select, update
from sqlmodel import Session

from paysim_app.catalogue import static_ips
from paysim_app.core import audit, choices, policy_marks, sim_numbers
from paysim_app.core import sim_lifecycle as lifecycle
from paysim_app.core.choices import Choice
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.listing import (
    NONE,
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    date_range,
    digits,
    id_filter,
    leading_choice,
    phone_part,
)
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import among, has_latin, name_parts, sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    AuditLog,
    Block,
    LedgerEntry,
    Partner,
    Payment,
    Sim,
    SimBalance,
    Subscriber,
    Tariff,
    TariffChangeRequest,
)
from paysim_app.models.base import utcnow
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.sims.own_sims import activation_code_hash

BALANCE_FILTERS = ("negative", "zero", "positive")
BULK_ACTIONS = ("assign_partner", "set_status", "deactivate")
MAX_BULK = 100  # one page of rows


# -- the list -------------------------------------------------------------------------------
def _columns(actor: Actor):
    return (
        select(
            Sim.id.label("id"),
            Sim.iccid.label("iccid"),
            Sim.msisdn.label("msisdn"),
            Sim.imsi.label("imsi"),
            Sim.status.label("status"),
            SimBalance.balance_kop.label("balance_kop"),
            Sim.label.label("label"),
            Sim.created_at.label("created_at"),
            Sim.activated_at.label("activated_at"),
            Partner.name.label("partner"),
            Subscriber.full_name.label("subscriber"),
            Sim.subscriber_id.label("subscriber_id"),
            Tariff.name.label("tariff"),
        )
        .select_from(Sim)
        # every SIM has its balance row (a trigger adds it); an inner join lets "by balance"
        # walk ix_sim_balance_balance, whose sim_id the planner knows to be the SIM's id
        .join(SimBalance, SimBalance.sim_id == Sim.id)
        .outerjoin(Partner, Partner.id == Sim.partner_id)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
    )


def _balance(stmt, value: str):
    return stmt.where(
        {
            "negative": SimBalance.balance_kop < 0,
            "zero": SimBalance.balance_kop == 0,
            "positive": SimBalance.balance_kop > 0,
        }[value]
    )


def search_sims(stmt, text: str):
    """ICCID, number (any part; +7 / 8 prefixes ignored), IMSI, or the subscriber's name (every
    word as a part, also in Latin letters, without its ending: core.text_search.name_parts)."""
    d = digits(text)
    if d and re.fullmatch(r"[\d\s()+-]+", text):
        part = phone_part(text)
        # a part of a number: through the one trigram index over the three numbers
        # (core.text_search.sim_number_part), which holds `part` (= d, or d without its 7 / 8)
        if len(part) == 10:  # a whole number: the unique index answers at once
            in_iccid = sim_number_part(Sim, d, Sim.iccid.like(f"%{d}%"))
            return stmt.where(or_(Sim.msisdn == "+7" + part, in_iccid))
        if 19 <= len(d) <= 20:
            return stmt.where(Sim.iccid == d)
        if len(d) == 15:  # an IMSI, or 15 digits of an ICCID
            return stmt.where(or_(Sim.imsi == d, sim_number_part(Sim, d, Sim.iccid.like(f"%{d}%"))))
        any_number = or_(
            Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"), Sim.imsi.like(f"%{d}%")
        )
        return stmt.where(sim_number_part(Sim, part, any_number))
    names = select(Subscriber.id).where(name_parts(Subscriber.full_name, text))
    # "IS NOT NULL" (implied by the IN) lets "newest first" walk ix_sim_subscribed_id, which
    # skips the SIMs nobody has (a fresh import adds a million of those at the newest end)
    return stmt.where(
        Sim.subscriber_id.is_not(None),
        among(Sim.subscriber_id, names, ("names", text), share=has_latin(text)),
    )


SIM_LIST = ListSpec(
    name="sims",
    permission="sims.view",
    columns=_columns,
    # every sort has an index ending in the id (the tie-breaker), so a page is an index walk;
    # ids grow with time, so "newest first" is the primary key backwards
    sorts={
        "created_at": Sim.id,
        "msisdn": Sim.msisdn,
        "iccid": Sim.iccid,
        "balance": SimBalance.balance_kop,
    },
    default_sort="created_at",
    key=Sim.id,
    filters=(
        leading_choice("status", Sim.status, SIM_STATUSES),  # (status, id) index
        FilterDef("partner", id_filter(Sim.partner_id, allow_none=True), "text"),
        FilterDef("tariff", id_filter(Sim.tariff_id, allow_none=True), "text"),
        FilterDef("subscriber", id_filter(Sim.subscriber_id, allow_none=True), "text"),
        FilterDef("balance", _balance, "choice", BALANCE_FILTERS),
        *date_range(Sim.created_at, "created_from", "created_to"),
    ),
    search=search_sims,
    no_merge_join=True,  # a row's balance is in sim_balance (core.listing.planned)
    export=(
        ExportColumn("iccid", "admin_sims.col.iccid"),
        ExportColumn("msisdn", "admin_sims.col.msisdn"),
        ExportColumn("imsi", "admin_sims.col.imsi"),
        ExportColumn("status", "admin_sims.col.status", "word", "sim.status."),
        ExportColumn("subscriber", "admin_sims.col.subscriber"),
        ExportColumn("partner", "admin_sims.col.partner"),
        ExportColumn("tariff", "admin_sims.col.tariff"),
        ExportColumn("balance_kop", "admin_sims.col.balance", "money"),
        ExportColumn("label", "admin_sims.col.label"),
        ExportColumn("created_at", "admin_sims.col.created", "time"),
        ExportColumn("activated_at", "admin_sims.sort.activated", "time"),
    ),
    # the advanced search (core.listing.SearchField): every column the list shows
    fields=(
        SearchField("iccid", Sim.iccid, "text", "admin_sims.col.iccid"),
        SearchField("msisdn", Sim.msisdn, "text", "admin_sims.col.msisdn"),
        SearchField("imsi", Sim.imsi, "text", "admin_sims.col.imsi"),
        SearchField(
            "status", Sim.status, "choice", "admin_sims.col.status", SIM_STATUSES, "sim.status."
        ),
        SearchField("balance", SimBalance.balance_kop, "money", "admin_sims.col.balance"),
        SearchField("label", Sim.label, "text", "admin_sims.col.label"),
        SearchField("created_at", Sim.created_at, "date", "admin_sims.col.created"),
        SearchField("activated_at", Sim.activated_at, "date", "admin_sims.sort.activated"),
        SearchField(
            "subscriber", Sim.subscriber_id, "ref", "admin_sims.col.subscriber", ref="subscriber"
        ),
        SearchField("partner", Sim.partner_id, "ref", "admin_sims.col.partner", ref="partner"),
        SearchField("tariff", Sim.tariff_id, "ref", "admin_sims.col.tariff", ref="tariff"),
    ),
)


# -- choices for filters and forms ------------------------------------------------------------
@verb
def partner_choices(session: Session, actor: Actor) -> list[Choice]:
    require(actor, "sims.view")
    return choices.partners(session)


@verb
def tariff_choices(session: Session, actor: Actor) -> list[Choice]:
    require(actor, "sims.view")
    return choices.tariffs(session, mark_archived="archived")


# -- one SIM ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    kind: str  # audit | block | payment | ledger
    what: str  # an action name, a ledger kind, a payment status...
    detail: str
    amount_kop: int | None = None


@dataclass(frozen=True)
class SimCard:
    id: int
    iccid: str
    msisdn: str
    imsi: str
    status: str
    balance_kop: int
    label: str
    billing_day: int
    partner_id: int | None
    partner: str
    subscriber_id: int | None
    subscriber: str
    contract_no: str
    tariff_id: int | None
    tariff: str
    activated_at: datetime | None
    created_at: datetime
    has_activation_code: bool
    ever_had_subscriber: bool
    history: list[HistoryLine] = field(default_factory=list)
    # a change approved "from the next period" that the billing cycle has not applied yet
    next_tariff: str = ""
    next_tariff_on: date | None = None
    static_ip: str = ""  # the address its static-IP add-on holds, if any


def _sim(session: Session, sim_id: object) -> Sim:
    sim = session.get(Sim, sim_id) if isinstance(sim_id, int) else None
    if sim is None:
        raise NotFound("error.not_found")
    return sim


def _ever_had_subscriber(session: Session, sim: Sim) -> bool:
    if sim.subscriber_id is not None or sim.activated_at is not None:
        return True
    used = [
        exists().where(LedgerEntry.sim_id == sim.id),
        exists().where(Payment.sim_id == sim.id),
        exists().where(Block.sim_id == sim.id),
    ]
    return bool(session.execute(select(or_(*used))).scalar())


@verb
def sim_card(session: Session, actor: Actor, sim_id: int, history_limit: int = 30) -> SimCard:
    require(actor, "sims.view")
    sim = _sim(session, sim_id)
    partner = session.get(Partner, sim.partner_id) if sim.partner_id else None
    subscriber = session.get(Subscriber, sim.subscriber_id) if sim.subscriber_id else None
    tariff = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    history: list[HistoryLine] = []
    for row in session.execute(
        select(AuditLog)
        .where(AuditLog.entity == "sim", AuditLog.entity_id == str(sim.id))
        .order_by(AuditLog.created_at.desc())
        .limit(history_limit)
    ).scalars():
        history.append(HistoryLine(row.created_at, "audit", row.action, row.after or row.before))
    for b in session.execute(
        select(Block)
        .where(Block.sim_id == sim.id)
        .order_by(Block.blocked_at.desc())
        .limit(history_limit)
    ).scalars():
        history.append(HistoryLine(b.blocked_at, "block", b.reason, b.comment))
        if b.lifted_at:
            history.append(HistoryLine(b.lifted_at, "unblock", b.previous_status, ""))
    for p in session.execute(
        select(Payment)
        .where(Payment.sim_id == sim.id)
        .order_by(Payment.created_at.desc())
        .limit(history_limit)
    ).scalars():
        history.append(
            HistoryLine(p.created_at, "payment", p.status, p.decline_code or p.method, p.amount_kop)
        )
    for e in session.execute(
        select(LedgerEntry)
        .where(LedgerEntry.sim_id == sim.id)
        .order_by(LedgerEntry.created_at.desc())
        .limit(history_limit)
    ).scalars():
        history.append(HistoryLine(e.created_at, "ledger", e.kind, e.comment or "", e.amount_kop))
    history.sort(key=lambda h: h.at, reverse=True)
    scheduled = session.execute(
        select(Tariff.name, TariffChangeRequest.effective_on)
        .join(Tariff, Tariff.id == TariffChangeRequest.to_tariff_id)
        .where(TariffChangeRequest.sim_id == sim.id, TariffChangeRequest.status == "scheduled")
    ).first()
    return SimCard(
        id=sim.id,
        iccid=sim.iccid,
        msisdn=sim.msisdn,
        imsi=sim.imsi,
        status=sim.status,
        balance_kop=sim.balance_kop,
        label=sim.label,
        billing_day=sim.billing_day,
        partner_id=sim.partner_id,
        partner=partner.name if partner else "",
        subscriber_id=sim.subscriber_id,
        subscriber=subscriber.full_name if subscriber else "",
        contract_no=subscriber.contract_no if subscriber else "",
        tariff_id=sim.tariff_id,
        tariff=tariff.name if tariff else "",
        activated_at=sim.activated_at,
        created_at=sim.created_at,
        has_activation_code=bool(sim.activation_code_hash),
        ever_had_subscriber=_ever_had_subscriber(session, sim),
        history=history[: history_limit * 2],
        next_tariff=scheduled[0] if scheduled else "",
        next_tariff_on=scheduled[1] if scheduled else None,
        static_ip=static_ips.address_of(session, sim.id) or "",
    )


# -- create / edit / delete -------------------------------------------------------------------
@dataclass(frozen=True)
class SimForm:
    iccid: str = ""
    msisdn: str = ""
    imsi: str = ""
    status: str = "in_stock"
    partner_id: str = ""  # "" = none
    tariff_id: str = ""
    activation_code: str = ""  # "" = keep (edit) / none (create)


def _optional_id(session: Session, model, raw: str, name: str) -> int | None:
    raw = (raw or "").strip()
    if not raw or raw == NONE:
        return None
    if not raw.isdigit() or session.get(model, int(raw)) is None:
        raise ValidationError("admin_sims.error.unknown", field=name)
    return int(raw)


def _checked_form(session: Session, form: SimForm, sim_id: int | None) -> dict:
    iccid = sim_numbers.iccid(form.iccid)
    if iccid is None:
        raise ValidationError("admin_sims.error.iccid", field="iccid")
    msisdn = sim_numbers.msisdn(form.msisdn)
    if msisdn is None:
        raise ValidationError("admin_sims.error.msisdn", field="msisdn")
    imsi = sim_numbers.imsi(form.imsi)
    if imsi is None:
        raise ValidationError("admin_sims.error.imsi", field="imsi")
    if form.status not in SIM_STATUSES:
        raise ValidationError("admin_sims.error.status", field="status")
    for name, column, value in (
        ("iccid", Sim.iccid, iccid),
        ("msisdn", Sim.msisdn, msisdn),
        ("imsi", Sim.imsi, imsi),
    ):
        clash = session.execute(select(Sim.id).where(column == value)).scalar()
        if clash is not None and clash != sim_id:
            raise ValidationError("admin_sims.error.taken", field=name)
    code = (form.activation_code or "").strip()
    if code and not (4 <= len(code) <= 32 and code.replace("-", "").isalnum()):
        raise ValidationError("admin_sims.error.code", field="activation_code")
    return {
        "iccid": iccid,
        "msisdn": msisdn,
        "imsi": imsi,
        "status": form.status,
        "partner_id": _optional_id(session, Partner, form.partner_id, "partner_id"),
        "tariff_id": _optional_id(session, Tariff, form.tariff_id, "tariff_id"),
        "code": code,
    }


def _snapshot(sim: Sim) -> dict:
    keep = (
        "iccid",
        "msisdn",
        "imsi",
        "status",
        "partner_id",
        "tariff_id",
        "subscriber_id",
        "label",
    )
    return {k: getattr(sim, k) for k in keep}


@verb
def create_sim(session: Session, actor: Actor, form: SimForm) -> int:
    require(actor, "sims.edit")
    data = _checked_form(session, form, None)
    if data["status"] not in ("in_stock", "deactivated"):
        # a SIM in use belongs to a contract: it gets there through an activation
        raise ValidationError("admin_sims.error.new_status", field="status")
    sim = Sim(
        iccid=data["iccid"],
        msisdn=data["msisdn"],
        imsi=data["imsi"],
        status=data["status"],
        partner_id=data["partner_id"],
        tariff_id=data["tariff_id"],
        puk=f"{secrets.randbelow(10**8):08d}",
        activation_code_hash=activation_code_hash(data["code"]) if data["code"] else None,
    )
    session.add(sim)
    session.flush()
    audit.record(session, actor, "sim.create", "sim", sim.id, after=_snapshot(sim))
    return sim.id


@verb
def edit_sim(session: Session, actor: Actor, sim_id: int, form: SimForm) -> None:
    """Numbers, partner, tariff and activation code. The status changes through its own actions
    (blocks, activations, deactivation), so an edit that asks for another status is refused."""
    require(actor, "sims.edit")
    sim = _sim(session, sim_id)
    data = _checked_form(session, form, sim.id)
    if data["status"] != sim.status:
        raise ValidationError("admin_sims.error.status_edit", field="status")
    if sim.subscriber_id is not None and (data["iccid"], data["imsi"]) != (sim.iccid, sim.imsi):
        raise ValidationError("admin_sims.error.in_use", field="iccid")
    before = _snapshot(sim)
    sim.iccid, sim.msisdn, sim.imsi = data["iccid"], data["msisdn"], data["imsi"]
    sim.partner_id, sim.tariff_id = data["partner_id"], data["tariff_id"]
    policy_marks.mark(session, [sim.id])  # a tariff changed here changes the speed
    if data["code"]:
        sim.activation_code_hash = activation_code_hash(data["code"])
    sim.updated_at = utcnow()
    after = _snapshot(sim)
    if data["code"]:
        after["activation_code"] = "changed"
    session.add(sim)
    audit.record(session, actor, "sim.edit", "sim", sim.id, before=before, after=after)


@verb
def delete_sim(session: Session, actor: Actor, sim_id: int) -> None:
    """Only a SIM that never had a subscriber (no contract, payments, ledger or blocks)."""
    require(actor, "sims.edit")
    sim = _sim(session, sim_id)
    if _ever_had_subscriber(session, sim):
        raise DomainError("admin_sims.error.delete_used")
    before = _snapshot(sim)
    session.delete(sim)
    session.flush()
    audit.record(session, actor, "sim.delete", "sim", sim_id, before=before)


# -- bulk actions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int


# status changes an admin may make by hand (the lifecycle's events); the rest go through their
# own flows
MANUAL_EVENTS = {"in_stock": "restock", "deactivated": "retire"}
MANUAL_TARGETS = ("in_stock", "deactivated")


@verb
def bulk(
    session: Session, actor: Actor, action: str, sim_ids: list[int], value: str = ""
) -> BulkResult:
    """assign_partner (value: partner id or "none"), set_status (value: status), deactivate.
    Rows the action does not fit are skipped and counted; the rest change in one statement."""
    require(actor, "sims.edit")
    if action not in BULK_ACTIONS:
        raise ValidationError("admin_sims.error.action", field="action")
    ids = sorted({i for i in sim_ids if isinstance(i, int)})
    if not ids:
        raise ValidationError("admin_sims.error.none_selected", field="selection")
    if len(ids) > MAX_BULK:
        raise ValidationError("admin_sims.error.too_many", field="selection", max=MAX_BULK)
    rows = session.execute(
        select(Sim.id, Sim.status, Sim.partner_id, Sim.subscriber_id)
        .where(Sim.id.in_(ids))
        .with_for_update()
    ).all()
    now = utcnow()
    if action == "assign_partner":
        partner_id = _optional_id(session, Partner, value, "partner_id")
        fits = [r.id for r in rows if r.partner_id != partner_id]
        values: dict = {"partner_id": partner_id}
        before = {r.id: {"partner_id": r.partner_id} for r in rows if r.id in fits}
        change = update(Sim).where(Sim.id.in_(fits)).values(partner_id=partner_id, updated_at=now)
    else:
        target = "deactivated" if action == "deactivate" else value
        if target not in MANUAL_TARGETS:
            # active, suspended, blocked... come from activations, billing and blocks
            raise ValidationError("admin_sims.error.status_manual", field="status")
        event = MANUAL_EVENTS[target]
        fits = [
            r.id
            for r in rows
            if lifecycle.allows(r.status, event)
            # a SIM that belongs to a contract never goes back to the shelf
            and not (target == "in_stock" and r.subscriber_id is not None)
        ]
        values = {"status": target}  # for the audit
        before = {r.id: {"status": r.status} for r in rows if r.id in fits}
        change = lifecycle.statement(event, Sim.id.in_(fits), updated_at=now)
    if fits:
        session.execute(change, execution_options={"synchronize_session": False})
        session.add_all(
            audit.entry(actor.user_id, f"sim.bulk_{action}", "sim", i, before[i], values)
            for i in fits
        )
    return BulkResult(changed=len(fits), skipped=len(ids) - len(fits))


@verb
def sim_counts(session: Session, actor: Actor) -> dict[str, int]:
    require(actor, "sims.view")
    rows = session.execute(select(Sim.status, func.count()).group_by(Sim.status)).all()
    return {status: n for status, n in rows}
