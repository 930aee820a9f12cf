"""The back-office queues: activation requests and tariff-change requests (the two tabs of the
Activation section), blocks and owners' unblock requests (the two tabs of the Blocking section).

Declarations over core.listing; the SELECTs come from activations.activation_rows_select,
activations.tariff_change_rows_select, blocks.block_rows_select and blocks.unblock_rows_select,
the permission checks from the specs (activations.view, blocks.view). Besides the lists: the
choices their filters and forms offer, the SIM lookup of the "block a SIM" form, and the admin's
view of one tariff-change request with the amount approving it would settle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, exists, or_, select, union
from sqlmodel import Session

from paysim_app.billing import cards
from paysim_app.core import choices, sim_numbers
from paysim_app.core.choices import Choice
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    count_capped,
    date_range,
    digits,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import in_ids, name_matches, sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    ActivationRequest,
    Block,
    Sim,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    UnblockRequest,
)
from paysim_app.models.requests import (
    BLOCK_REASONS,
    REQUEST_STATUSES,
    TARIFF_CHANGE_STATUSES,
    TARIFF_CHANGE_WHEN,
)
from paysim_app.sims.activations import activation_rows_select, tariff_change_rows_select
from paysim_app.sims.blocks import (
    ADMIN_BLOCKABLE,
    block_rows_select,
    block_sim,
    unblock_rows_select,
)
from paysim_app.sims.tariff_changes import CHANGEABLE_SIM_STATUSES, settlement

REQUESTER_KINDS = ("subscriber", "partner")
BLOCK_STATES = ("active", "lifted")
YES = "yes"
PENDING_CAP = 999
_PHONE_LIKE = re.compile(r"[\d\s()+-]+")


# -- shared pieces ------------------------------------------------------------------------------
def _label(stmt: Select, name: str):
    """A labelled column of the spec's SELECT (the row SELECTs join aliased tables)."""
    return stmt.selected_columns[name]


def _by_label(name: str):
    def apply(stmt: Select, value):
        return stmt.where(_label(stmt, name) == value)

    return apply


def _named_subscribers(text: str) -> Select:
    """The contracts whose holder's name matches (core.text_search.name_matches; trigram-indexed
    on PostgreSQL)."""
    return select(Subscriber.id).where(name_matches(Subscriber.full_name, text))


def _sims_of_named(text: str) -> Select:
    """The SIMs of those contracts (through the SIM's subscriber index)."""
    return select(Sim.id).where(in_ids(Sim.subscriber_id, _named_subscribers(text)))


def _sim_or_name(stmt: Select, text: str, sim_id, by_name) -> Select:
    """A number (any part; +7 / 8 ignored) or an ICCID (any part) of the row's SIM (`sim_id`,
    the row's SIM column), else `by_name(text)`: SIMs and names are looked up as ids in their
    own indexed tables (trigram indexes on the numbers), never matched over the list's joins
    (which PostgreSQL could only answer by reading every row)."""
    text = text.strip()
    if digits(text) and _PHONE_LIKE.fullmatch(text):
        d, part = digits(text), phone_part(text)
        # a part: through the one trigram index over a SIM's numbers (which holds `part`)
        if len(part) == 10 and len(d) <= 11:
            match = or_(
                Sim.msisdn == "+7" + part, sim_number_part(Sim, d, Sim.iccid.like(f"%{d}%"))
            )
        elif 19 <= len(d) <= 20:
            match = Sim.iccid == d
        else:
            match = sim_number_part(
                Sim, part, or_(Sim.msisdn.like(f"%{part}%"), Sim.iccid.like(f"%{d}%"))
            )
        return stmt.where(sim_id.in_(select(Sim.id).where(match)))
    return stmt.where(by_name(text))


# -- activation requests ------------------------------------------------------------------------
def search_activations(stmt: Select, text: str) -> Select:
    """Number or ICCID of the SIM; the customer's name in the request or the contract holder's."""
    return _sim_or_name(
        stmt,
        text,
        ActivationRequest.sim_id,
        lambda t: ActivationRequest.id.in_(
            union(
                select(ActivationRequest.id).where(
                    name_matches(ActivationRequest.customer_name, t)
                ),
                select(ActivationRequest.id).where(
                    in_ids(ActivationRequest.subscriber_id, _named_subscribers(t))
                ),
            )
        ),
    )


