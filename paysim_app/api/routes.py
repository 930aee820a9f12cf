"""The Starlette app Reflex mounts its own API into (rx.App(api_transformer=...))."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from paysim_app.api.stripe_webhook import stripe_webhook

api = Starlette(
    routes=[
        Route("/api/stripe/webhook", stripe_webhook, methods=["POST"]),
    ]
)
