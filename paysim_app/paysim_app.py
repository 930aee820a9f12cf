"""The app object: every page of the three trees and the signed-out pages."""

from __future__ import annotations

import asyncio
import contextlib

import reflex as rx
from reflex.route import get_route_args

from paysim_app.api.routes import api
from paysim_app.i18n import t
from paysim_app.jobs import scheduler
from paysim_app.ui.admin.activations import (
    AdminActivationsState,
    AdminActivationState,
    AdminTariffChangesState,
    AdminTariffChangeState,
    activation_page,
    activations_page,
    tariff_change_page,
)
from paysim_app.ui.admin.admins import (
    AdminAdminsState,
    AdminAdminState,
    AdminRolesState,
    admin_page,
    admins_page,
    roles_page,
)
from paysim_app.ui.admin.audit import AdminAuditState, audit_page
from paysim_app.ui.admin.blocks import (
    AdminBlocksState,
    AdminBlockState,
    AdminUnblocksState,
    block_page,
    blocks_page,
)
from paysim_app.ui.admin.contract_desk import NewContractState, PutSimsState, new_contract_page
from paysim_app.ui.admin.coverage import (
    CoverageSettlementsState,
    CoverageSettlementState,
    CoverageStationState,
    settlement_page,
    station_page,
)
from paysim_app.ui.admin.coverage import coverage_page as admin_coverage_page
from paysim_app.ui.admin.home import AdminHomeState, admin_home
from paysim_app.ui.admin.notifications import AdminNotificationsState, admin_notifications_page
from paysim_app.ui.admin.orders import AdminOrdersState, AdminOrderState, admin_order_page
from paysim_app.ui.admin.outbox import OutboxState, outbox_page
from paysim_app.ui.admin.partner_cash import PartnerCashLimitState
from paysim_app.ui.admin.partner_stats import (
    PartnersComparisonState,
    PartnerStatsState,
    comparison_page,
)
from paysim_app.ui.admin.partners import (
    AdminPartnersState,
    AdminPartnerState,
    partner_page,
    partners_page,
)
from paysim_app.ui.admin.payments import AdminPaymentsState, AdminPaymentState, payment_page
from paysim_app.ui.admin.payments import payments_page as admin_payments_page
from paysim_app.ui.admin.privacy import (
    AdminClosuresState,
    LegalTextsState,
    closures_page,
    texts_page,
)
from paysim_app.ui.admin.quality import AdminQualityState
from paysim_app.ui.admin.quality import quality_page as admin_quality_page
from paysim_app.ui.admin.search import AdminSearchState, search_page
from paysim_app.ui.admin.sim_import import SimImportState, sim_import_page
from paysim_app.ui.admin.sims import AdminSimsState, AdminSimState, sim_page
from paysim_app.ui.admin.sims import sims_page as admin_sims_page
from paysim_app.ui.admin.subscribers import (
    AdminSubscribersState,
    AdminSubscriberState,
    subscriber_page,
    subscribers_page,
)
from paysim_app.ui.admin.support import AdminSupportState, AdminTicketState
from paysim_app.ui.admin.support import support_page as admin_support_page
from paysim_app.ui.admin.support import ticket_page as admin_ticket_page
from paysim_app.ui.admin.tariffs import (
    AdminAddonState,
    AdminTariffsState,
    AdminTariffState,
    addon_page,
    tariff_page,
)
from paysim_app.ui.admin.tariffs import tariffs_page as admin_tariffs_page
from paysim_app.ui.auth.confirm_login import ConfirmLoginState, confirm_login_page
from paysim_app.ui.auth.consent import ConsentState, LegalState, consent_page, legal_page
from paysim_app.ui.auth.pages import forgot_page, login_page, register_page, reset_page
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.auth.states import ForgotState, LoginState, RegisterState, ResetState
from paysim_app.ui.cabinet.autopay import AutopayState, autopay_page
from paysim_app.ui.cabinet.cards import CardsState, cards_page
from paysim_app.ui.cabinet.home import CabinetHomeState, cabinet_home
from paysim_app.ui.cabinet.notifications import (
    CabinetNotificationsState,
    cabinet_notifications_page,
)
from paysim_app.ui.cabinet.order import OrderFormState, OrderPageState, order_form_page, order_page
from paysim_app.ui.cabinet.payments import PaymentsState, payments_page
from paysim_app.ui.cabinet.profile import ProfileState, cabinet_profile_page
from paysim_app.ui.cabinet.quality import QualityState, quality_page
from paysim_app.ui.cabinet.services import ServicesState, services_page
from paysim_app.ui.cabinet.sims import SimsState, sims_page
from paysim_app.ui.cabinet.support import SupportState, TicketState, support_page, ticket_page
from paysim_app.ui.cabinet.tariffs import TariffsState, tariffs_page
from paysim_app.ui.cabinet.topup import TopupResultState, TopupState, topup_page, topup_result_page
from paysim_app.ui.cabinet.usage import UsageListState, usage_list_page
from paysim_app.ui.components.layout import coming_soon
from paysim_app.ui.components.login_change import LoginChangeState
from paysim_app.ui.components.nav import ADMIN, CABINET, PARTNER
from paysim_app.ui.components.profile import profile_page
from paysim_app.ui.components.sessions import SessionsState
from paysim_app.ui.door import Door
from paysim_app.ui.partner.activations import PartnerActivationsState, partner_activations_page
from paysim_app.ui.partner.home import PartnerHomeState, partner_home
from paysim_app.ui.partner.notifications import (
    PartnerNotificationsState,
    partner_notifications_page,
)
from paysim_app.ui.partner.orders import PartnerOrdersState, PartnerOrderState, partner_order_page
from paysim_app.ui.partner.payments import PartnerPaymentsState, partner_payments_page
from paysim_app.ui.partner.sims import PartnerSimsState, partner_sims_page
from paysim_app.ui.partner.stats import PartnerOwnStatsState, partner_stats_page
from paysim_app.ui.partner.subscribers import PartnerSubscribersState, partner_subscribers_page
from paysim_app.ui.partner.support import (
    PartnerSupportState,
    PartnerTicketState,
    partner_support_page,
    partner_ticket_page,
)
from paysim_app.ui.partner.topup import PartnerTopupState, partner_topup_page
from paysim_app.ui.public.connect import connect_page
from paysim_app.ui.public.coverage import PublicCoverageState, coverage_page
from paysim_app.ui.public.tariffs import PublicTariffsState, public_tariffs_page

