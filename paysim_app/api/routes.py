"""The Starlette app Reflex mounts its own API into (rx.App(api_transformer=...))."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from paysim_app.api import (
    exports,
    policy,
    privacy,
    receipts,
    sandbox_checkout,
    speedtest,
    unsubscribe,
    usage,
)
from paysim_app.api.stripe_webhook import stripe_webhook

api = Starlette(
    routes=[
        Route("/api/stripe/webhook", stripe_webhook, methods=["POST"]),
        # the sandbox gateway's test payment page (PAYSIM_GATEWAY=sandbox only)
        Route(
            "/api/sandbox/checkout/{session_id}", sandbox_checkout.checkout_page, methods=["GET"]
        ),
        Route(
            "/api/sandbox/checkout/{session_id}",
            sandbox_checkout.checkout_action,
            methods=["POST"],
        ),
        Route("/api/speedtest/garbage", speedtest.garbage, methods=["GET"]),
        Route("/api/speedtest/empty", speedtest.empty, methods=["GET", "POST"]),
        Route("/api/speedtest/getIP", speedtest.get_ip, methods=["GET"]),
        Route("/api/speedtest/result", speedtest.result, methods=["POST"]),
        Route("/api/export/{name}", exports.export_csv, methods=["GET"]),
        Route("/api/receipts/{payment_id}", receipts.receipt_pdf, methods=["GET"]),
        # a subscriber's own data archive (152-FZ), by a signed link from the profile page
        Route("/api/privacy/archive", privacy.archive, methods=["GET"]),
        # the link in a notification e-mail (GET asks, POST and one-click unsubscribe do it)
        Route("/api/unsubscribe", unsubscribe.unsubscribe_page, methods=["GET"]),
        Route("/api/unsubscribe", unsubscribe.unsubscribe_action, methods=["POST"]),
        # the network's mediation system delivers usage records (bearer token per sender)
        Route("/api/usage", usage.receive, methods=["POST"]),
        # the packet core reads the SIMs' speed limit, block and suspension (same tokens)
        Route("/api/policy", policy.feed, methods=["GET"]),
    ]
)
