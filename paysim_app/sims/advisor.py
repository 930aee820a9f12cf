"""The tariff advisor: which tariff, with data packs where that is cheaper, would have cost least
for the SIM's own usage of its last three complete billing periods, and the saving per month.

What it reads and why:

- **Periods.** The SIM's billing periods (its billing day, `tariff_changes.current_period`), not
  calendar months: a fee and a pack are per billing period, so the cost of a tariff is only right
  over one. The last `MONTHS` (3) periods that ended before the current one are used, as far as
  the SIM's history reaches: a period counts when it starts on or after the later of the SIM's
  activation day and the first day the network reported usage for it (usage_day keeps 13
  months). A period that began before that was not wholly seen (a SIM activated mid-period, or
  usage that only started being fed mid-period) and would make the SIM look lighter than it is.
  No such period: "no_history".
- **Usage.** Every byte of the period's Moscow days, from usage_day (sims.usage_history.daily),
  night hours included. The night-unlimited rule is not applied: it needs hours, and the hourly
  table is kept for PAYSIM_USAGE_KEEP_HOURS_DAYS (70) days, less than three periods back, so the
  oldest periods could not be counted the same way as the newest. Counting everything errs on
  the safe side: the advice never rests on a night add-on the subscriber might not renew, and
  the add-on's own price is the same whichever tariff is chosen.
- **Tariffs.** What tariff_changes.catalogue offers the SIM (public, not archived), each priced at
  its current `monthly_fee_kop` (the fee preview() shows); the SIM's own tariff is compared even
  when it is archived or not public (it keeps working, it just cannot be chosen again).
- **Packs.** The data packs on sale (AddonService kind "data_pack", not archived), each any
  number of times per period, as sims.allowance counts them.

The arithmetic (pure functions below, all integers):

- a period's need = ceil((used bytes - tariff GB * 10**9) / 10**9) whole decimal gigabytes
  (packs are sold in whole GB; 1 GB = 10**9 bytes as in sims.allowance); an unlimited tariff
  needs none;
- the cheapest cover of a need is an unbounded knapsack (fewest kopecks for at least `need` GB
  from packs usable any number of times), solved exactly by dynamic programming over the
  gigabytes (a greedy pick by price per GB is not exact: 12 GB from packs of 10 GB for 100 ₽ and
  6 GB for 70 ₽ costs 140 ₽, not 200 ₽); among equally cheap covers the one with fewer packs;
- a period's cost = fee + its cover. No pack on sale and a need left: the tariff would have
  throttled the SIM; such a tariff is not advised. The current tariff is still compared, at what
  it cost (its fee), and marked `short`;
- a tariff's monthly cost = its periods' total / number of periods, rounded half up to a kopeck;
  the saving per month = current monthly - best monthly. The best alternative is the cheapest in
  total, then the one with the cheaper fee, then by name; it is advised only when it is cheaper
  than the current tariff (a tie keeps the current one): "switch", else "best". A SIM without a
  tariff gets the cheapest tariff for its usage: "choose" ("none" if no tariff would cover it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from paysim_app.billing import cards
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import AddonService
from paysim_app.models.usage import UsageDay
from paysim_app.sims import tariff_changes, usage_history

GB = 10**9  # decimal gigabyte, in bytes (as sims.allowance)
MONTHS = 3  # billing periods the advice looks back on

VERDICTS = ("no_history", "best", "switch", "choose", "none")


@dataclass(frozen=True)
class Pack:
    """A data pack on sale: `gb` whole decimal gigabytes for `price_kop`."""

    id: int
    name: str
    gb: int
    price_kop: int


@dataclass(frozen=True)
class PackLine:
    """`count` packs of one kind bought in one period."""

    pack_id: int
    name: str
    gb: int
    price_kop: int
    count: int


@dataclass(frozen=True)
class Cover:
    """The cheapest packs that add at least the needed gigabytes."""

    cost_kop: int
    lines: tuple[PackLine, ...]

    @property
    def gb(self) -> int:
        return sum(line.gb * line.count for line in self.lines)


@dataclass(frozen=True)
class Terms:
    """What a tariff charges and gives, for the arithmetic."""

    id: int
    name: str
    fee_kop: int
    data_gb: int | None  # None: unlimited


@dataclass(frozen=True)
class PeriodCost:
    fee_kop: int
    packs: tuple[PackLine, ...]  # bought in the period to cover its usage
    packs_kop: int
    total_kop: int
    short: bool  # the allowance ran out and no pack was on sale: throttled, not covered


@dataclass(frozen=True)
class TariffCost:
    tariff_id: int
    name: str
    fee_kop: int
    data_gb: int | None
    periods: tuple[PeriodCost, ...]  # one per period of the advice, oldest first
    total_kop: int
    monthly_kop: int  # total / periods, rounded half up
    short: bool  # some period was not covered


@dataclass(frozen=True)
class PeriodUsage:
    start: date  # Moscow date, the period's first day
    end: date  # Moscow date, the next period's first day (exclusive)
    used_bytes: int


@dataclass(frozen=True)
class Advice:
    sim_id: int
    verdict: str  # no_history | best | switch | choose | none (no tariff, none would cover)
    periods: tuple[PeriodUsage, ...]  # oldest first; empty for no_history
    current: TariffCost | None  # the SIM's tariff for the same usage (None: it has none)
    best: TariffCost | None  # switch / choose: the advised tariff; best: None
    saving_kop: int  # switch: current.monthly_kop - best.monthly_kop (> 0); else 0


# --------------------------------------------------------------------------- the pure arithmetic
def need_gb(used_bytes: int, data_gb: int | None) -> int:
    """Whole gigabytes a period's usage needs beyond the tariff's allowance (0 if unlimited)."""
    if data_gb is None:
        return 0
    over = used_bytes - data_gb * GB
    return 0 if over <= 0 else -(-over // GB)


def _better_ratio(a: Pack, b: Pack) -> bool:
    """a costs less per GB than b (exact: cross-multiplied)."""
    return a.price_kop * b.gb < b.price_kop * a.gb


def cheapest_cover(need: int, packs: Sequence[Pack]) -> Cover | None:
    """The fewest kopecks that buy at least `need` GB from `packs` (each any number of times);
    of equally cheap covers, the one with the fewest packs. None when there is a need and no
    pack. Exact, in O(min(need, g*G) * len(packs)) with g, G the best-value and the largest
    pack's GB:

    A cover with at least g packs other than the best-value one has some of them whose GB sum is
    a multiple of g (pigeonhole on prefix sums mod g); as many best-value packs give the same GB
    for no more money. So an optimal cover has fewer than g other packs (under g*G GB), and for
    a need beyond g*G + g it holds at least k = (need - g*G) // g best-value packs: those are
    fixed and the rest is solved by the table.
    """
    if isinstance(need, bool) or not isinstance(need, int) or need < 0:
        raise ValueError("need must be a whole number of GB, >= 0")
    if need == 0:
        return Cover(0, ())
    offers = sorted(
        (p for p in packs if p.gb > 0 and p.price_kop >= 0), key=lambda p: (p.gb, p.price_kop, p.id)
    )
    if not offers:
        return None
    best = offers[0]
    for p in offers[1:]:
        if _better_ratio(p, best):
            best = p
    largest = max(p.gb for p in offers)
    fixed = 0
    bound = best.gb * largest
    if need > bound + best.gb:
        fixed = (need - bound) // best.gb
        need -= fixed * best.gb
    # table[g] = (kopecks, packs, index of the last pack) for at least g GB
    table: list[tuple[int, int, int]] = [(0, 0, -1)]
    for g in range(1, need + 1):
        choice = None
        for i, p in enumerate(offers):
            cost, count, _ = table[max(0, g - p.gb)]
            candidate = (cost + p.price_kop, count + 1, i)
            if choice is None or candidate[:2] < choice[:2]:
                choice = candidate
        table.append(choice)
    counts = [0] * len(offers)
    g = need
    while g > 0:
        i = table[g][2]
        counts[i] += 1
        g = max(0, g - offers[i].gb)
    counts[offers.index(best)] += fixed
    lines = tuple(
        PackLine(p.id, p.name, p.gb, p.price_kop, n)
        for p, n in sorted(zip(offers, counts, strict=True), key=lambda x: x[0].id)
        if n
    )
    return Cover(sum(line.price_kop * line.count for line in lines), lines)


def period_cost(used_bytes: int, terms: Terms, packs: Sequence[Pack]) -> PeriodCost:
    """The fee plus the cheapest packs covering the period's usage on `terms`; `short` (and the
    fee alone) when packs are needed and none is on sale."""
    cover = cheapest_cover(need_gb(used_bytes, terms.data_gb), packs)
    if cover is None:
        return PeriodCost(terms.fee_kop, (), 0, terms.fee_kop, True)
    return PeriodCost(
        terms.fee_kop, cover.lines, cover.cost_kop, terms.fee_kop + cover.cost_kop, False
    )


def per_month(total_kop: int, months: int) -> int:
    """total / months in whole kopecks, half a kopeck rounded up."""
    return (2 * total_kop + months) // (2 * months)


def tariff_cost(used: Sequence[int], terms: Terms, packs: Sequence[Pack]) -> TariffCost:
    """A tariff's cost for each period's usage (bytes, oldest first) and on average."""
    if not used:
        raise ValueError("no periods")
    periods = tuple(period_cost(u, terms, packs) for u in used)
    total = sum(p.total_kop for p in periods)
    return TariffCost(
        tariff_id=terms.id,
        name=terms.name,
        fee_kop=terms.fee_kop,
        data_gb=terms.data_gb,
        periods=periods,
        total_kop=total,
        monthly_kop=per_month(total, len(periods)),
        short=any(p.short for p in periods),
    )


def choose(
    used: Sequence[int], current: Terms | None, others: Sequence[Terms], packs: Sequence[Pack]
) -> tuple[str, TariffCost | None, TariffCost | None, int]:
    """(verdict, current's cost, the advised tariff's cost, saving per month) for the periods'
    usage: the cheapest alternative that covers every period (then the cheaper fee, the name,
    the id) is advised only when it costs less a month than the current tariff."""
    if not used:
        return "no_history", None, None, 0
    mine = tariff_cost(used, current, packs) if current is not None else None
    costs = [tariff_cost(used, o, packs) for o in others if current is None or o.id != current.id]
    costs = [c for c in costs if not c.short]
    best = min(costs, key=lambda c: (c.total_kop, c.fee_kop, c.name, c.tariff_id), default=None)
    if mine is None:
        return ("choose", None, best, 0) if best is not None else ("none", None, None, 0)
    if best is None or best.total_kop >= mine.total_kop:
        return "best", mine, None, 0
    saving = mine.monthly_kop - best.monthly_kop
    if saving <= 0:  # cheaper by less than half a kopeck a month
        return "best", mine, None, 0
    return "switch", mine, best, saving


def complete_periods(
    billing_day: int, today: date, since: date | None, months: int = MONTHS
) -> list[tuple[date, date]]:
    """The last `months` billing periods [start, end) that ended before today's began and start
    on or after `since` (None: there is no history), oldest first."""
    if since is None:
        return []
    out: list[tuple[date, date]] = []
    start, _ = tariff_changes.current_period(billing_day, today)
    while len(out) < months:
        start, end = tariff_changes.current_period(billing_day, start - timedelta(days=1))
        if start < since:
            break
        out.insert(0, (start, end))
    return out


# --------------------------------------------------------------------------- the verb
def _history_start(session: Session, sim_id: int, activated_on: date | None) -> date | None:
    first = session.execute(
        select(func.min(UsageDay.day)).where(UsageDay.sim_id == sim_id)
    ).scalar()
    if first is None:
        return None
    return max(first, activated_on) if activated_on is not None else first


def _packs(session: Session) -> list[Pack]:
    rows = session.execute(
        select(AddonService.id, AddonService.name, AddonService.data_gb, AddonService.price_kop)
        .where(AddonService.kind == "data_pack", AddonService.is_archived.is_(False))
        .order_by(AddonService.id)
    ).all()
    return [Pack(i, name, gb, price) for i, name, gb, price in rows]


@verb
def advise(session: Session, actor: Actor, sim_id: int, *, today: date | None = None) -> Advice:
    """The advice for one of the subscriber's own SIMs (someone else's is refused like a missing
    one), from its last three complete billing periods; `today` is the Moscow date (default:
    the clock's)."""
    require_role(actor, "subscriber")
    if isinstance(sim_id, bool) or (isinstance(sim_id, int) and not 0 < sim_id < 2**31):
        raise PermissionDenied()  # not a SIM's id (True is an int to Python)
    sim = owned_sim(session, actor, sim_id, admin_permission="tariffs.view")
    if today is None:
        today = cards.today()
    elif not isinstance(today, date):
        raise ValidationError("usage.bad_period")
    activated = moscow_date(sim.activated_at) if sim.activated_at else None
    spans = complete_periods(sim.billing_day, today, _history_start(session, sim.id, activated))
    if not spans:
        return Advice(sim.id, "no_history", (), None, None, 0)
    days = usage_history.daily(session, sim.id, spans[0][0], spans[-1][1] - timedelta(days=1))
    periods = tuple(
        PeriodUsage(start, end, sum(up + down for d, up, down in days if start <= d < end))
        for start, end in spans
    )
    offers = tariff_changes.catalogue(session, actor, sim.id)
    current = next(
        (Terms(o.id, o.name, o.monthly_fee_kop, o.data_gb) for o in offers if o.is_current), None
    )
    others = [
        Terms(o.id, o.name, o.monthly_fee_kop, o.data_gb)
        for o in offers
        if not o.is_current and not o.is_archived
    ]
    verdict, mine, best, saving = choose(
        [p.used_bytes for p in periods], current, others, _packs(session)
    )
    return Advice(sim.id, verdict, periods, mine, best, saving)
