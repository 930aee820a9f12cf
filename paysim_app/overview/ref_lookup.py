"""The advanced search's pickers: a related record (subscriber, partner, tariff, admin) found as
one types its name, contract number or id. Each kind needs its section's view permission; at
most LIMIT hits, each a Choice of the id and a label."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session

from paysim_app.core.choices import Choice
from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import REF_KINDS, contains, escape_like
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Partner, Subscriber, Tariff, User

LIMIT = 10
PERMISSION = {
    "subscriber": "subscribers.view",
    "partner": "partners.view",
    "tariff": "tariffs.view",
    "admin": "admins.view",
}


def _match(name_col, text: str, *also):
    """The name contains the text (any case), or another key starts with it, or the id is it."""
    clauses = [contains(name_col, text)]
    clauses += [col.like(f"{escape_like(text)}%", escape="\\") for col in also]
    return or_(*clauses)


@verb
def lookup(session: Session, actor: Actor | None, kind: str, text: str) -> list[Choice]:
    if not isinstance(kind, str) or kind not in REF_KINDS:
        raise ValidationError("list.error.filter", field="ref")
    require(actor, PERMISSION[kind])
    text = text.strip()[:60] if isinstance(text, str) else ""
    if len(text) < 1:
        return []
    by_id = text.isdigit() and len(text) <= 12
    if kind == "subscriber":
        cols = (Subscriber.id, Subscriber.full_name, Subscriber.contract_no)
        where = _match(Subscriber.full_name, text, Subscriber.contract_no)
    elif kind == "partner":
        cols = (Partner.id, Partner.name, Partner.name)
        where = _match(Partner.name, text)
    elif kind == "tariff":
        cols = (Tariff.id, Tariff.name, Tariff.name)
        where = _match(Tariff.name, text)
    else:
        cols = (User.id, User.full_name, User.email)
        where = _match(User.full_name, text, User.email)
        where = where & (User.role == "admin")
    if by_id:
        where = or_(where, cols[0] == int(text))
    rows = session.execute(select(*cols).where(where).order_by(cols[1], cols[0]).limit(LIMIT))
    out = []
    for ident, name, extra in rows:
        label = name or ""
        if extra and extra != name:
            label = f"{label} · {extra}" if label else str(extra)
        out.append(Choice(str(ident), f"{label} (#{ident})"))
    return out
