"""Saved cards: gateway tokens with brand, last four digits and expiry — never the number.

A card is typed only on the provider's hosted page (billing.checkout: "add a card" is a setup
session, "save the card" on a top-up a payment session that keeps it); what comes back is kept
here by `keep_card`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from paysim_app.core import notify, rate_limits
from paysim_app.core.errors import NotFound
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import AutopaySetting, SavedCard, Subscriber
from paysim_app.models.base import utcnow
from paysim_app.payments import CardToken, Gateway

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CardRow:
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    expires_soon: bool
    expired: bool
    autopay_sims: int


def today() -> date:
    return moscow_date(utcnow())


def card_valid_until(exp_month: int, exp_year: int) -> date:
    return date(exp_year, exp_month, calendar.monthrange(exp_year, exp_month)[1])


def _cards(session: Session, subscriber_id: int) -> list[SavedCard]:
    return list(
        session.execute(
            select(SavedCard)
            .where(SavedCard.subscriber_id == subscriber_id, SavedCard.deleted_at.is_(None))
            .order_by(SavedCard.is_default.desc(), SavedCard.id)
        ).scalars()
    )


@verb
def list_cards(session: Session, actor: Actor) -> list[CardRow]:
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:
        return []
    cards = _cards(session, actor.subscriber_id)
    usage: dict[int, int] = {}
    for card_id in session.execute(
        select(AutopaySetting.card_id).where(
            AutopaySetting.card_id.in_([c.id for c in cards]), AutopaySetting.enabled
        )
    ).scalars():
        usage[card_id] = usage.get(card_id, 0) + 1
    now = today()
    rows = []
    for c in cards:
        until = card_valid_until(c.exp_month, c.exp_year)
        rows.append(
            CardRow(
                id=c.id,
                brand=c.brand,
                last4=c.last4,
                exp_month=c.exp_month,
                exp_year=c.exp_year,
                is_default=c.is_default,
                expires_soon=now <= until <= now + timedelta(days=EXPIRY_WARNING_DAYS),
                expired=until < now,
                autopay_sims=usage.get(c.id, 0),
            )
        )
    return rows


@verb
def owned_card(session: Session, actor: Actor, card_id: int) -> SavedCard:
    """The actor's own live card; anything else is refused like a missing one."""
    require_role(actor, "subscriber")
    card = session.get(SavedCard, card_id) if isinstance(card_id, int) else None
    if (
        card is None
        or card.deleted_at is not None
        or actor.subscriber_id is None
        or card.subscriber_id != actor.subscriber_id
    ):
        raise NotFound("card.error.not_found")
    return card


@verb
def customer_for(session: Session, gateway: Gateway, subscriber_id: int) -> str:
    existing = session.execute(
        select(SavedCard.gateway_customer).where(
            SavedCard.subscriber_id == subscriber_id,
            SavedCard.gateway == gateway.name,
            SavedCard.gateway_customer != "",
        )
    ).first()
    if existing:
        return existing[0]
    subscriber = session.get(Subscriber, subscriber_id)
    return gateway.create_customer(
        reference=f"subscriber:{subscriber_id}", email=subscriber.email if subscriber else ""
    )


@verb
def keep_card(
    session: Session, gateway_name: str, subscriber_id: int, saved: CardToken
) -> SavedCard:
    """Keep a card the provider saved for off-session use (on its hosted page). The first
    card, or a card that replaces an expired default, becomes the default; the same card saved
    again refreshes its token instead of making a twin."""
    existing = _cards(session, subscriber_id)
    for c in existing:
        if (c.last4, c.exp_month, c.exp_year, c.brand) == (
            saved.last4,
            saved.exp_month,
            saved.exp_year,
            saved.brand,
        ):
            c.gateway_token, c.gateway_customer = saved.token, saved.customer
            session.flush()
            return c
    has_default = any(
        c.is_default and card_valid_until(c.exp_month, c.exp_year) >= today() for c in existing
    )
    if not has_default:
        for c in existing:
            c.is_default = False
    card = SavedCard(
        subscriber_id=subscriber_id,
        gateway=gateway_name,
        gateway_token=saved.token,
        gateway_customer=saved.customer,
        brand=saved.brand[:20],
        last4=saved.last4,
        exp_month=saved.exp_month,
        exp_year=saved.exp_year,
        is_default=not has_default,
    )
    session.add(card)
    session.flush()
    notify.notify_subscriber(
        session, subscriber_id, "card_added", {"brand": card.brand.title(), "last4": card.last4}
    )
    return card


