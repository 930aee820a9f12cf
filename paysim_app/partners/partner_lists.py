"""The admin's Partners list: a declaration over core.listing.

The SELECT comes from partners.partner_rows_select (every partner with its SIMs and active
subscribers); the permission check (partners.view) from the spec. Search: a code, a name
(typo-tolerant), an INN, the contact phone or e-mail (any part)."""

from __future__ import annotations

import re

from sqlalchemy import literal_column, or_

from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    digits,
    phone_part,
)
from paysim_app.core.text_search import name_matches
from paysim_app.models import Partner
from paysim_app.partners.directory import partner_rows_select

PARTNER_STATES = ("active", "inactive")


def _state(stmt, value: str):
    return stmt.where(Partner.is_active == (value == "active"))


def search_partners(stmt, text: str):
    """Digits (a phone's +7 / 8 ignored): an INN, a code or the contact phone, any part;
    otherwise a code, the contact e-mail (any part) or the name (every word, typo-tolerant:
    core.text_search.name_matches)."""
    text = text.strip()
    if re.fullmatch(r"[\d\s()+-]+", text) and digits(text):
        d = digits(text)
        return stmt.where(
            or_(
                Partner.inn.like(f"%{d}%"),
                contains(Partner.code, d),
                Partner.contact_phone.like(f"%{phone_part(text)}%"),
            )
        )
    return stmt.where(
        or_(
            contains(Partner.code, text),
            name_matches(Partner.name, text),
            contains(Partner.contact_email, text),
        )
    )


PARTNER_LIST = ListSpec(
    name="partners",
    permission="partners.view",
    columns=lambda actor: partner_rows_select(actor),
    sorts={
        "name": Partner.name,
        "created_at": Partner.created_at,
        # a labelled subquery of the SELECT: ordered by its output name
        "sims": literal_column("sims"),
    },
    default_sort="created_at",
    key=Partner.id,
    filters=(FilterDef("status", _state, "choice", PARTNER_STATES),),
    search=search_partners,
    export=(
        ExportColumn("code", "admin_partners.col.code"),
        ExportColumn("name", "admin_partners.col.name"),
        ExportColumn("inn", "admin_partners.col.inn"),
        ExportColumn("contact_email", "admin_partners.field.email"),
        ExportColumn("contact_phone", "admin_partners.field.phone"),
        # basis points / 100 = percent with two decimals, written like an amount (10,00)
        ExportColumn("commission_bp", "admin_partners.col.commission", "money"),
        ExportColumn("sims", "admin_partners.col.sims"),
        ExportColumn("active_subscribers", "admin_partners.col.subscribers"),
        ExportColumn("is_active", "admin_partners.col.status", "word", "admin_partners.active."),
        ExportColumn("created_at", "admin_partners.col.created", "time"),
    ),
    fields=(
        SearchField("code", Partner.code, "text", "admin_partners.col.code"),
        SearchField("name", Partner.name, "text", "admin_partners.col.name"),
        SearchField("inn", Partner.inn, "text", "admin_partners.col.inn"),
        SearchField("email", Partner.contact_email, "text", "admin_partners.field.email"),
        SearchField("phone", Partner.contact_phone, "text", "admin_partners.field.phone"),
        # basis points typed as a percent with two decimals, as the export writes them
        SearchField("commission", Partner.commission_bp, "money", "admin_partners.col.commission"),
        SearchField("active", Partner.is_active, "bool", "admin_partners.col.status"),
        SearchField("created_at", Partner.created_at, "date", "admin_partners.col.created"),
    ),
)
