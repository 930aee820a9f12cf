"""What the back-office filters and forms offer to pick from (partners, tariffs, roles).

Each caller checks its own section's permission first; these only read the names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core.unit_of_work import verb
from paysim_app.models import AdminRole, Partner, Tariff


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@verb
def partners(session: Session) -> list[Choice]:
    rows = session.execute(select(Partner.id, Partner.name).order_by(Partner.name)).all()
    return [Choice(str(i), n) for i, n in rows]


@verb
def tariffs(
    session: Session, *, on_sale_only: bool = False, mark_archived: str = ""
) -> list[Choice]:
    """Tariffs by name, archived ones last (left out with on_sale_only, or marked)."""
    stmt = select(Tariff.id, Tariff.name, Tariff.is_archived)
    if on_sale_only:
        stmt = stmt.where(Tariff.is_archived.is_(False)).order_by(
            Tariff.monthly_fee_kop, Tariff.name
        )
    else:
        stmt = stmt.order_by(Tariff.is_archived, Tariff.name)
    return [
        Choice(str(i), n + (f" ({mark_archived})" if archived and mark_archived else ""))
        for i, n, archived in session.execute(stmt).all()
    ]


@verb
def roles(session: Session) -> list[Choice]:
    rows = session.execute(select(AdminRole.id, AdminRole.name).order_by(AdminRole.name)).all()
    return [Choice(str(i), n) for i, n in rows]
