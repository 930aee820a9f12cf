"""HTTP routes beside the Reflex app (plain Starlette): webhooks, speed test, downloads."""
