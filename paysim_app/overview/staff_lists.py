"""The three back-office lists about the staff and the service: Admins (every admin account),
Audit (the log of every admin action) and Quality (every rating, the low ones first).
Declarations over core.listing; the SELECTs, filters and searches come from
accounts.admins and support.quality_report, the permission checks from the specs
(admins.view, audit.view, quality.view)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session

from paysim_app.accounts import admins as admins_service
from paysim_app.core import choices
from paysim_app.core.choices import Choice
from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, SearchField, contains
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import name_matches
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    AdminRole,
    AuditLog,
    QualityRating,
    Subscriber,
    User,
)
from paysim_app.models.quality import RATING_ASPECTS
from paysim_app.support import quality_report as qa

ACTIVE_CHOICES = ("yes", "no")
STAR_CHOICES = ("1", "2", "3", "4")
MAX_DIFF_TEXT = 300  # the audit row's one-line summary of a change


def _int_id(name: str):
    """A filter value that must be a positive id (typed or picked); anything else is refused."""

    def parse(value: str) -> int:
        if not value.isdigit() or len(value) > 12 or int(value) <= 0:
            raise ValidationError("list.error.filter", field=name)
        return int(value)

    return parse


# -- admins ---------------------------------------------------------------------------------
def search_admins(stmt, text: str):
    """The admin's name (every word, typo-tolerant: core.text_search) or part of the e-mail."""
    return stmt.where(or_(name_matches(User.full_name, text), contains(User.email, text)))


_role_id = _int_id("role")

ADMIN_LIST = ListSpec(
    name="admins",
    permission=admins_service.VIEW,
    columns=lambda actor: admins_service.admin_rows_select(),
    sorts={
        "full_name": User.full_name,
        "email": User.email,
        "role": AdminRole.name,
        "last_login_at": User.last_login_at,
        "created_at": User.created_at,
    },
    default_sort="created_at",
    key=User.id,
    filters=(
        FilterDef("role", lambda s, v: s.where(User.admin_role_id == _role_id(v)), "text"),
        FilterDef(
            "active", lambda s, v: s.where(User.is_active.is_(v == "yes")), "choice", ACTIVE_CHOICES
        ),
    ),
    search=search_admins,
    export=(
        ExportColumn("full_name", "admin_staff.col.name"),
        ExportColumn("email", "admin_staff.col.email"),
        ExportColumn("role_name", "admin_staff.col.role"),
        ExportColumn("is_active", "admin_staff.col.active", "word", "admin_staff_ui.active."),
        ExportColumn("last_login_at", "admin_staff.col.last_login", "time"),
        ExportColumn("created_at", "admin_staff.col.created", "time"),
    ),
    fields=(
        SearchField("full_name", User.full_name, "text", "admin_staff.col.name"),
        SearchField("email", User.email, "text", "admin_staff.col.email"),
        SearchField("role", AdminRole.name, "text", "admin_staff.col.role"),
        SearchField("active", User.is_active, "bool", "admin_staff.col.active"),
        SearchField("last_login_at", User.last_login_at, "date", "admin_staff.col.last_login"),
        SearchField("created_at", User.created_at, "date", "admin_staff.col.created"),
    ),
)


# -- audit ----------------------------------------------------------------------------------
_actor_id = _int_id("admin")


def _text_choice(name: str):
    def parse(value: str) -> str:
        if len(value) > 64:
            raise ValidationError("list.error.filter", field=name)
        return value

    return parse


AUDIT_LIST = ListSpec(
    name="audit",
    permission=admins_service.AUDIT_VIEW,
    columns=lambda actor: admins_service.audit_rows_select(),
    sorts={"created_at": AuditLog.created_at},
    default_sort="created_at",  # descending by default: newest first
    key=AuditLog.id,
    filters=(
        FilterDef("admin", lambda s, v: admins_service.filter_audit_admin(s, _actor_id(v)), "text"),
        FilterDef(
            "action",
            lambda s, v: admins_service.filter_audit_action(s, _text_choice("action")(v)),
            "text",
        ),
        FilterDef(
            "entity",
            lambda s, v: admins_service.filter_audit_entity(s, _text_choice("entity")(v)),
            "text",
        ),
        FilterDef(
            "entity_id",
            lambda s, v: admins_service.filter_audit_entity_id(s, _text_choice("entity_id")(v)),
            "text",
        ),
        FilterDef("from", admins_service.filter_audit_from, "date"),
        FilterDef("to", admins_service.filter_audit_to, "date"),
    ),
    search=admins_service.search_audit,
    export=(
        ExportColumn("created_at", "admin_staff.audit.col.when", "time"),
        ExportColumn("actor_name", "admin_staff.audit.col.who"),
        ExportColumn("actor_login", "admin_staff_ui.audit.login"),
        ExportColumn("action", "admin_staff.audit.col.action"),
        ExportColumn("entity", "admin_staff.audit.col.entity"),
        ExportColumn("entity_id", "admin_staff.audit.col.entity_id"),
        ExportColumn("before", "admin_staff.audit.col.before"),
        ExportColumn("after", "admin_staff.audit.col.after"),
    ),
    fields=(
        SearchField("created_at", AuditLog.created_at, "date", "admin_staff.audit.col.when"),
        SearchField("who", AuditLog.actor_user_id, "ref", "admin_staff.audit.col.who", ref="admin"),
        SearchField("action", AuditLog.action, "text", "admin_staff.audit.col.action"),
        SearchField("entity", AuditLog.entity, "text", "admin_staff.audit.col.entity"),
        SearchField("entity_id", AuditLog.entity_id, "text", "admin_staff.audit.col.entity_id"),
    ),
)


