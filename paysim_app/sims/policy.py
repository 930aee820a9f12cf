"""The network policy of each SIM, and the feed the packet core reads it from (GET /api/policy).

A `sim_policy` row per SIM that has had service: its data `state` (normal; limited: the
allowance is used up and the tariff's reduced speed applies; blocked; suspended for debt; off:
no service, i.e. in stock, deactivated or without a tariff), the `speed_kbps` the network applies
(always an explicit number: the tariff's speed, the reduced one, a booster's, 0 when not normal
or limited) and the `static_ip` the SIM holds (None without one).

`refresh(session, sim_ids)` recomputes the SIMs' policy from their status, sims.allowance and the
static-IP pool, writes only the rows that changed (a new change cursor only when the policy
itself changed) and sends the 80 % / 100 % notices. Who calls it:
- the usage feed's ingest, once per batch, for the SIMs `screen` lets through (below);
- every status change, add-on purchase, renewal, lapse or released address, and a tariff switch:
  those writers only mark the SIM (core.policy_marks) and the marks are refreshed right before
  their commit (`_on_marks`), in the same transaction;
- the billing cycle (hourly) through `refresh_due`: the rows whose policy changes by the clock
  alone (`valid_until`: a booster's end, the period's end, when a limit ends and the notices
  start again).

Notices: per billing period, 80 % and 100 % of the allowance (tariff + packs) each once: the row
remembers the period and the allowance each went for; a data pack bought afterwards raises the
allowance, which re-arms both (the subscriber who paid for more is told again when that runs out
too). Crossing both at once sends the 100 % one only. Each notice also carries a dedup key
(kind, SIM, period, allowance): two racing refreshes cannot send it twice.

The ingest's screening: a refresh reads a month of hourly rows per SIM, too much for every SIM
of every batch. So each row keeps the raw bytes before its next threshold could be crossed:
`check_bytes` over usage_day's days from `check_day` on (raw bytes count night hours too, so they
never pass a threshold later than the counted ones; a refresh sets check_day to the period's
first day). The batch's usage_day upsert returns its rows' new totals joined with the policy rows
(SCREEN_SQL, in the same statement on PostgreSQL): a batch for check_day itself compares at once; one for a later day rolls
the row forward (the days between read once, check_day moved to that day by a compare-and-set:
once a day a SIM at most); one for an earlier day (a late record) or a SIM without a row is
refreshed. Only the SIMs that may have crossed a threshold are refreshed.

The feed's cursor (change_seq, sim_id), and why it cannot skip a change. A plain sequence is not
safe: a transaction that took number 10 may commit after a reader saw 11 and moved past 10.
- PostgreSQL: change_seq is the writing transaction's id (pg_current_xact_id()), and the feed
  only returns rows with change_seq < the xmin of its own snapshot
  (pg_snapshot_xmin(pg_current_snapshot())): every transaction with a lower id has ended by
  then, and any transaction still to write gets a higher id than any the reader passed. A row
  written by a transaction still running holds back the rows after it (never loses them): a
  long transaction delays the feed by its length, which is why the billing cycle and the sweep
  commit in batches.
- SQLite has one writer at a time (the write lock is taken before the number): change_seq is
  max + 1 under that lock, so numbers are in commit order.
Rows written by one transaction share its change_seq and are ordered by sim_id; a page ends
inside a transaction's rows as well as anywhere else. The index (change_seq, sim_id) makes
every page one range scan: the same cost at the start, middle and end of a million rows.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, literal_column, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.billing import cycle as billing_cycle
from paysim_app.core import bulk, notify, policy_marks
from paysim_app.core.errors import ValidationError
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Sim, StaticIp, Tariff
from paysim_app.models.base import utcnow
from paysim_app.models.policy import POLICY_STATES, SimPolicy
from paysim_app.models.usage import UsageDay
from paysim_app.sims import allowance

CHUNK = 1000  # SIMs per refresh round
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
CURSOR_PREFIX = "p1."

STATES = POLICY_STATES
_P = SimPolicy.__table__
_PG_SEQ = "CAST(CAST(pg_current_xact_id() AS text) AS bigint)"
_PG_SETTLED = "CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint)"


# --------------------------------------------------------------------------- the pure rules
@dataclass(frozen=True)
class Policy:
    state: str
    speed_kbps: int
    static_ip: str | None


def policy_of(
    status: str, has_tariff: bool, a: allowance.Allowance | None, static_ip: str | None
) -> Policy:
    """What the network applies: the status first (blocked, suspended, off), then the allowance
    of a working SIM with a tariff (limited at its reduced speed, or normal at its speed, a
    booster's when one runs)."""
    if status in ("blocked", "suspended"):
        return Policy(status, 0, static_ip)
    if status != "active" or not has_tariff or a is None:
        return Policy("off", 0, static_ip)
    return Policy("limited" if a.limited else "normal", a.speed_kbps, static_ip)


def threshold_80(total: int) -> int:
    """The counted bytes at which 80 % of `total` is reached (counted * 100 / total >= 80)."""
    return -(-total * 4 // 5)


def notices_due(
    a: allowance.Allowance, warned_80: int | None, warned_100: int | None
) -> tuple[list[str], int | None, int | None]:
    """(notices to send: "data_80" / "data_100", warned_80, warned_100 after them) for this
    period's allowance; `warned_*` are the allowances they last went for in this period."""
    total = a.total_bytes
    if total is None or total <= 0:
        return [], warned_80, warned_100
    if a.counted_bytes >= total and (warned_100 or 0) < total:
        return ["data_100"], max(warned_80 or 0, total), total
    if a.counted_bytes >= threshold_80(total) and (warned_80 or 0) < total:
        return ["data_80"], total, warned_100
    return [], warned_80, warned_100


def headroom(a: allowance.Allowance, warned_80: int | None) -> int | None:
    """Counted bytes left before the next threshold (80 % not yet told, or 100 %); None when
    more usage cannot change the policy or send a notice (unlimited, or already used up)."""
    total = a.total_bytes
    if total is None or total <= 0:
        return None
    targets = [total]
    if (warned_80 or 0) < total:
        targets.append(threshold_80(total))
    ahead = [t - a.counted_bytes for t in targets if t > a.counted_bytes]
    return min(ahead) if ahead else None


# --------------------------------------------------------------------------- writing
def _is_pg(session: Session) -> bool:
    return bulk.is_postgres(session)


def _seq(session: Session):
    if _is_pg(session):
        return literal_column(_PG_SEQ)
    return (
        select(func.coalesce(func.max(SimPolicy.change_seq), 0) + 1)
        .select_from(_P)
        .scalar_subquery()
    )


def _ids(sim_ids: object) -> list[int]:
    if not isinstance(sim_ids, list | tuple | set | frozenset):
        raise ValidationError("allowance.error.sim_ids")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in sim_ids):
        raise ValidationError("allowance.error.sim_ids")
    return sorted(set(sim_ids))


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@verb
def refresh(session: Session, sim_ids: list[int], now: datetime | None = None) -> list[int]:
    """Recompute the policy of these SIMs, write the rows that changed and send the notices
    due; returns the ids whose policy (state, speed or address) changed. In the caller's
    transaction; a fixed number of statements per CHUNK SIMs."""
    now = now or utcnow()
    ids = _ids(sim_ids)
    changed: list[int] = []
    for i in range(0, len(ids), CHUNK):
        changed.extend(_refresh_chunk(session, ids[i : i + CHUNK], now))
    return changed


def _refresh_chunk(session: Session, ids: list[int], now: datetime) -> list[int]:
    # the rows first, locked in id order: a racing refresh of the same SIM waits, then reads
    # (READ COMMITTED) the usage the first one saw; SQLite takes its one write lock
    if _is_pg(session):
        rows = session.execute(
            select(SimPolicy)
            .where(bulk.id_in(session, SimPolicy.sim_id, ids))
            .order_by(SimPolicy.sim_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    else:
        session.execute(update(SimPolicy).where(SimPolicy.sim_id == -1).values(state="off"))
        rows = session.execute(
            select(SimPolicy)
            .where(SimPolicy.sim_id.in_(ids))
            .execution_options(populate_existing=True)
        ).scalars()
    old = {r.sim_id: r for r in rows}
    sims = session.execute(
        select(Sim.id, Sim.status, Sim.tariff_id, Tariff.limited_speed_kbps)
        .outerjoin(Tariff, Tariff.id == Sim.tariff_id)
        .where(bulk.id_in(session, Sim.id, ids))
    ).all()
    addresses = dict(
        session.execute(
            select(StaticIp.sim_id, func.min(StaticIp.address))
            .where(bulk.id_in(session, StaticIp.sim_id, ids))
            .group_by(StaticIp.sim_id)
        ).all()
    )
    working = [s.id for s in sims if s.status == "active" and s.tariff_id is not None]
    found = allowance.of_sims(session, working, now) if working else {}
    # usage_day's bytes of each SIM's period (the screening's base, see `screen`)
    period_bytes: dict[int, int] = {}
    if found:
        since = min(a.period_start for a in found.values())
        for sim_id, day, n in session.execute(
            select(UsageDay.sim_id, UsageDay.day, UsageDay.bytes_up + UsageDay.bytes_down).where(
                bulk.id_in(session, UsageDay.sim_id, list(found)), UsageDay.day >= since
            )
        ).all():
            if day >= found[sim_id].period_start:
                period_bytes[sim_id] = period_bytes.get(sim_id, 0) + n

    writes: list[dict] = []
    changed: list[int] = []
    notes: list[tuple[int, str, dict, str]] = []
    for s in sims:
        a = found.get(s.id)
        policy = policy_of(s.status, s.tariff_id is not None, a, addresses.get(s.id))
        row = old.get(s.id)
        if row is None and policy.state == "off" and s.status != "active":
            continue  # a SIM that never had service: nothing for the network to know
        values = {
            "valid_until": None,
            "period_start": row.period_start if row else None,
            "warned_80_bytes": row.warned_80_bytes if row else None,
            "warned_100_bytes": row.warned_100_bytes if row else None,
            "check_day": None,
            "check_bytes": None,
        }
        if a is not None:
            w80, w100 = values["warned_80_bytes"], values["warned_100_bytes"]
            if values["period_start"] != a.period_start:
                w80 = w100 = None  # a new period: its notices are still to come
            kinds, w80, w100 = notices_due(a, w80, w100)
            values.update(period_start=a.period_start, warned_80_bytes=w80, warned_100_bytes=w100)
            for kind in kinds:
                notes.append(
                    (
                        s.id,
                        kind,
                        _notice_params(a, s.limited_speed_kbps),
                        f"{a.period_start:%Y%m%d}:{a.total_bytes}",
                    )
                )
            room = headroom(a, w80)
            if room is not None:
                values.update(
                    check_day=a.period_start, check_bytes=period_bytes.get(s.id, 0) + room
                )
            ends = allowance.utc_bounds(a.period_start, a.period_end)[1]
            values["valid_until"] = min(ends, a.booster_until) if a.booster_until else ends
        moved = row is None or (row.state, row.speed_kbps, row.static_ip) != (
            policy.state,
            policy.speed_kbps,
            policy.static_ip,
        )
        if not moved and all(
            (_aware(getattr(row, k)) if k == "valid_until" else getattr(row, k)) == v
            for k, v in values.items()
        ):
            continue  # nothing to write
        if moved:
            changed.append(s.id)
        writes.append(
            {
                "sim_id": s.id,
                "state": policy.state,
                "speed_kbps": policy.speed_kbps,
                "static_ip": policy.static_ip,
                "changed_at": now if moved else row.changed_at,
                "moved": moved,
                **values,
            }
        )
    _write(session, writes)
    for row in old.values():  # the ORM copies are stale after the upsert
        session.expire(row)
    for sim_id, kind, params, key in notes:
        notify.notify_sim_owners(session, [(sim_id, kind, params)], dedup=f"{{kind}}:{{sim}}:{key}")
    return changed


def _notice_params(a: allowance.Allowance, limited_speed_kbps: int | None) -> dict:
    return {
        "used_bytes": a.counted_bytes,
        "total_bytes": a.total_bytes or 0,
        "left_bytes": a.left_bytes or 0,
        "speed_kbps": limited_speed_kbps or 0,
        "date": a.period_end,
    }


def _write(session: Session, writes: list[dict]) -> None:
    """Upsert the rows: a moved policy takes the new change_seq, the others keep theirs."""
    if not writes:
        return
    seq = _seq(session)
    dialect = postgresql if _is_pg(session) else sqlite
    for moved in (True, False):
        part = [{k: v for k, v in w.items() if k != "moved"} for w in writes if w["moved"] is moved]
        if not part:
            continue
        if moved:
            stmt = dialect.insert(_P).values([{**w, "change_seq": seq} for w in part])
            keep = {"change_seq": seq}
        else:
            stmt = dialect.insert(_P).values([{**w, "change_seq": 0} for w in part])
            keep = {}
        columns = [c for c in part[0] if c != "sim_id"]
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["sim_id"],
                set_={**{c: stmt.excluded[c] for c in columns}, **keep},
            )
        )


@policy_marks.handles_marks
def _on_marks(session: Session, sim_ids: set[int]) -> None:
    refresh(session, sorted(sim_ids))


# --------------------------------------------------------------------------- ingest
# The ingest's usage_day upsert on PostgreSQL, as `WITH up AS (INSERT ... RETURNING sim_id, day,
# total) <this>`: the batch's (SIM, day) rows that need a look, in the same statement (the
# join is a primary-key probe per row; most rows come back as nothing)
SCREEN_SQL = (
    "SELECT up.sim_id, up.day, up.total, p.sim_id IS NOT NULL, p.check_day, p.check_bytes"
    " FROM up LEFT JOIN sim_policy p ON p.sim_id = up.sim_id"
    " WHERE p.sim_id IS NULL OR (p.check_bytes IS NOT NULL"
    " AND (up.day <> p.check_day OR up.total >= p.check_bytes))"
)

Candidate = tuple[int, date, int, bool, date | None, int | None]


@verb
def candidates(session: Session, day_totals: dict[tuple[int, date], int]) -> list[Candidate]:
    """SCREEN_SQL's answer from the batch's {(sim id, day): bytes of that day} (SQLite; the
    PostgreSQL ingest gets it from its upsert)."""
    ids = sorted({sim_id for sim_id, _ in day_totals})
    known: dict[int, tuple] = {}
    for i in range(0, len(ids), CHUNK):
        for r in session.execute(
            select(SimPolicy.sim_id, SimPolicy.check_day, SimPolicy.check_bytes).where(
                SimPolicy.sim_id.in_(ids[i : i + CHUNK])
            )
        ).all():
            known[r.sim_id] = (r.check_day, r.check_bytes)
    out: list[Candidate] = []
    for (sim_id, day), total in day_totals.items():
        check_day, check_bytes = known.get(sim_id, (None, None))
        if sim_id not in known:
            out.append((sim_id, day, total, False, None, None))
        elif check_bytes is not None and (day != check_day or total >= check_bytes):
            out.append((sim_id, day, total, True, check_day, check_bytes))
    return out


@verb
def screen(session: Session, rows: list[Candidate]) -> list[int]:
    """The SIMs of an ingest batch whose policy may have changed, from SCREEN_SQL's rows (see
    the module's docstring). A row watches the bytes from check_day on: a batch for that very
    day reached check_bytes (else it is not here); a batch for a later day rolls the row
    forward (the bytes of the days between read once, check_day moved to the batch's day by a
    compare-and-set), so a row is rolled once a day at most; a batch for an earlier day (a late
    record) or a SIM without a row is refreshed. At most two statements, for the rolls."""
    by_sim: dict[int, list[Candidate]] = {}
    for r in rows:
        by_sim.setdefault(r[0], []).append(r)
    flagged: list[int] = []
    rolls: dict[int, tuple[date, int]] = {}
    last: dict[int, tuple[date, int]] = {}
    for sim_id, found in by_sim.items():
        _, _, _, has_row, check_day, check_bytes = found[0]
        if not has_row or any(day <= check_day for _, day, *_ in found):
            flagged.append(sim_id)  # no row; a late record; or the watched day reached
        else:
            rolls[sim_id] = (check_day, check_bytes)
            last[sim_id] = max((day, total) for _, day, total, *_ in found)
    if rolls:
        before = _bytes_between(session, rolls, {i: d for i, (d, _) in last.items()})
        moved = []
        for sim_id, (check_day, check_bytes) in rolls.items():
            day, total = last[sim_id]
            left = check_bytes - before.get(sim_id, 0)
            if total >= left:
                flagged.append(sim_id)
            else:
                moved.append((sim_id, check_day, check_bytes, day, left))
        _roll(session, sorted(moved))  # rows in id order, as every writer takes them
    return sorted(flagged)


def _bytes_between(
    session: Session, rolls: dict[int, tuple[date, int]], last: dict[int, date]
) -> dict[int, int]:
    """usage_day's bytes of each rolled SIM from its check_day to the batch's day (excluded)."""
    ids = sorted(rolls)
    since = min(day for day, _ in rolls.values())
    out: dict[int, int] = {}
    for sim_id, day, n in session.execute(
        select(UsageDay.sim_id, UsageDay.day, UsageDay.bytes_up + UsageDay.bytes_down).where(
            bulk.id_in(session, UsageDay.sim_id, ids),
            UsageDay.day >= since,
            UsageDay.day < max(last[i] for i in ids),
        )
    ).all():
        if rolls[sim_id][0] <= day < last[sim_id]:
            out[sim_id] = out.get(sim_id, 0) + n
    return out


def _roll(session: Session, moved: list[tuple[int, date, int, date, int]]) -> None:
    """check_day, check_bytes := the batch's day and the bytes left from it on, each only while
    the row still holds what was read (a refresh in between wins)."""
    if not moved:
        return
    if _is_pg(session):
        session.execute(
            text(
                "UPDATE sim_policy p SET check_day = k.new_day, check_bytes = k.new_bytes"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:old_days AS date[]),"
                " CAST(:old_bytes AS bigint[]), CAST(:new_days AS date[]),"
                " CAST(:new_bytes AS bigint[])) AS k(sim_id, old_day, old_bytes, new_day, new_bytes)"
                " WHERE p.sim_id = k.sim_id AND p.check_day = k.old_day"
                " AND p.check_bytes = k.old_bytes"
            ),
            {
                name: "{" + ",".join(str(m[i]) for m in moved) + "}"
                for i, name in enumerate(("ids", "old_days", "old_bytes", "new_days", "new_bytes"))
            },
        )
        return
    for sim_id, old_day, old_bytes, new_day, new_bytes in moved:
        session.execute(
            update(SimPolicy)
            .where(
                SimPolicy.sim_id == sim_id,
                SimPolicy.check_day == old_day,
                SimPolicy.check_bytes == old_bytes,
            )
            .values(check_day=new_day, check_bytes=new_bytes)
            .execution_options(synchronize_session=False)
        )