app = rx.App(
    html_lang="ru",
    head_components=[
        rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
        rx.el.script(src="/page_lang.js"),  # <html lang> follows the language picked
    ],
    api_transformer=api,
    stylesheets=["/paysim.css"],
    # sonner's Toaster reads the page direction with getComputedStyle on every render unless
    # told: a forced style recalculation of the whole page each time a state delta arrives
    toaster=rx.toast.provider(dir="ltr"),
)


@contextlib.asynccontextmanager
async def _scheduler():
    """Every worker starts one; only the holder of the database lease runs the jobs."""
    running = scheduler.start()
    try:
        yield
    finally:
        scheduler.stop(running)


app.register_lifespan_task(_scheduler)


@contextlib.asynccontextmanager
async def _tabs_keep_their_state():
    """A graceful stop (a deploy) lets go of the tabs this worker served. Reflex forgets a tab's
    socket record in Redis when the socket closes, in a task nobody waits for, so a busy worker
    could end first and leave the record behind; the tab's next connection (to the restarted
    app) then looked like a duplicate tab, and Reflex gave it a new, empty page state. The
    worker ends only when those tasks are done, and deletes the records of sockets still open."""
    yield
    cleanups = [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith("reflex_disconnect_token|")  # Reflex 0.10's name
    ]
    if cleanups:
        await asyncio.wait(cleanups, timeout=10)
    manager = getattr(app.event_namespace, "_token_manager", None)  # not public in Reflex 0.10
    for token, record in list(getattr(manager, "token_to_socket", {}).items()):
        if record.instance_id == manager.instance_id:
            await manager.disconnect_token(token, record.sid)


app.register_lifespan_task(_tabs_keep_their_state)
# the access check before every event, ahead of Reflex's own hydrate middleware
app.add_middleware(Door(), index=0)

TITLE = "PaySim"


# The pages are added together at the end (_add_pages): Reflex recomputes every state's var
# dependencies for each route argument a page brings that it has not seen, so the arguments are
# installed in one call first and the dependencies computed once (every process that serves or
# imports the app pays for this module's import; bench/README.md, "The test suite's time").
_PAGES: list[tuple] = []


def _page(component, route: str, on_load) -> None:
    _PAGES.append((component, route, on_load))


def _add_pages() -> None:
    arguments: dict[str, str] = {}
    for _, route, _ in _PAGES:
        arguments.update(get_route_args(route))
    rx.State.setup_dynamic_args(arguments)
    for component, route, on_load in _PAGES:
        app.add_page(component, route=route, title=TITLE, on_load=on_load)