def _loads(text: object) -> object:
    if not text:
        return None
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _short(value: object) -> str:
    if value is None:
        return "∅"
    if isinstance(value, str):
        if not value:
            return '""'
        return value if len(value) <= 60 else value[:57] + "…"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "…"


def audit_change(before: object, after: object, limit: int = MAX_DIFF_TEXT) -> str:
    """One readable line of what an audit entry changed: 'key: old → new; key2: + value'.
    The before/after JSON texts of the row (or already-parsed values)."""
    old, new = _loads(before), _loads(after)
    parts: list[str] = []
    if isinstance(old, dict) or isinstance(new, dict):
        old_d = old if isinstance(old, dict) else {}
        new_d = new if isinstance(new, dict) else {}
        for key in sorted(set(old_d) | set(new_d), key=str):
            a, b = old_d.get(key), new_d.get(key)
            if key in old_d and key in new_d:
                if a == b:
                    continue
                if isinstance(a, list) and isinstance(b, list):
                    added = [x for x in b if x not in a]
                    removed = [x for x in a if x not in b]
                    bits = [f"+{_short(x)}" for x in added] + [f"−{_short(x)}" for x in removed]
                    parts.append(f"{key}: {' '.join(bits)}")
                else:
                    parts.append(f"{key}: {_short(a)} → {_short(b)}")
            elif key in new_d:
                parts.append(f"{key}: {_short(b)}")
            else:
                parts.append(f"{key}: {_short(a)} → ∅")
    elif old is not None or new is not None:
        parts.append(f"{_short(old)} → {_short(new)}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_json(text: object) -> str:
    """An audit row's before/after JSON indented for reading ('' when empty)."""
    value = _loads(text)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


# -- ratings --------------------------------------------------------------------------------
def search_ratings(stmt, text: str):
    """Digits: part of the number (quality_report.search_ratings); else part of the subscriber's
    name in any letter case, Cyrillic too (listing.contains, which also folds on SQLite)."""
    text = text.strip()
    if text and all(ch.isdigit() or ch in "+-() " for ch in text):
        return qa.search_ratings(stmt, text)
    return stmt.where(contains(Subscriber.full_name, text))


_tariff_id = _int_id("tariff")
_partner_id = _int_id("partner")

RATING_LIST = ListSpec(
    name="ratings",
    permission=qa.VIEW,
    columns=lambda actor: qa.rating_rows_select(),
    sorts={"stars": QualityRating.stars, "created_at": QualityRating.created_at},
    default_sort="stars",  # ascending by the UI's default: the low ones first
    key=QualityRating.id,
    filters=(
        FilterDef("aspect", qa.filter_rating_aspect, "choice", RATING_ASPECTS),
        FilterDef(
            "max_stars", lambda s, v: qa.filter_rating_max_stars(s, int(v)), "choice", STAR_CHOICES
        ),
        FilterDef("tariff", lambda s, v: qa.filter_rating_tariff(s, _tariff_id(v)), "text"),
        FilterDef("partner", lambda s, v: qa.filter_rating_partner(s, _partner_id(v)), "text"),
        FilterDef("has_ticket", qa.filter_rating_has_ticket, "choice", ACTIVE_CHOICES),
        FilterDef("from", qa.filter_rating_from, "date"),
        FilterDef("to", qa.filter_rating_to, "date"),
    ),
    search=search_ratings,
    export=(
        ExportColumn("created_at", "admin_quality.col.when", "time"),
        ExportColumn("stars", "admin_quality.col.stars"),
        ExportColumn("aspect", "admin_quality.col.aspect", "word", "quality.aspect."),
        ExportColumn("comment", "admin_quality.col.comment"),
        ExportColumn("msisdn", "admin_quality.col.number"),
        ExportColumn("subscriber_name", "admin_quality.col.subscriber"),
        ExportColumn("tariff_name", "admin_quality.col.tariff"),
        ExportColumn("partner_name", "admin_quality.col.partner"),
        ExportColumn("ticket_id", "admin_quality.col.ticket"),
        ExportColumn("download_kbps", "admin_staff_ui.quality.download"),
        ExportColumn("upload_kbps", "admin_staff_ui.quality.upload"),
        ExportColumn("ping_ms", "admin_staff_ui.quality.ping"),
    ),
    fields=(
        SearchField("created_at", QualityRating.created_at, "date", "admin_quality.col.when"),
        SearchField("stars", QualityRating.stars, "number", "admin_quality.col.stars"),
        SearchField(
            "aspect",
            QualityRating.aspect,
            "choice",
            "admin_quality.col.aspect",
            RATING_ASPECTS,
            "quality.aspect.",
        ),
        SearchField("comment", QualityRating.comment, "text", "admin_quality.col.comment"),
        SearchField(
            "subscriber", Subscriber.id, "ref", "admin_quality.col.subscriber", ref="subscriber"
        ),
        SearchField("ticket", QualityRating.ticket_id, "number", "admin_quality.col.ticket"),
    ),
)


# -- choices for the filters ----------------------------------------------------------------
@verb
def role_choices(session: Session, actor: Actor) -> list[Choice]:
    """Every role by name, for the Admins list's role filter and the invite form."""
    require(actor, admins_service.VIEW)
    return choices.roles(session)


@dataclass(frozen=True)
class RatingChoices:
    tariffs: tuple[Choice, ...]
    partners: tuple[Choice, ...]


@verb
def rating_choices(session: Session, actor: Actor) -> RatingChoices:
    """The tariffs and partners the ratings list can be filtered by (by name)."""
    require(actor, qa.VIEW)
    return RatingChoices(
        tariffs=tuple(choices.tariffs(session)), partners=tuple(choices.partners(session))
    )