ACTIVATION_LIST = ListSpec(
    name="activations",
    address_prefix="act_",  # the activation queue's tab shares /admin/activations
    permission="activations.view",
    columns=lambda actor: activation_rows_select(),
    sorts={
        "created_at": ActivationRequest.created_at,
        "decided_at": ActivationRequest.decided_at,
        "status": ActivationRequest.status,
    },
    default_sort="created_at",
    key=ActivationRequest.id,
    filters=(
        FilterDef(
            "status",
            lambda s, v: s.where(ActivationRequest.status == v),
            "choice",
            REQUEST_STATUSES,
        ),
        FilterDef("requester", _by_label("requester_role"), "choice", REQUESTER_KINDS),
        FilterDef("partner", id_filter(ActivationRequest.partner_id), "text"),
        *date_range(ActivationRequest.created_at, "date_from", "date_to"),
    ),
    search=search_activations,
    export=(
        ExportColumn("id", "queues.col.no"),
        ExportColumn("created_at", "queues.col.created", "time"),
        ExportColumn("status", "queues.col.status", "word", "queues.status."),
        ExportColumn("requester_role", "queues.col.requester_kind", "word", "queues.kind."),
        ExportColumn("requester_name", "queues.col.requester"),
        ExportColumn("partner_name", "queues.col.partner"),
        ExportColumn("msisdn", "queues.col.msisdn"),
        ExportColumn("iccid", "queues.col.iccid"),
        ExportColumn("customer_name", "queues.col.customer"),
        ExportColumn("contract_no", "queues.col.contract"),
        ExportColumn("tariff_name", "queues.col.tariff"),
        ExportColumn("reason", "queues.col.reason"),
        ExportColumn("decided_at", "queues.col.decided", "time"),
        ExportColumn("decided_by_name", "queues.col.decided_by"),
    ),
    fields=(
        SearchField(
            "status",
            ActivationRequest.status,
            "choice",
            "queues.col.status",
            REQUEST_STATUSES,
            "queues.status.",
        ),
        SearchField("msisdn", Sim.msisdn, "text", "queues.col.msisdn"),
        SearchField("iccid", Sim.iccid, "text", "queues.col.iccid"),
        SearchField("customer", ActivationRequest.customer_name, "text", "queues.col.customer"),
        SearchField(
            "partner", ActivationRequest.partner_id, "ref", "queues.col.partner", ref="partner"
        ),
        SearchField(
            "subscriber",
            ActivationRequest.subscriber_id,
            "ref",
            "queues.col.subscriber",
            ref="subscriber",
        ),
        SearchField(
            "tariff", ActivationRequest.tariff_id, "ref", "queues.col.tariff", ref="tariff"
        ),
        SearchField("reason", ActivationRequest.reason, "text", "queues.col.reason"),
        SearchField("created_at", ActivationRequest.created_at, "date", "queues.col.created"),
        SearchField("decided_at", ActivationRequest.decided_at, "date", "queues.col.decided"),
        SearchField(
            "decided_by",
            ActivationRequest.decided_by_user_id,
            "ref",
            "queues.col.decided_by",
            ref="admin",
        ),
    ),
)


# -- tariff-change requests ---------------------------------------------------------------------
def search_tariff_changes(stmt: Select, text: str) -> Select:
    """Number or ICCID of the SIM, or the contract holder's name."""
    return _sim_or_name(
        stmt,
        text,
        TariffChangeRequest.sim_id,
        lambda t: in_ids(TariffChangeRequest.sim_id, _sims_of_named(t)),
    )


