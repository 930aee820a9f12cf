"""One action on an admin card page (a partner, a contract): the service is called with the
acting admin and the card's id; a refusal lands in the page's error var (and, for a bad field,
names the field), success shows the card again."""

from __future__ import annotations

import reflex as rx

from paysim_app.core.errors import DomainError, ValidationError
from paysim_app.db import session_scope


def run_card_action(
    state,
    entity_id: int | None,
    action,
    error_attr: str = "action_error",
    field_attr: str = "field",
):
    """(result, True) on success; (None, False) when refused; (None, redirect) when signed out.
    `state` answers `_actor`, `_error`, `_reset_messages` and `_show(actor, entity_id)`."""
    actor = state._actor()
    if actor is None or entity_id is None:
        return None, rx.redirect("/login")
    state._reset_messages()
    try:
        with session_scope() as session:
            result = action(session, actor, entity_id)
    except DomainError as err:
        setattr(state, error_attr, state._error(err))
        if isinstance(err, ValidationError):
            setattr(state, field_attr, err.field or "")
        return None, False
    state._show(actor, entity_id)
    return result, True
