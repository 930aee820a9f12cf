"""Every section of each tree: (i18n key, path, icon, admin permission or None)."""

from __future__ import annotations

from typing import NamedTuple


class NavItem(NamedTuple):
    key: str
    path: str
    icon: str
    permission: str | None = None


# the public pages (no sign-in): the public shell's header and footer, under the sign-in card
PUBLIC = (
    NavItem("public.nav.tariffs", "/tariffs", "layers"),
    NavItem("public.nav.coverage", "/coverage", "map-pin"),
    NavItem("public.nav.connect", "/connect", "route"),
)

CABINET = (
    NavItem("nav.home", "/cabinet", "house"),
    NavItem("nav.notifications", "/cabinet/notifications", "bell"),
    NavItem("nav.sims", "/cabinet/sims", "smartphone"),
    NavItem("nav.order", "/cabinet/order", "package-plus"),
    NavItem("nav.topup", "/cabinet/topup", "wallet"),
    NavItem("nav.payments", "/cabinet/payments", "receipt"),
    NavItem("nav.usage", "/cabinet/usage", "chart-column"),
    NavItem("nav.cards", "/cabinet/cards", "credit-card"),
    NavItem("nav.autopay", "/cabinet/autopay", "repeat"),
    NavItem("nav.tariffs", "/cabinet/tariffs", "layers"),
    NavItem("nav.services", "/cabinet/services", "circle-plus"),
    NavItem("nav.support", "/cabinet/support", "message-circle"),
    NavItem("nav.quality", "/cabinet/quality", "gauge"),
    NavItem("nav.profile", "/cabinet/profile", "user"),
)

PARTNER = (
    NavItem("nav.home", "/partner", "house"),
    NavItem("nav.notifications", "/partner/notifications", "bell"),
    NavItem("nav.sims", "/partner/sims", "smartphone"),
    NavItem("nav.subscribers", "/partner/subscribers", "users"),
    NavItem("nav.sell", "/partner/activations", "shopping-cart"),
    NavItem("nav.topup", "/partner/topup", "wallet"),
    NavItem("nav.partner_payments", "/partner/payments", "receipt"),
    NavItem("nav.sales", "/partner/stats", "chart-line"),
    NavItem("nav.support", "/partner/support", "message-circle"),
    NavItem("nav.profile", "/partner/profile", "user"),
)

# The admin menu keeps the operator's section names («Сим-карты», «Абоненты», ...).
ADMIN = (
    NavItem("nav.overview", "/admin", "layout-dashboard"),
    NavItem("nav.notifications", "/admin/notifications", "bell"),
    NavItem("nav.sims", "/admin/sims", "smartphone", "sims.view"),
    NavItem("nav.subscribers", "/admin/subscribers", "users", "subscribers.view"),
    NavItem("nav.partners", "/admin/partners", "handshake", "partners.view"),
    NavItem("nav.payments", "/admin/payments", "receipt", "payments.view"),
    NavItem("nav.tariffs", "/admin/tariffs", "layers", "tariffs.view"),
    NavItem("nav.activations", "/admin/activations", "circle-check", "activations.view"),
    NavItem("nav.blocks", "/admin/blocks", "ban", "blocks.view"),
    NavItem("nav.support", "/admin/support", "message-circle", "support.view"),
    NavItem("nav.quality", "/admin/quality", "gauge", "quality.view"),
    NavItem("nav.coverage", "/admin/coverage", "map-pin", "coverage.view"),
    NavItem("nav.admins", "/admin/admins", "shield", "admins.view"),
    NavItem("nav.audit", "/admin/audit", "scroll-text", "audit.view"),
    NavItem("nav.privacy", "/admin/privacy", "user-lock", "privacy.view"),
    NavItem("nav.outbox", "/admin/outbox", "mail", "admins.manage"),
    NavItem("nav.profile", "/admin/profile", "user"),
)

TREES = {"cabinet": CABINET, "partner": PARTNER, "admin": ADMIN}
TITLES = {"cabinet": "layout.cabinet", "partner": "layout.partner", "admin": "layout.admin"}
