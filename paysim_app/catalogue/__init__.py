"""What is sold: tariff plans and add-on services.

Public (`__all__`): every module: addons (the cabinet's purchases, the cycle's renewals),
tariffs (the admin's edits), catalogue_lists (the admin's lists), static_ips (the pool of
static addresses: the admin adds ranges, the static-IP add-on takes and frees them), public
(what a visitor sees without signing in: the tariffs on sale and the add-ons).
"""

# the billing cycle renews add-ons through billing.cycle.renews_addons: importing the package
# registers the step, whichever of its modules a caller imports first
from paysim_app.catalogue import addons as _addons  # noqa: F401

__all__ = ["addons", "catalogue_lists", "public", "static_ips", "tariffs"]