# signed-out pages
_page(rx.fragment, "/", SessionState.go_home)
_page(login_page, "/login", LoginState.on_load)
_page(register_page, "/register", RegisterState.on_load)
_page(forgot_page, "/forgot", ForgotState.on_load)
_page(reset_page, "/reset", ResetState.on_load)
_page(confirm_login_page, "/confirm-login", ConfirmLoginState.on_load)
_page(consent_page, "/consent", ConsentState.load)
_page(legal_page, "/legal", LegalState.load)

# public pages (no sign-in, indexable: a title and a description of their own)
app.add_page(
    public_tariffs_page,
    route="/tariffs",
    title=t("public.meta.tariffs_title"),
    description=t("public.meta.tariffs_description"),
    on_load=PublicTariffsState.load,
)
app.add_page(
    coverage_page,
    route="/coverage",
    title=t("coverage.meta.title"),
    description=t("coverage.meta.description"),
    on_load=PublicCoverageState.load,
)
app.add_page(
    connect_page,
    route="/connect",
    title=t("public.meta.connect_title"),
    description=t("public.meta.connect_description"),
)

# the three trees: built pages first, then each remaining menu entry as "coming soon"
_page(cabinet_home, "/cabinet", CabinetHomeState.load)
_page(cabinet_notifications_page, "/cabinet/notifications", CabinetNotificationsState.load)
_page(topup_page, "/cabinet/topup", TopupState.load)
_page(topup_result_page, "/cabinet/topup/result", TopupResultState.load)
_page(cards_page, "/cabinet/cards", CardsState.load)
_page(autopay_page, "/cabinet/autopay", AutopayState.load)
_page(payments_page, "/cabinet/payments", PaymentsState.load)
_page(usage_list_page, "/cabinet/usage", UsageListState.load)
_page(quality_page, "/cabinet/quality", QualityState.load)
_page(sims_page, "/cabinet/sims", SimsState.load)
_page(ticket_page, "/cabinet/support/[ticket_id]", TicketState.load)
_page(support_page, "/cabinet/support", SupportState.load)
_page(
    cabinet_profile_page,
    "/cabinet/profile",
    [ProfileState.load, SessionsState.load, LoginChangeState.load],
)
_page(services_page, "/cabinet/services", ServicesState.load)
_page(tariffs_page, "/cabinet/tariffs", TariffsState.load)
_page(order_form_page, "/cabinet/order", OrderFormState.load)
_page(order_page, "/cabinet/order/[order_id]", OrderPageState.load)
_page(partner_home, "/partner", PartnerHomeState.load)
_page(partner_notifications_page, "/partner/notifications", PartnerNotificationsState.load)
_page(partner_topup_page, "/partner/topup", PartnerTopupState.load)
_page(partner_stats_page, "/partner/stats", PartnerOwnStatsState.load)
_page(partner_support_page, "/partner/support", PartnerSupportState.load)
_page(partner_ticket_page, "/partner/support/[ticket_id]", PartnerTicketState.load)
_page(partner_sims_page, "/partner/sims", PartnerSimsState.load)
_page(partner_subscribers_page, "/partner/subscribers", PartnerSubscribersState.load)
_page(partner_payments_page, "/partner/payments", PartnerPaymentsState.load)
_page(
    partner_activations_page,
    "/partner/activations",
    [PartnerActivationsState.load, PartnerOrdersState.load],
)
_page(partner_order_page, "/partner/orders/[order_id]", PartnerOrderState.load)
_page(admin_home, "/admin", AdminHomeState.load)
_page(admin_notifications_page, "/admin/notifications", AdminNotificationsState.load)
_page(outbox_page, "/admin/outbox", OutboxState.load)
_page(sim_import_page, "/admin/sims/import", SimImportState.load)
_page(search_page, "/admin/search", AdminSearchState.load)
_page(admin_sims_page, "/admin/sims", AdminSimsState.load)
_page(sim_page, "/admin/sims/new", AdminSimState.load)
_page(sim_page, "/admin/sims/[sim_id]", AdminSimState.load)
_page(admin_payments_page, "/admin/payments", AdminPaymentsState.load)
_page(payment_page, "/admin/payments/[payment_id]", AdminPaymentState.load)
_page(admin_tariffs_page, "/admin/tariffs", AdminTariffsState.load)
_page(tariff_page, "/admin/tariffs/new", AdminTariffState.load)
_page(tariff_page, "/admin/tariffs/[tariff_id]", AdminTariffState.load)
_page(addon_page, "/admin/addons/new", AdminAddonState.load)
_page(addon_page, "/admin/addons/[addon_id]", AdminAddonState.load)
_page(
    activations_page,
    "/admin/activations",
    [AdminActivationsState.load, AdminTariffChangesState.load, AdminOrdersState.load],
)
_page(admin_order_page, "/admin/activations/orders/[order_id]", AdminOrderState.load)
_page(activation_page, "/admin/activations/[request_id]", AdminActivationState.load)
_page(tariff_change_page, "/admin/activations/tariffs/[change_id]", AdminTariffChangeState.load)
_page(blocks_page, "/admin/blocks", [AdminBlocksState.load, AdminUnblocksState.load])
_page(block_page, "/admin/blocks/[block_id]", AdminBlockState.load)
_page(partners_page, "/admin/partners", AdminPartnersState.load)
_page(comparison_page, "/admin/partners/stats", PartnersComparisonState.load)
_page(partner_page, "/admin/partners/new", AdminPartnerState.load)
_page(
    partner_page,
    "/admin/partners/[partner_id]",
    [AdminPartnerState.load, PartnerStatsState.load, PartnerCashLimitState.load],
)
_page(subscribers_page, "/admin/subscribers", AdminSubscribersState.load)
_page(new_contract_page, "/admin/subscribers/new", NewContractState.load)
_page(
    subscriber_page,
    "/admin/subscribers/[subscriber_id]",
    [AdminSubscriberState.load, PutSimsState.load],
)
_page(admin_support_page, "/admin/support", AdminSupportState.load)
_page(admin_ticket_page, "/admin/support/[ticket_id]", AdminTicketState.load)
_page(admins_page, "/admin/admins", AdminAdminsState.load)
_page(roles_page, "/admin/admins/roles", AdminRolesState.load)
_page(admin_page, "/admin/admins/[user_id]", AdminAdminState.load)
_page(audit_page, "/admin/audit", AdminAuditState.load)
_page(admin_quality_page, "/admin/quality", AdminQualityState.load)
_page(closures_page, "/admin/privacy", AdminClosuresState.load)
_page(texts_page, "/admin/privacy/texts", LegalTextsState.load)
_page(admin_coverage_page, "/admin/coverage", CoverageSettlementsState.load)
_page(settlement_page, "/admin/coverage/settlements/[settlement_id]", CoverageSettlementState.load)
_page(station_page, "/admin/coverage/stations/new", CoverageStationState.load)
_page(station_page, "/admin/coverage/stations/[station_id]", CoverageStationState.load)