TARIFF_CHANGE_LIST = ListSpec(
    name="tariff_changes",
    address_prefix="chg_",  # the tariff changes' tab shares /admin/activations
    permission="activations.view",
    columns=lambda actor: tariff_change_rows_select(),
    sorts={
        "created_at": TariffChangeRequest.created_at,
        "decided_at": TariffChangeRequest.decided_at,
        "status": TariffChangeRequest.status,
    },
    default_sort="created_at",
    key=TariffChangeRequest.id,
    filters=(
        FilterDef(
            "status",
            lambda s, v: s.where(TariffChangeRequest.status == v),
            "choice",
            REQUEST_STATUSES,
        ),
        *date_range(TariffChangeRequest.created_at, "date_from", "date_to"),
    ),
    search=search_tariff_changes,
    export=(
        ExportColumn("id", "queues.col.no"),
        ExportColumn("created_at", "queues.col.created", "time"),
        ExportColumn("status", "queues.col.status", "word", "queues.status."),
        ExportColumn("msisdn", "queues.col.msisdn"),
        ExportColumn("subscriber_name", "queues.col.subscriber"),
        ExportColumn("contract_no", "queues.col.contract"),
        ExportColumn("from_tariff_name", "queues.col.from_tariff"),
        ExportColumn("to_tariff_name", "queues.col.to_tariff"),
        ExportColumn("effective", "queues.col.when", "word", "tariffs.when."),
        ExportColumn("reason", "queues.col.reason"),
        ExportColumn("decided_at", "queues.col.decided", "time"),
        ExportColumn("decided_by_name", "queues.col.decided_by"),
    ),
    fields=(
        SearchField(
            "status",
            TariffChangeRequest.status,
            "choice",
            "queues.col.status",
            TARIFF_CHANGE_STATUSES,
            "queues.status.",
        ),
        SearchField("msisdn", Sim.msisdn, "text", "queues.col.msisdn"),
        SearchField(
            "subscriber", Sim.subscriber_id, "ref", "queues.col.subscriber", ref="subscriber"
        ),
        SearchField(
            "from_tariff",
            TariffChangeRequest.from_tariff_id,
            "ref",
            "queues.col.from_tariff",
            ref="tariff",
        ),
        SearchField(
            "to_tariff",
            TariffChangeRequest.to_tariff_id,
            "ref",
            "queues.col.to_tariff",
            ref="tariff",
        ),
        SearchField(
            "effective",
            TariffChangeRequest.effective,
            "choice",
            "queues.col.when",
            TARIFF_CHANGE_WHEN,
            "tariffs.when.",
        ),
        SearchField("reason", TariffChangeRequest.reason, "text", "queues.col.reason"),
        SearchField("created_at", TariffChangeRequest.created_at, "date", "queues.col.created"),
        SearchField("decided_at", TariffChangeRequest.decided_at, "date", "queues.col.decided"),
    ),
)


# -- blocks ---------------------------------------------------------------------------------------
def _block_state(stmt: Select, value: str) -> Select:
    return stmt.where(
        Block.lifted_at.is_(None) if value == "active" else Block.lifted_at.is_not(None)
    )


def _unblock_requested(stmt: Select, value: str) -> Select:
    pending = exists().where(
        UnblockRequest.block_id == Block.id, UnblockRequest.status == "pending"
    )
    return stmt.where(pending)


def search_blocks(stmt: Select, text: str) -> Select:
    """Number or ICCID of the SIM, or the contract holder's name (the blocks and the unblock
    requests: both lists join the block)."""
    return _sim_or_name(stmt, text, Block.sim_id, lambda t: in_ids(Block.sim_id, _sims_of_named(t)))


BLOCK_LIST = ListSpec(
    name="blocks",
    address_prefix="blk_",  # the blocks' tab shares /admin/blocks
    permission="blocks.view",
    columns=lambda actor: block_rows_select(),
    sorts={"blocked_at": Block.blocked_at, "lifted_at": Block.lifted_at, "reason": Block.reason},
    default_sort="blocked_at",
    key=Block.id,
    filters=(
        FilterDef("status", _block_state, "choice", BLOCK_STATES),
        FilterDef("reason", lambda s, v: s.where(Block.reason == v), "choice", BLOCK_REASONS),
        FilterDef("unblock", _unblock_requested, "choice", (YES,)),
        *date_range(Block.blocked_at, "date_from", "date_to"),
    ),
    search=search_blocks,
    export=(
        ExportColumn("id", "queues.col.no"),
        ExportColumn("blocked_at", "queues.col.blocked_at", "time"),
        ExportColumn("status", "queues.col.status", "word", "queues.block."),
        ExportColumn("reason", "queues.col.block_reason", "word", "queues.reason."),
        ExportColumn("comment", "queues.col.comment"),
        ExportColumn("msisdn", "queues.col.msisdn"),
        ExportColumn("iccid", "queues.col.iccid"),
        ExportColumn("subscriber_name", "queues.col.subscriber"),
        ExportColumn("blocked_by_name", "queues.col.blocked_by"),
        ExportColumn("lifted_at", "queues.col.lifted_at", "time"),
        ExportColumn("lifted_by_name", "queues.col.lifted_by"),
    ),
    fields=(
        SearchField(
            "reason",
            Block.reason,
            "choice",
            "queues.col.block_reason",
            BLOCK_REASONS,
            "queues.reason.",
        ),
        SearchField("comment", Block.comment, "text", "queues.col.comment"),
        SearchField("msisdn", Sim.msisdn, "text", "queues.col.msisdn"),
        SearchField("iccid", Sim.iccid, "text", "queues.col.iccid"),
        SearchField(
            "subscriber", Sim.subscriber_id, "ref", "queues.col.subscriber", ref="subscriber"
        ),
        SearchField("blocked_at", Block.blocked_at, "date", "queues.col.blocked_at"),
        SearchField(
            "blocked_by", Block.blocked_by_user_id, "ref", "queues.col.blocked_by", ref="admin"
        ),
        SearchField("lifted_at", Block.lifted_at, "date", "queues.col.lifted_at"),
    ),
)


