"""What is sold: tariff plans and add-on services."""

# the billing cycle renews add-ons through billing.cycle.renews_addons: importing the package
# registers the step, whichever of its modules a caller imports first
from paysim_app.catalogue import addons as _addons  # noqa: F401
