"""The admin header's search box: one text, up to five hits from each section the admin's role
may see — SIMs, subscribers, partners, payments, tickets — by any identifier (number, ICCID,
IMSI, contract number, name, e-mail, INN, payment number or gateway reference, ticket number).

SIMs and payments go through their list declarations (the same search as their lists); the
other three are one small indexed query each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlmodel import Session

from paysim_app.billing import payment_lists
from paysim_app.core.listing import ListQuery, contains, digits, fetch_page, phone_part
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Partner, Subscriber, Ticket
from paysim_app.sims import inventory

PER_KIND = 5


@dataclass(frozen=True)
class Hit:
    kind: str  # sim | subscriber | partner | payment | ticket
    title: str
    detail: str
    href: str
    status: str = ""


def _subscribers(session: Session, text: str) -> list[Hit]:
    d = digits(text)
    clauses = [Subscriber.contract_no == text.strip(), contains(Subscriber.full_name, text)]
    if "@" in text:
        clauses.append(contains(Subscriber.email, text))
    if len(d) >= 10:
        clauses.append(Subscriber.phone == "+7" + phone_part(text))
    rows = session.execute(
        select(Subscriber).where(or_(*clauses)).order_by(Subscriber.id.desc()).limit(PER_KIND)
    ).scalars()
    return [
        Hit(
            "subscriber",
            s.full_name or s.contract_no,
            f"{s.contract_no} {s.phone}".strip(),
            f"/admin/subscribers/{s.id}",
            s.status,
        )
        for s in rows
    ]


def _partners(session: Session, text: str) -> list[Hit]:
    d = digits(text)
    clauses = [contains(Partner.name, text), Partner.code == text.strip().upper()]
    if len(d) in (10, 12) and d == text.strip():
        clauses.append(Partner.inn == d)
    rows = session.execute(
        select(Partner).where(or_(*clauses)).order_by(Partner.name).limit(PER_KIND)
    ).scalars()
    return [
        Hit(
            "partner",
            p.name,
            p.code,
            f"/admin/partners/{p.id}",
            "active" if p.is_active else "inactive",
        )
        for p in rows
    ]


def _tickets(session: Session, text: str) -> list[Hit]:
    m = re.fullmatch(r"#?(\d{1,9})", text.strip())
    where = Ticket.id == int(m.group(1)) if m else contains(Ticket.subject, text)
    rows = session.execute(
        select(Ticket).where(where).order_by(Ticket.id.desc()).limit(PER_KIND)
    ).scalars()
    return [
        Hit("ticket", f"#{t.id} {t.subject}", t.category, f"/admin/support/{t.id}", t.status)
        for t in rows
    ]


@verb
def search(session: Session, actor: Actor, text: str) -> list[Hit]:
    require_role(actor, "admin")
    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    hits: list[Hit] = []
    query = ListQuery(search=text, page_size=PER_KIND)
    if actor.can("sims.view"):
        for r in fetch_page(session, actor, inventory.SIM_LIST, query, count=False).rows:
            hits.append(Hit("sim", r["msisdn"], r["iccid"], f"/admin/sims/{r['id']}", r["status"]))
    if actor.can("subscribers.view"):
        hits += _subscribers(session, text)
    if actor.can("partners.view"):
        hits += _partners(session, text)
    if actor.can("payments.view"):
        for r in fetch_page(session, actor, payment_lists.PAYMENT_LIST, query, count=False).rows:
            hits.append(
                Hit(
                    "payment", f"#{r['id']}", r["msisdn"], f"/admin/payments/{r['id']}", r["status"]
                )
            )
    if actor.can("support.view"):
        hits += _tickets(session, text)
    return hits
