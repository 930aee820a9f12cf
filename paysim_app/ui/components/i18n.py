"""Reactive translation in components: tr('key') follows the header's language switch."""

from __future__ import annotations

import reflex as rx

from paysim_app.i18n import EN, RU
from paysim_app.ui.auth.session import SessionState


def tr(key: str) -> rx.Var:
    return rx.cond(SessionState.locale == "en", EN.get(key, key), RU.get(key, key))