GUARDS = {
    "cabinet": lambda item: SessionState.guard_cabinet,
    "partner": lambda item: SessionState.guard_partner,
    "admin": lambda item: (
        SessionState.guard_admin_section(item.permission.split(".")[0])
        if item.permission
        else SessionState.guard_admin
    ),
}
BUILT = {
    "/cabinet",
    "/cabinet/topup",
    "/cabinet/cards",
    "/cabinet/autopay",
    "/cabinet/notifications",
    "/cabinet/payments",
    "/cabinet/usage",
    "/cabinet/quality",
    "/cabinet/sims",
    "/cabinet/support",
    "/cabinet/profile",
    "/cabinet/services",
    "/cabinet/tariffs",
    "/cabinet/order",
    "/partner",
    "/partner/notifications",
    "/partner/topup",
    "/partner/stats",
    "/partner/support",
    "/partner/sims",
    "/partner/subscribers",
    "/partner/payments",
    "/partner/activations",
    "/admin",
    "/admin/notifications",
    "/admin/outbox",
    "/admin/sims/import",
    "/admin/sims",
    "/admin/payments",
    "/admin/tariffs",
    "/admin/activations",
    "/admin/blocks",
    "/admin/partners",
    "/admin/subscribers",
    "/admin/support",
    "/admin/admins",
    "/admin/audit",
    "/admin/quality",
    "/admin/privacy",
    "/admin/coverage",
}

for tree, items in (("cabinet", CABINET), ("partner", PARTNER), ("admin", ADMIN)):
    for item in items:
        if item.path in BUILT:
            continue
        if item.key == "nav.profile":
            _page(
                lambda tree=tree: profile_page(tree),
                item.path,
                [GUARDS[tree](item), SessionsState.load, LoginChangeState.load],
            )
        else:
            _page(
                lambda tree=tree, key=item.key: coming_soon(tree, key),
                item.path,
                GUARDS[tree](item),
            )

_add_pages()
