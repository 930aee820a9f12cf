"""The production checks `make prod` runs before it starts anything: each demo default that
must not reach real customers, and each service the workers share, is named with what to set."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from paysim_app.core import rate_limits
from paysim_app.payments.sandbox import BUILTIN_WEBHOOK_SECRET
from paysim_app.settings import Settings

DEMO_SECRET = Settings.model_fields["paysim_secret_key"].default
DEMO_SELLER_INN = Settings.model_fields["paysim_seller_inn"].default
MIN_SECRET = 32


def problems(settings: Settings) -> list[str]:
    """What stops a production start (empty: all good)."""
    found: list[str] = []
    if not settings.database_url.startswith(("postgresql", "postgres://")):
        found.append("DATABASE_URL must name PostgreSQL (postgresql://user:password@host/db)")
    if not settings.redis_url:
        found.append("REDIS_URL must be set: several backend workers share the UI state there")
    if settings.paysim_demo:
        found.append("PAYSIM_DEMO must be 0: demo mode seeds well-known passwords")
    if settings.paysim_secret_key == DEMO_SECRET or len(settings.paysim_secret_key) < MIN_SECRET:
        found.append(
            f"PAYSIM_SECRET_KEY must be your own random value of {MIN_SECRET}+ characters "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    if (
        settings.paysim_gateway == "sandbox"
        and not settings.paysim_demo
        and settings.stripe_webhook_secret.strip() in ("", BUILTIN_WEBHOOK_SECRET)
    ):
        found.append(
            "STRIPE_WEBHOOK_SECRET must be your own random value with PAYSIM_GATEWAY=sandbox: "
            f"empty, the sandbox signs webhooks with its public built-in {BUILTIN_WEBHOOK_SECRET}"
        )
    try:
        rate_limits.parse_rules(settings.paysim_rate_limits)
    except ValueError as exc:
        found.append(str(exc))
    if settings.paysim_fiscal_provider == "atol":
        if not (settings.atol_login and settings.atol_password and settings.atol_group_code):
            found.append(
                "ATOL_LOGIN, ATOL_PASSWORD and ATOL_GROUP_CODE must be set for "
                "PAYSIM_FISCAL_PROVIDER=atol"
            )
        if settings.paysim_seller_inn == DEMO_SELLER_INN:
            found.append("PAYSIM_SELLER_INN must be the seller's own INN, not the demo one")
    if settings.paysim_sms_provider == "smpp":
        found += smpp_problems(settings)
    if settings.paysim_gateway == "stripe":
        if not settings.stripe_secret_key or not settings.stripe_webhook_secret:
            found.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set for Stripe")
        if settings.stripe_api_base:
            found.append("STRIPE_API_BASE must be empty: it points the SDK at a test server")
    return found


def warnings(settings: Settings) -> list[str]:
    """What is allowed but worth a second look."""
    found: list[str] = []
    if settings.paysim_gateway == "sandbox":
        found.append("PAYSIM_GATEWAY=sandbox: no real money moves (set stripe for production)")
    if settings.paysim_fiscal_provider == "sandbox":
        found.append(
            "PAYSIM_FISCAL_PROVIDER=sandbox: receipts are not registered with the tax service "
            "(set atol and its ATOL_* settings for production)"
        )
    if settings.paysim_seller_inn == DEMO_SELLER_INN:
        found.append("PAYSIM_SELLER_INN is the demo one: receipts name a seller that is not you")
    if urlsplit(settings.paysim_public_url).hostname in ("localhost", "127.0.0.1"):
        found.append("PAYSIM_PUBLIC_URL is this machine: set the address customers use")
    elif urlsplit(settings.paysim_public_url).scheme != "https":
        found.append("PAYSIM_PUBLIC_URL is not https: card pages need TLS at the proxy")
    if not settings.smtp_host:
        found.append(
            "SMTP_HOST is empty: no e-mail is sent (password resets, invitations, receipts, "
            "notifications); they wait in the outbox (/admin/outbox) until SMTP_HOST is set"
        )
    elif settings.smtp_ca_file and not os.path.isfile(settings.smtp_ca_file):
        found.append(
            f"SMTP_CA_FILE {settings.smtp_ca_file} is not a file: no e-mail can be sent "
            "(every message waits)"
        )
    elif settings.smtp_security == "none" and settings.smtp_host not in ("localhost", "127.0.0.1"):
        found.append(
            "SMTP_SECURITY=none to a remote SMTP server: e-mails (with reset links) and the "
            "SMTP password travel unencrypted (use starttls or tls)"
        )
    if settings.paysim_sms_provider == "sandbox":
        found.append(
            "PAYSIM_SMS_PROVIDER=sandbox: text messages (phone codes, notifications) are only "
            "logged (set smpp and its SMPP_* settings for production)"
        )
    return found


def smpp_problems(settings: Settings) -> list[str]:
    """What stops SMS over SMPP: missing settings, or values SMPP 3.4 cannot carry (smpplib
    would cut a long password silently and the SMSC refuse it)."""
    from paysim_app.messaging.smpp import source_problem

    found = []
    if not settings.smpp_host or not settings.smpp_system_id:
        found.append("SMPP_HOST and SMPP_SYSTEM_ID must be set for PAYSIM_SMS_PROVIDER=smpp")
    for name, value, most in (
        ("SMPP_SYSTEM_ID", settings.smpp_system_id, 15),
        ("SMPP_PASSWORD", settings.smpp_password, 8),
        ("SMPP_SYSTEM_TYPE", settings.smpp_system_type, 12),
    ):
        if len(value) > most or not value.isascii():
            found.append(f"{name} must be at most {most} ASCII characters (SMPP 3.4)")
    if why := source_problem(settings.smpp_source_addr):
        found.append(why)
    return found


def smpp_bindable(settings: Settings) -> str | None:
    """None when the SMSC accepts a bind with these settings (then unbinds), else why not."""
    from paysim_app.messaging.base import DeliveryError
    from paysim_app.messaging.smpp import SmppSender

    sender = SmppSender.from_settings(settings)
    try:
        sender.bind()
    except DeliveryError as exc:
        return f"SMPP: {exc.reason}"
    finally:
        sender.close()
    return None


def redis_reachable(url: str) -> str | None:
    """None when Redis answers PING, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"REDIS_URL does not answer: {exc}"
    return None


def database_warnings(settings: Settings, workers: int) -> list[str]:
    """What the PostgreSQL server says about running under `workers` backend workers: its
    connection limit against the pools, and autovacuum (without it the planner's statistics
    go stale after bulk imports and billing, and list pages turn slow)."""
    from sqlalchemy import text

    from paysim_app.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
            autovacuum = conn.execute(text("SHOW autovacuum")).scalar_one()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the message
        return [f"DATABASE_URL does not answer: {exc}".splitlines()[0]]
    finally:
        engine.dispose()
    found = []
    wanted = workers * (settings.paysim_db_pool_size + settings.paysim_db_pool_overflow)
    if wanted >= limit:
        found.append(
            f"{workers} workers x {settings.paysim_db_pool_size}+"
            f"{settings.paysim_db_pool_overflow} pooled connections = {wanted}, but PostgreSQL "
            f"allows {limit} (max_connections): lower PAYSIM_DB_POOL_* or WORKERS"
        )
    if autovacuum != "on":
        found.append("PostgreSQL's autovacuum is off: statistics go stale after bulk changes")
    return found