# -- unblock requests -------------------------------------------------------------------------------
UNBLOCK_LIST = ListSpec(
    name="unblock_requests",
    address_prefix="unb_",  # the unblock requests' tab shares /admin/blocks
    permission="blocks.view",
    columns=lambda actor: unblock_rows_select(),
    sorts={"created_at": UnblockRequest.created_at, "status": UnblockRequest.status},
    default_sort="created_at",
    key=UnblockRequest.id,
    filters=(
        FilterDef(
            "status", lambda s, v: s.where(UnblockRequest.status == v), "choice", REQUEST_STATUSES
        ),
    ),
    search=search_blocks,
    export=(
        ExportColumn("id", "queues.col.no"),
        ExportColumn("created_at", "queues.col.created", "time"),
        ExportColumn("status", "queues.col.status", "word", "queues.status."),
        ExportColumn("msisdn", "queues.col.msisdn"),
        ExportColumn("subscriber_name", "queues.col.subscriber"),
        ExportColumn("block_reason", "queues.col.block_reason", "word", "queues.reason."),
        ExportColumn("comment", "queues.col.comment"),
        ExportColumn("decided_at", "queues.col.decided", "time"),
        ExportColumn("decided_by_name", "queues.col.decided_by"),
    ),
    fields=(
        SearchField(
            "status",
            UnblockRequest.status,
            "choice",
            "queues.col.status",
            REQUEST_STATUSES,
            "queues.status.",
        ),
        SearchField("msisdn", Sim.msisdn, "text", "queues.col.msisdn"),
        SearchField(
            "subscriber", Sim.subscriber_id, "ref", "queues.col.subscriber", ref="subscriber"
        ),
        SearchField(
            "block_reason",
            Block.reason,
            "choice",
            "queues.col.block_reason",
            BLOCK_REASONS,
            "queues.reason.",
        ),
        SearchField("comment", UnblockRequest.comment, "text", "queues.col.comment"),
        SearchField("created_at", UnblockRequest.created_at, "date", "queues.col.created"),
        SearchField("decided_at", UnblockRequest.decided_at, "date", "queues.col.decided"),
    ),
)


# -- choices for filters and forms ----------------------------------------------------------------
@verb
def partner_choices(session: Session, actor: Actor) -> list[Choice]:
    """Every partner, for the activation queue's partner filter."""
    require(actor, "activations.view")
    return choices.partners(session)


@verb
def tariff_choices(session: Session, actor: Actor) -> list[Choice]:
    """The tariffs an activation may get (archived ones are no longer sold)."""
    require(actor, "activations.view")
    return choices.tariffs(session, on_sale_only=True)


# -- the "block a SIM" form's lookup --------------------------------------------------------------
@dataclass(frozen=True)
class SimHit:
    id: int
    msisdn: str
    iccid: str
    status: str
    subscriber_name: str
    blockable: bool


@verb
def find_sim(session: Session, actor: Actor, text: str) -> SimHit:
    """The one SIM whose whole number (+7 / 8 / 10 digits) or ICCID was typed."""
    require(actor, "blocks.view")
    raw = (text or "").strip()[:40]
    iccid = sim_numbers.iccid(raw)
    msisdn = sim_numbers.msisdn(raw) if iccid is None else None
    if iccid is None and msisdn is None:
        raise ValidationError("queues.error.sim_number", field="sim")
    column, value = (Sim.iccid, iccid) if iccid else (Sim.msisdn, msisdn)
    row = session.execute(
        select(Sim.id, Sim.msisdn, Sim.iccid, Sim.status, Subscriber.full_name)
        .outerjoin(Subscriber, Subscriber.id == Sim.subscriber_id)
        .where(column == value)
    ).first()
    if row is None:
        raise ValidationError("queues.error.sim_unknown", field="sim")
    return SimHit(
        id=row[0],
        msisdn=row[1],
        iccid=row[2],
        status=row[3],
        subscriber_name=row[4] or "",
        blockable=row[3] in ADMIN_BLOCKABLE,
    )


