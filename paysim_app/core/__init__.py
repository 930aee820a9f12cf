"""What every context shares: domain errors, who may do what (permissions), the audit log, the
outbox and notifications, leases, the list machinery and CSV writing, set-based statements,
signed links, pacing, form keys, limits on abuse and throttles, the numbers and logins people
type, the choices back-office forms offer."""

from paysim_app.models.base import utcnow  # "now" as every context writes it (aware UTC)

__all__ = ["utcnow"]