@verb
def after_ingest(session: Session, rows: list[Candidate], now: datetime) -> list[int]:
    """The ingest's one refresh per batch: the SIMs `screen` lets through from SCREEN_SQL's
    rows; returns those whose policy changed."""
    flagged = screen(session, rows) if rows else []
    return refresh(session, flagged, now) if flagged else []


# --------------------------------------------------------------------------- the clock
@billing_cycle.refreshes_policies
@verb
def refresh_due(session: Session, now: datetime | None = None, *, batch: int = CHUNK) -> int:
    """The rows whose policy changes by the clock (valid_until passed: a booster ended, the
    billing period turned), then the SIMs with service that have no row yet (created with their
    status by an import or the demo, which are not status changes), batch by batch, each
    committed; returns how many were refreshed."""
    now = now or utcnow()
    done = 0
    for due in (
        lambda after: (
            select(SimPolicy.sim_id)
            .where(SimPolicy.valid_until <= now, SimPolicy.sim_id > after)
            .order_by(SimPolicy.sim_id)
        ),
        lambda after: (
            select(Sim.id)
            .outerjoin(SimPolicy, SimPolicy.sim_id == Sim.id)
            .where(
                Sim.status.in_(("active", "suspended", "blocked")),
                SimPolicy.sim_id.is_(None),
                Sim.id > after,
            )
            .order_by(Sim.id)
        ),
    ):
        after = 0
        while True:
            ids = session.execute(due(after).limit(batch)).scalars().all()
            if not ids:
                session.rollback()
                break
            after = ids[-1]
            refresh(session, ids, now)
            done += len(ids)
            session.commit()
    return done


