"""What every context shares: domain errors, who may do what (permissions), the audit log, the
outbox and notifications, leases, the list machinery and CSV writing, set-based statements,
signed links, pacing, form keys, limits on abuse and throttles, the numbers and logins people
type, the choices back-office forms offer.

The shared kernel: every module of it is public, to every context and page (so it is not in the
public_surface contract of .importlinter); `__all__` names the values re-exported here.
"""

from paysim_app.models.base import utcnow  # "now" as every context writes it (aware UTC)

__all__ = ["utcnow"]
