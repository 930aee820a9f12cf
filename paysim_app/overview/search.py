"""The admin header's search over everything: one text, looked for in every section the admin's
role may see, the results grouped by kind, each group with its count and a few hits.

Every kind is a section's own list (its ListSpec and the list's own search), so a group's
"show all" — the section's address with `?q=` — shows exactly the rows that were counted, and
the permission is the section's: a role without `payments.view` gets no payments, not even a
count. The matching itself is the lists' (numbers by any part through trigram indexes on
PostgreSQL; names every word, also in Latin letters, without its ending, е = ё; ticket subjects
and messages by full text: see core.text_search). A name that matches no contract gets the
contracts whose names are like it (PostgreSQL's trigram similarity: a typo), marked `similar`.

The hits are read in two statements per kind (`_group`): a probe of at most COUNT_CAP + 1 keys
and sort values, then the hits' columns for PER_KIND keys.

| kind | section | what the text is matched against |
|---|---|---|
| sim | SIMs | number, ICCID, IMSI (any part), the subscriber's name |
| subscriber | Subscribers | name, contract, phone, e-mail, passport number |
| partner | Partners | name, code, INN, contact phone and e-mail |
| payment | Payments | id, card's last 4, provider reference, SIM number, subscriber's name |
| ticket | Support | number, subject, message text, customer's name, contract |
| tariff, addon | Tariffs | name, code |
| activation, tariff_change | Activation | SIM number or ICCID (a number only: see below) |
| block, unblock | Blocking | SIM number or ICCID (a number only: see below) |
| admin | Admins | name, e-mail |
| audit | Audit | action, object kind or id (prefix), the admin who acted |

Counts stop at COUNT_CAP (shown as "100+"): a count past it would read more rows for nothing.

The requests and blocks are searched for a number only (what the issue asks of them: "by number
or SIM"). Their lists also find a customer's name, but through the SIMs of every contract of
that name, which at a million SIMs costs a few hundred milliseconds for a common surname; a
name finds the person in the Subscribers group, whose card lists their requests and blocks.
For a number a group's "show all" lists exactly what was counted, as for every kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.billing import payment_lists
from paysim_app.catalogue import catalogue_lists
from paysim_app.core.listing import ListQuery, ListSpec, digits, filtered, planned
from paysim_app.core.lookups import looked_up_once
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.text_search import in_ids, similar_name
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Subscriber
from paysim_app.overview import people_lists, staff_lists
from paysim_app.partners import partner_lists
from paysim_app.sims import inventory, queue_lists

_NUMBER = re.compile(r"[\d\s()+-]+")
PER_KIND = 3  # hits shown per kind
COUNT_CAP = 100  # counted per kind; more is "100+"
MIN_LENGTH = 2
MAX_LENGTH = 100


@dataclass(frozen=True)
class Hit:
    title: str
    detail: str
    href: str
    status_key: str = ""  # an i18n key of the row's status, "" when none
    phone_title: bool = False  # the title is a phone number (+7XXXXXXXXXX)
    at: datetime | None = None  # when it happened, for the kinds that are events (audit)


@dataclass(frozen=True)
class Group:
    kind: str
    count: int
    more: bool  # more than `count` match (the count stopped at COUNT_CAP)
    hits: tuple[Hit, ...]
    all_href: str  # the section with the search applied
    similar: bool = False  # no name matched: contracts whose names are like it (a typo)


@dataclass(frozen=True)
class Kind:
    name: str
    spec: ListSpec
    path: str  # the section's list; `tab` its tab, if not the first
    hit: Callable[[dict[str, Any]], Hit]
    columns: tuple[str, ...]  # the labelled columns of the spec's SELECT the hit reads
    tab: str = ""
    numbers_only: bool = False  # searched only for a number (digits, spaces, + ( ) -)

    def all_href(self, text: str) -> str:
        params = {"tab": self.tab} if self.tab else {}
        return f"{self.path}?{urlencode({**params, self.spec.address_prefix + 'q': text})}"


def _join(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p)


def _sim(r) -> Hit:
    return Hit(
        r["msisdn"],
        _join(r["iccid"], r["subscriber"]),
        f"/admin/sims/{r['id']}",
        f"sim.status.{r['status']}",
        phone_title=True,
    )


def _subscriber(r) -> Hit:
    return Hit(
        r["full_name"] or r["contract_no"],
        _join(r["contract_no"], r["phone"], r["email"]),
        f"/admin/subscribers/{r['id']}",
        f"admin_subscribers.status.{r['status']}",
    )


def _partner(r) -> Hit:
    return Hit(
        r["name"],
        _join(r["code"], r["inn"], r["contact_email"]),
        f"/admin/partners/{r['id']}",
        f"admin_partners.active.{bool(r['is_active'])}",
    )


def _payment(r) -> Hit:
    card = f"•••• {r['card_last4']}" if r["card_last4"] else ""
    return Hit(
        f"#{r['id']}",
        _join(r["msisdn"], r["subscriber"], card, r["gateway_ref"]),
        f"/admin/payments/{r['id']}",
        f"statement.status.{r['status']}",
    )


def _ticket(r) -> Hit:
    return Hit(
        f"#{r['id']} {r['subject']}",
        _join(r["customer_name"], r["contract_no"]),
        f"/admin/support/{r['id']}",
        f"admin_support.status.{r['status']}",
    )


def _tariff(r) -> Hit:
    return Hit(
        r["name"],
        r["code"],
        f"/admin/tariffs/{r['id']}",
        f"admin_tariffs.archived.{bool(r['is_archived'])}",
    )


def _addon(r) -> Hit:
    return Hit(
        r["name"],
        r["code"],
        f"/admin/addons/{r['id']}",
        f"admin_tariffs.archived.{bool(r['is_archived'])}",
    )


def _activation(r) -> Hit:
    return Hit(
        f"#{r['id']} {r['msisdn']}",
        _join(r["customer_name"] or r["subscriber_name"], r["partner_name"]),
        f"/admin/activations/{r['id']}",
        f"queues.status.{r['status']}",
    )


def _tariff_change(r) -> Hit:
    return Hit(
        f"#{r['id']} {r['msisdn']}",
        _join(r["subscriber_name"], f"{r['from_tariff_name'] or '—'} → {r['to_tariff_name']}"),
        f"/admin/activations/tariffs/{r['id']}",
        f"queues.status.{r['status']}",
    )


def _block(r) -> Hit:
    return Hit(
        f"#{r['id']} {r['msisdn']}",
        _join(r["subscriber_name"], r["iccid"]),
        f"/admin/blocks/{r['id']}",
        f"queues.block.{r['status']}",
    )


def _unblock(r) -> Hit:
    return Hit(
        f"#{r['id']} {r['msisdn']}",
        _join(r["subscriber_name"], r["requester_name"]),
        f"/admin/blocks/{r['block_id']}",
        f"queues.status.{r['status']}",
    )


def _admin(r) -> Hit:
    return Hit(
        r["full_name"] or r["email"] or "",
        _join(r["email"], r["role_name"]),
        f"/admin/admins/{r['id']}",
        "",
    )


def _audit(r) -> Hit:
    target = f"{r['entity']} {r['entity_id']}".strip()
    query = urlencode({"entity": r["entity"], "entity_id": r["entity_id"]})
    return Hit(
        _join(r["action"], target),
        r["actor_name"] or r["actor_login"] or "",
        f"/admin/audit?{query}",
        at=r["created_at"],
    )


KINDS: tuple[Kind, ...] = (
    Kind(
        "sim",
        inventory.SIM_LIST,
        "/admin/sims",
        _sim,
        ("id", "msisdn", "iccid", "subscriber", "status"),
    ),
    Kind(
        "subscriber",
        people_lists.SUBSCRIBER_LIST,
        "/admin/subscribers",
        _subscriber,
        ("id", "full_name", "contract_no", "phone", "email", "status"),
    ),
    Kind(
        "partner",
        partner_lists.PARTNER_LIST,
        "/admin/partners",
        _partner,
        ("id", "name", "code", "inn", "contact_email", "is_active"),
    ),
    Kind(
        "payment",
        payment_lists.PAYMENT_LIST,
        "/admin/payments",
        _payment,
        ("id", "card_last4", "msisdn", "subscriber", "gateway_ref", "status"),
    ),
    Kind(
        "ticket",
        people_lists.TICKET_LIST,
        "/admin/support",
        _ticket,
        ("id", "subject", "customer_name", "contract_no", "status"),
    ),
    Kind(
        "tariff",
        catalogue_lists.TARIFF_LIST,
        "/admin/tariffs",
        _tariff,
        ("id", "name", "code", "is_archived"),
    ),
    Kind(
        "addon",
        catalogue_lists.ADDON_LIST,
        "/admin/tariffs",
        _addon,
        ("id", "name", "code", "is_archived"),
        tab="addons",
    ),
    Kind(
        "activation",
        queue_lists.ACTIVATION_LIST,
        "/admin/activations",
        _activation,
        ("id", "msisdn", "customer_name", "subscriber_name", "partner_name", "status"),
        numbers_only=True,
    ),
    Kind(
        "tariff_change",
        queue_lists.TARIFF_CHANGE_LIST,
        "/admin/activations",
        _tariff_change,
        ("id", "msisdn", "subscriber_name", "from_tariff_name", "to_tariff_name", "status"),
        tab="tariffs",
        numbers_only=True,
    ),
    Kind(
        "block",
        queue_lists.BLOCK_LIST,
        "/admin/blocks",
        _block,
        ("id", "msisdn", "subscriber_name", "iccid", "status"),
        numbers_only=True,
    ),
    Kind(
        "unblock",
        queue_lists.UNBLOCK_LIST,
        "/admin/blocks",
        _unblock,
        ("id", "msisdn", "subscriber_name", "requester_name", "block_id", "status"),
        tab="requests",
        numbers_only=True,
    ),
    Kind(
        "admin",
        staff_lists.ADMIN_LIST,
        "/admin/admins",
        _admin,
        ("id", "full_name", "email", "role_name"),
    ),
    Kind(
        "audit",
        staff_lists.AUDIT_LIST,
        "/admin/audit",
        _audit,
        ("id", "entity", "entity_id", "action", "actor_name", "actor_login", "created_at"),
    ),
)
KIND_NAMES = tuple(k.name for k in KINDS)


def clean(text: object) -> str:
    """The text as searched: stripped, at most MAX_LENGTH characters; "" for a non-string."""
    return text.strip()[:MAX_LENGTH].strip() if isinstance(text, str) else ""


def _group(session: Session, actor: Actor, kind: Kind, text: str) -> Group | None:
    """Two statements: the probe reads the key and the default sort's value of at most
    COUNT_CAP + 1 matching rows (nothing else: PostgreSQL drops the list's display joins), which
    gives the count and the hits' order; then the hits' columns for their PER_KIND keys only,
    so a list's per-row sums (a partner's SIMs, a contract's balance) are never computed for
    the search. With at most COUNT_CAP matches the hits are exactly the section's first rows
    (its default order: newest first); past it they are the newest of the rows the probe read."""
    spec = kind.spec
    actor = spec.check(actor)
    with planned(session, spec):
        return _probe(session, actor, kind, text)


def _probe(session: Session, actor: Actor, kind: Kind, text: str) -> Group | None:
    spec = kind.spec
    sort = spec.sorts[spec.default_sort]
    stmt = filtered(spec, actor, ListQuery(search=text))
    probe = (
        stmt.with_only_columns(spec.key, sort, maintain_column_froms=True)
        .order_by(None)
        .limit(COUNT_CAP + 1)
    )
    found = session.execute(probe).all()
    if not found:
        return None
    # the list's order, descending: its sort value (NULLs first, as PostgreSQL's DESC), its key
    found.sort(key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0, r[0]), reverse=True)
    keys = [r[0] for r in found[:PER_KIND]]
    base = spec.columns(actor)
    rows = session.execute(
        base.with_only_columns(
            *[base.selected_columns[c] for c in kind.columns], maintain_column_froms=True
        ).where(spec.key.in_(keys))
    ).mappings()
    by_key = {r["id"]: dict(r) for r in rows}
    return Group(
        kind=kind.name,
        count=min(len(found), COUNT_CAP),
        more=len(found) > COUNT_CAP,
        hits=tuple(kind.hit(by_key[k]) for k in keys if k in by_key),
        all_href=kind.all_href(text),
    )


@verb
def search(session: Session, actor: Actor, text: str) -> list[Group]:
    """The kinds with matches among those the actor may see, in KINDS order. A text shorter than
    MIN_LENGTH finds nothing."""
    require_role(actor, "admin")
    text = clean(text)
    if len(text) < MIN_LENGTH:
        return []
    number = bool(digits(text)) and _NUMBER.fullmatch(text) is not None
    groups = []
    with looked_up_once(session):  # the groups share one lookup of a number or a name
        for kind in KINDS:
            if not actor.can(kind.spec.permission) or (kind.numbers_only and not number):
                continue
            group = _group(session, actor, kind, text)
            if group is not None:
                groups.append(group)
    if (
        actor.can(people_lists.SUBSCRIBER_LIST.permission)
        and not number
        and not any(g.kind == "subscriber" for g in groups)
    ):
        similar = _similar_subscribers(session, actor, text)
        if similar is not None:
            groups.insert(min(1, len(groups)), similar)
    return groups


def _similar_subscribers(session: Session, actor: Actor, text: str) -> Group | None:
    """Contracts whose holder's name is like the text (PostgreSQL's trigram word similarity:
    "Сергевич" for "Сергеевич"), asked only when no name matched: the newest PER_KIND of them,
    "show all" the Subscribers list searching the first one's name."""
    kind = next(k for k in KINDS if k.name == "subscriber")
    like = select(Subscriber.id).where(similar_name(Subscriber.full_name, text))
    base = kind.spec.columns(kind.spec.check(actor))
    rows = session.execute(
        base.with_only_columns(
            *[base.selected_columns[c] for c in kind.columns], maintain_column_froms=True
        )
        .where(in_ids(Subscriber.id, like))
        .order_by(Subscriber.id.desc())
        .limit(PER_KIND)
    ).mappings()
    hits = tuple(kind.hit(dict(r)) for r in rows)
    if not hits:
        return None
    return Group(
        kind=kind.name,
        count=len(hits),
        more=False,
        hits=hits,
        all_href=kind.all_href(hits[0].title),
        similar=True,
    )