# --------------------------------------------------------------------------- the feed
@dataclass(frozen=True)
class FeedItem:
    iccid: str
    imsi: str | None
    msisdn: str | None
    state: str
    speed_kbps: int
    static_ip: str | None
    changed_at: datetime

    def as_dict(self) -> dict:
        return {
            "iccid": self.iccid,
            "imsi": self.imsi,
            "msisdn": self.msisdn,
            "state": self.state,
            "speed_kbps": self.speed_kbps,
            "static_ip": self.static_ip,
            "changed_at": _aware(self.changed_at).isoformat(),
        }


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: str  # the cursor to ask with next time (opaque)
    more: bool  # more settled changes wait after this page

    def as_dict(self) -> dict:
        return {"items": [i.as_dict() for i in self.items], "next": self.next, "more": self.more}


def encode_cursor(seq: int, sim_id: int) -> str:
    raw = f"{seq}:{sim_id}".encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object) -> tuple[int, int]:
    """(change_seq, sim_id) of a cursor `encode_cursor` made; ValidationError otherwise."""
    if not isinstance(cursor, str) or not cursor.startswith(CURSOR_PREFIX) or len(cursor) > 64:
        raise ValidationError("policy.error.cursor")
    body = cursor[len(CURSOR_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise ValidationError("policy.error.cursor") from None
    seq, sep, sim = raw.partition(":")
    if not sep or not seq.isdigit() or not sim.isdigit() or len(seq) > 19 or len(sim) > 12:
        raise ValidationError("policy.error.cursor")
    if encode_cursor(int(seq), int(sim)) != cursor:  # one spelling per position
        raise ValidationError("policy.error.cursor")
    return int(seq), int(sim)


def check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("policy.error.limit", max=MAX_LIMIT)
    return limit


@verb
def feed(session: Session, since: str | None = None, limit: int = DEFAULT_LIMIT) -> FeedPage:
    """The policies changed after cursor `since` (None: every row, a full snapshot), oldest
    change first, at most `limit`; on PostgreSQL only changes no running transaction can still
    precede (see the module's docstring)."""
    limit = check_limit(limit)
    seq, sim_id = decode_cursor(since) if since is not None else (0, 0)
    query = (
        select(
            SimPolicy.change_seq,
            SimPolicy.sim_id,
            Sim.iccid,
            Sim.imsi,
            Sim.msisdn,
            SimPolicy.state,
            SimPolicy.speed_kbps,
            SimPolicy.static_ip,
            SimPolicy.changed_at,
        )
        .join(Sim, Sim.id == SimPolicy.sim_id)
        .where(tuple_(SimPolicy.change_seq, SimPolicy.sim_id) > tuple_(seq, sim_id))
        .order_by(SimPolicy.change_seq, SimPolicy.sim_id)
        .limit(limit + 1)
    )
    if _is_pg(session):
        query = query.where(SimPolicy.change_seq < literal_column(_PG_SETTLED))
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        FeedItem(r.iccid, r.imsi, r.msisdn, r.state, r.speed_kbps, r.static_ip, r.changed_at)
        for r in rows
    ]
    if rows:
        nxt = encode_cursor(rows[-1].change_seq, rows[-1].sim_id)
    else:
        nxt = since if since is not None else encode_cursor(0, 0)
    return FeedPage(items, nxt, more)


@verb
def of_sim(session: Session, sim_id: int) -> SimPolicy | None:
    """The SIM's policy row as stored (None: the network has never heard of it)."""
    if not isinstance(sim_id, int) or isinstance(sim_id, bool):
        return None
    return session.get(SimPolicy, sim_id)
