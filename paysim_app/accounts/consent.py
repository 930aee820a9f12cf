"""Consent under 152-FZ: the versioned legal texts (consent to the processing of personal data,
the service terms) and the record of who accepted which version, when and from where.

The current version of a document is its highest published one. Registration, a SIM order and a
dealer's sale record both consents (`record_consents`, refused unless both were ticked). A
subscriber whose latest accepted version of either document is older than the current one is
`consent_due` (accounts.identity.actor_for sets it on their actor): the door lets them reach only
the page that shows the new text until they accept it (`accept_current`). Staff (admins, a
dealer's employees) are not asked. Admins with `privacy.edit` publish new versions (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from paysim_app.accounts.legal_texts import FIRST
from paysim_app.accounts.user_agents import short_user_agent
from paysim_app.core import audit, bulk
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models.base import utcnow
from paysim_app.models.privacy import CONSENT_SOURCES, LEGAL_DOCS, ConsentRecord, LegalText

DOCS = LEGAL_DOCS
VIEW, EDIT = "privacy.view", "privacy.edit"
BODY_MAX, TITLE_MAX = 20_000, 200


@dataclass(frozen=True)
class LegalTextView:
    doc: str
    version: int
    title_ru: str
    title_en: str
    body_ru: str
    body_en: str
    published_at: datetime

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_ru

    def body(self, locale: str) -> str:
        return self.body_en if locale == "en" else self.body_ru


@dataclass(frozen=True)
class ConsentView:
    doc: str
    version: int
    accepted_at: datetime
    source: str
    ip: str
    user_agent: str
    reference: str


def _view(row: LegalText) -> LegalTextView:
    return LegalTextView(
        row.doc, row.version, row.title_ru, row.title_en, row.body_ru, row.body_en, row.published_at
    )


def _latest_versions(session: Session) -> dict[str, int]:
    """{doc: current version}; the built-in first versions are published when missing."""
    rows = session.exec(
        select(LegalText.doc, func.max(LegalText.version)).group_by(LegalText.doc)
    ).all()
    found = {doc: version for doc, version in rows}
    missing = [d for d in DOCS if d not in found]
    if missing:
        for doc in missing:
            session.execute(
                bulk.dialect_insert(session, LegalText.__table__)
                .values(doc=doc, version=1, published_at=utcnow(), **FIRST[doc])
                .on_conflict_do_nothing()
            )
            found[doc] = 1
    return found


def _current_rows(session: Session) -> list[LegalText]:
    latest = _latest_versions(session)
    rows = session.exec(
        select(LegalText).where(LegalText.doc.in_(list(latest)))  # a handful of rows
    ).all()
    current = {r.doc: r for r in rows if r.version == latest[r.doc]}
    return [current[d] for d in DOCS if d in current]


def _accepted(session: Session, user_id: int) -> dict[str, int]:
    rows = session.exec(
        select(ConsentRecord.doc, func.max(ConsentRecord.version))
        .where(ConsentRecord.user_id == user_id)
        .group_by(ConsentRecord.doc)
    ).all()
    return {doc: version for doc, version in rows}


@verb
def current_texts(session: Session) -> list[LegalTextView]:
    """The current version of each document (public: the registration page links to them)."""
    return [_view(r) for r in _current_rows(session)]


@verb
def consent_due(session: Session, user_id: int) -> bool:
    """Whether this user has not accepted the current version of some document."""
    # one statement on every event of a subscriber's tab (the door): each document's current
    # version beside the latest this user accepted
    accepted = (
        select(func.max(ConsentRecord.version))
        .where(ConsentRecord.user_id == user_id, ConsentRecord.doc == LegalText.doc)
        .scalar_subquery()
    )
    rows = session.exec(
        select(LegalText.doc, func.max(LegalText.version), accepted).group_by(LegalText.doc)
    ).all()
    if not set(DOCS) <= {doc for doc, _, _ in rows}:  # a document not published yet
        latest = _latest_versions(session)
        mine = _accepted(session, user_id)
        return any(mine.get(doc, 0) < version for doc, version in latest.items())
    return any((seen or 0) < version for _, version, seen in rows)


@verb
def pending_texts(session: Session, actor: Actor | None) -> list[LegalTextView]:
    """The current texts this signed-in user has still to accept (empty for staff)."""
    if actor is None:
        raise PermissionDenied()
    if actor.role != "subscriber":
        return []
    accepted = _accepted(session, actor.user_id)
    return [_view(r) for r in _current_rows(session) if accepted.get(r.doc, 0) < r.version]


def _add(
    session: Session,
    rows: list[LegalText],
    source: str,
    *,
    user_id: int | None,
    subscriber_id: int | None,
    reference: str,
    ip: str,
    user_agent: str,
) -> None:
    if source not in CONSENT_SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    now = utcnow()
    for row in rows:
        session.add(
            ConsentRecord(
                user_id=user_id,
                subscriber_id=subscriber_id,
                reference=(reference or "")[:60],
                doc=row.doc,
                version=row.version,
                accepted_at=now,
                source=source,
                ip=(ip or "")[:64],
                user_agent=short_user_agent(user_agent)[:120],
            )
        )
    session.flush()


def require_ticks(personal_data: object, terms: object) -> None:
    """ValidationError (field "consent") unless both boxes were ticked."""
    if personal_data is not True or terms is not True:
        raise ValidationError("consent.required", field="consent")


@verb
def record_consents(
    session: Session,
    *,
    personal_data: bool,
    terms: bool,
    source: str,
    user_id: int | None = None,
    subscriber_id: int | None = None,
    reference: str = "",
    ip: str = "",
    user_agent: str = "",
) -> list[int]:
    """Record the person's consent to the current version of both documents, given with a
    registration, a SIM order or a dealer's sale (`source`); refused (ValidationError, field
    "consent") unless both were ticked. `reference` names the request the consent came with
    when there is no account yet ("activation_request:12", "sim_order:5"). Returns the
    versions recorded [personal_data, terms]."""
    require_ticks(personal_data, terms)
    rows = _current_rows(session)
    _add(
        session,
        rows,
        source,
        user_id=user_id,
        subscriber_id=subscriber_id,
        reference=reference,
        ip=ip,
        user_agent=user_agent,
    )
    return [r.version for r in rows]


@verb
def attach_to(session: Session, reference: str, user_id: int, subscriber_id: int | None) -> int:
    """Consents given with a request before the person had an account (a dealer's sale) become
    that account's once the request makes it: they are not asked again for those versions.
    Returns how many records were attached."""
    result = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.reference == reference, ConsentRecord.user_id.is_(None))
        .values(user_id=user_id, subscriber_id=subscriber_id)
    )
    return result.rowcount or 0


@verb
def accept_current(
    session: Session,
    actor: Actor | None,
    versions: dict,
    ip: str = "",
    user_agent: str = "",
) -> int:
    """The signed-in subscriber accepts the texts they were shown (`versions`: {doc: version}).
    Refused when it is not the current version (a newer one was published meanwhile: they are
    shown it) or a due document is missing. Returns how many consents were recorded."""
    if actor is None or actor.role != "subscriber":
        raise PermissionDenied()
    accepted = _accepted(session, actor.user_id)
    due = [r for r in _current_rows(session) if accepted.get(r.doc, 0) < r.version]
    given = versions if isinstance(versions, dict) else {}
    for row in due:
        if given.get(row.doc) != row.version:
            raise ValidationError("consent.changed", field="consent")
    _add(
        session,
        due,
        "sign_in",
        user_id=actor.user_id,
        subscriber_id=actor.subscriber_id,
        reference="",
        ip=ip,
        user_agent=user_agent,
    )
    return len(due)


@verb
def consents_of(
    session: Session, user_id: int | None, subscriber_id: int | None
) -> list[ConsentView]:
    """Every consent a person gave (by their account or contract), oldest first: for their own
    data archive (the caller checked that it is theirs)."""
    conditions = []
    if user_id is not None:
        conditions.append(ConsentRecord.user_id == user_id)
    if subscriber_id is not None:
        conditions.append(ConsentRecord.subscriber_id == subscriber_id)
    if not conditions:
        return []
    rows = session.exec(
        select(ConsentRecord).where(or_(*conditions)).order_by(ConsentRecord.id).limit(1000)
    ).all()
    return [
        ConsentView(r.doc, r.version, r.accepted_at, r.source, r.ip, r.user_agent, r.reference)
        for r in rows
    ]


@verb
def text_history(session: Session, actor: Actor | None) -> list[LegalTextView]:
    """The published versions of both documents, newest first (at most 50): the console."""
    require(actor, VIEW)
    _latest_versions(session)
    rows = session.exec(
        select(LegalText).order_by(LegalText.published_at.desc(), LegalText.id.desc()).limit(50)
    ).all()
    return [_view(r) for r in rows]


def _text(value: object, limit: int, field: str, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError("error.required", field=field)
    if len(text) > limit:
        raise ValidationError("consent.too_long", field=field, limit=limit)
    return text


@verb
def publish_version(
    session: Session,
    actor: Actor | None,
    doc: str,
    body_ru: str,
    body_en: str,
    title_ru: str = "",
    title_en: str = "",
) -> LegalTextView:
    """Publish a new version of a document (privacy.edit; audited). Titles left empty keep
    the previous version's. Every subscriber is asked to accept it at their next sign-in (at
    their next page, for those signed in)."""
    require(actor, EDIT)
    if doc not in DOCS:
        raise ValidationError("consent.unknown_doc", field="doc")
    ru, en = _text(body_ru, BODY_MAX, "body_ru"), _text(body_en, BODY_MAX, "body_en")
    latest = _latest_versions(session)
    previous = session.exec(
        select(LegalText).where(LegalText.doc == doc, LegalText.version == latest[doc])
    ).one()
    row = LegalText(
        doc=doc,
        version=previous.version + 1,
        title_ru=_text(title_ru, TITLE_MAX, "title_ru", required=False) or previous.title_ru,
        title_en=_text(title_en, TITLE_MAX, "title_en", required=False) or previous.title_en,
        body_ru=ru,
        body_en=en,
        published_at=utcnow(),
        published_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "legal_text.publish",
        "legal_text",
        row.id,
        {"doc": doc, "version": previous.version},
        {"doc": doc, "version": row.version, "title_ru": row.title_ru},
    )
    return _view(row)