@verb
def block_found_sim(
    session: Session, actor: Actor, text: str, reason: str, comment: str = ""
) -> SimHit:
    """The "block a SIM" form in one unit of work: find the SIM typed (find_sim), block it
    (block_sim). Returns the SIM found."""
    sim = find_sim(session, actor, text)
    block_sim(session, actor, sim.id, reason, comment)
    return sim


# -- one tariff-change request, as the admin decides it --------------------------------------------
@dataclass(frozen=True)
class TariffChangeDetail:
    id: int
    status: str
    created_at: datetime
    requested_when: str  # what the subscriber asked: next_period | now
    when: str  # what the preview below is for
    sim_id: int
    msisdn: str
    sim_status: str
    balance_kop: int
    subscriber_id: int | None
    subscriber_name: str
    contract_no: str
    requester_name: str
    from_tariff_name: str
    current_tariff_name: str  # the SIM's tariff now (may differ from "from" if it changed since)
    current_fee_kop: int
    to_tariff_name: str
    new_fee_kop: int
    effective_date: date
    difference_kop: int  # "now": positive charged today, negative credited; 0 for next_period
    days_left: int
    period_days: int
    balance_short_kop: int  # how much the balance lacks to pay the difference (0: enough)
    reason: str
    decided_at: datetime | None
    decided_by_name: str
    can_decide: bool
    can_cancel: bool = False  # scheduled, not applied yet, and the actor decides the queue


@verb
def tariff_change_detail(
    session: Session, actor: Actor, request_id: int, when: str | None = None, on: date | None = None
) -> TariffChangeDetail:
    """The request with what approving it `when` (default: as asked) would settle today: the
    same figures tariff_changes.approve_change posts."""
    require(actor, "activations.view")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise NotFound("admin_queues.error.not_found")
    stmt = tariff_change_rows_select().where(TariffChangeRequest.id == request_id)
    row = session.execute(stmt).mappings().first()
    if row is None:
        raise NotFound("admin_queues.error.not_found")
    when = when if when in TARIFF_CHANGE_WHEN else row["effective"]
    sim = session.get(Sim, row["sim_id"])
    current = session.get(Tariff, sim.tariff_id) if sim.tariff_id else None
    current_fee = current.monthly_fee_kop if current else 0
    effective, difference, days_left, period_days = settlement(
        sim.billing_day, current_fee, row["to_fee_kop"], when, on or cards.today()
    )
    decided = session.get(TariffChangeRequest, row["id"])
    if row["status"] != "pending" and decided.effective_on is not None:
        # decided: the date it was set for (a scheduled change's day), nothing left to settle
        effective, difference, days_left = decided.effective_on, 0, 0
    short = max(0, difference - sim.balance_kop) if difference > 0 else 0
    return TariffChangeDetail(
        id=row["id"],
        status=row["status"],
        created_at=row["created_at"],
        requested_when=row["effective"],
        when=when,
        sim_id=sim.id,
        msisdn=sim.msisdn,
        sim_status=sim.status,
        balance_kop=sim.balance_kop,
        subscriber_id=row["subscriber_id"],
        subscriber_name=row["subscriber_name"],
        contract_no=row["contract_no"],
        requester_name=row["requester_name"] or "",
        from_tariff_name=row["from_tariff_name"],
        current_tariff_name=current.name if current else "",
        current_fee_kop=current_fee,
        to_tariff_name=row["to_tariff_name"],
        new_fee_kop=row["to_fee_kop"],
        effective_date=effective,
        difference_kop=difference,
        days_left=days_left,
        period_days=period_days,
        balance_short_kop=short,
        reason=row["reason"] or "",
        decided_at=row["decided_at"],
        decided_by_name=row["decided_by_name"],
        can_decide=(
            row["status"] == "pending"
            and sim.status in CHANGEABLE_SIM_STATUSES
            and actor.can("activations.edit")
        ),
        can_cancel=row["status"] == "scheduled" and actor.can("activations.edit"),
    )


@verb
def pending_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many wait in each queue the actor may see (for the section tabs)."""
    counts: dict[str, int] = {}
    queues = (
        ("activations", "activations.view", ActivationRequest),
        ("tariff_changes", "activations.view", TariffChangeRequest),
        ("unblock_requests", "blocks.view", UnblockRequest),
    )
    for name, permission, model in queues:
        if actor.can(permission):
            stmt = select(model.id).where(model.status == "pending")
            counts[name] = count_capped(session, stmt, PENDING_CAP)[0]
    return counts
