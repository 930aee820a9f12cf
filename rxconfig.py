"""Reflex configuration. Everything environment-specific comes from paysim_app.settings."""

import os
import sys
from urllib.parse import urlsplit

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from paysim_app.settings import get_settings
from paysim_app.ui.theme_css import SplitRadixThemesPlugin
from paysim_app.ui.vite_chunks import IconChunkPlugin

settings = get_settings()
_public = urlsplit(settings.paysim_public_url)
_port = _public.port or 3000

# The websocket accepts only the app's own origin (and its 127.0.0.1/localhost twin).
_origins = {f"{_public.scheme}://{_public.netloc}"}
if _public.hostname in ("localhost", "127.0.0.1"):
    _origins |= {f"{_public.scheme}://localhost:{_port}", f"{_public.scheme}://127.0.0.1:{_port}"}

# `reflex run --backend-only` (extra backend processes, the scheduler test) refuses any frontend
# port, even one set here: leave it out then
_backend_only = "--backend-only" in sys.argv or os.environ.get(
    "REFLEX_BACKEND_ONLY", ""
).lower() in ("1", "true", "yes")

config = rx.Config(
    app_name="paysim_app",
    telemetry_enabled=False,
    frontend_port=None if _backend_only else _port,
    backend_port=_port,
    deploy_url=settings.paysim_public_url,
    api_url=settings.paysim_public_url,
    cors_allowed_origins=sorted(_origins),
    redis_url=settings.redis_url,
    show_built_with_reflex=False,
    plugins=[
        # Radix Themes with only the colour scales and components in use (paysim_app/ui/theme_css.py)
        SplitRadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        ),
        # the icons the pages import in one script chunk (paysim_app/ui/vite_chunks.py)
        IconChunkPlugin(),
    ],
    disable_plugins=[SitemapPlugin],
)