@verb
def check_card_attempts(session: Session, actor: Actor, ip: str) -> None:
    """TooManyAttempts after too many declined cards in the hour, of this subscriber or from
    this address: the form stops being a free card-number checker."""
    rate_limits.check(session, "card.subscriber", actor.subscriber_id)
    rate_limits.check(session, "card.ip", ip)


@verb
def count_declined(session: Session, actor: Actor, ip: str) -> None:
    """One declined card attempt, committed at once (the caller may be about to raise)."""
    rate_limits.count(session, "card.subscriber", actor.subscriber_id)
    rate_limits.count(session, "card.ip", ip)
    session.commit()


@verb
def set_default(session: Session, actor: Actor, card_id: int) -> None:
    card = owned_card(session, actor, card_id)
    session.execute(
        update(SavedCard)
        .where(SavedCard.subscriber_id == card.subscriber_id)
        .values(is_default=SavedCard.id == card.id)
    )
    session.expire_all()


@verb
def delete_card(session: Session, actor: Actor, gateway: Gateway, card_id: int) -> int:
    """Forget a card. Autopay rules that used it move to the default card (or another card that
    has not expired), or are switched off (the subscriber is told). Returns how many autopay
    rules were switched off."""
    card = owned_card(session, actor, card_id)
    card.deleted_at = utcnow()
    was_default = card.is_default
    card.is_default = False
    session.flush()
    remaining = _cards(session, card.subscriber_id)
    on = today()
    valid = [c for c in remaining if card_valid_until(c.exp_month, c.exp_year) >= on]
    if was_default and remaining:
        # an expired card only becomes the default when there is nothing better
        (valid or remaining)[0].is_default = True
    # autopay never moves to an expired card: it would fail on the next billing day
    replacement = next((c for c in valid if c.is_default), valid[0] if valid else None)
    rules = (
        session.execute(
            select(AutopaySetting).where(AutopaySetting.card_id == card.id, AutopaySetting.enabled)
        )
        .scalars()
        .all()
    )
    switched_off = 0
    for rule in rules:
        if replacement is not None:
            rule.card_id = replacement.id
        else:
            rule.enabled = False
            switched_off += 1
            notify.notify_sim_owners(session, [(rule.sim_id, "autopay_off_no_card", {})])
        rule.updated_at = utcnow()
    try:
        gateway.forget_card(card.gateway_token)
    except Exception:  # noqa: BLE001 - the card is gone for us whatever the gateway says
        pass
    return switched_off


@verb
def warn_expiring(session: Session, on: date) -> int:
    """Tell owners of cards used by autopay that expire within 30 days (once per card)."""
    horizon = on + timedelta(days=EXPIRY_WARNING_DAYS)
    rows = session.execute(
        select(AutopaySetting.sim_id, SavedCard)
        .join(SavedCard, SavedCard.id == AutopaySetting.card_id)
        .where(
            AutopaySetting.enabled,
            SavedCard.deleted_at.is_(None),
            SavedCard.exp_year * 100 + SavedCard.exp_month <= horizon.year * 100 + horizon.month,
        )
    ).all()
    sent = 0
    for sim_id, card in rows:
        until = card_valid_until(card.exp_month, card.exp_year)
        if on <= until <= horizon:
            sent += notify.notify_sim_owners(
                session,
                [(sim_id, "card_expiring", {"last4": card.last4, "until": until})],
                dedup=f"card-expiring:{card.id}:{card.exp_year}-{card.exp_month}",
            )
    return sent


__all__ = ["CardRow", "delete_card", "keep_card", "list_cards"]
