"""Money: the ledger, payments and refunds, top-ups by card and by dealers, autopay, saved cards,
the billing cycle and statements.

Public (`__all__`): every module, each the verbs of one page or of the other contexts (the ledger
and payments they post to, the cycle the CLI and the jobs run), and the pages' filter values.
"""

# autopay follows every settlement through payments.after_settlement: importing the package
# registers it, whichever of its modules a caller imports first
from paysim_app.billing import autopay as _autopay  # noqa: F401

# disputes read the provider's charge.dispute.* events that payments.apply_event hands on
from paysim_app.billing import disputes as _disputes  # noqa: F401

# a SIM order's prepayment that settles after its order moved on is credited or given back
from paysim_app.billing import prepayments as _prepayments  # noqa: F401

# receipts follow every settlement too (a receipt for each payment that succeeded)
from paysim_app.billing import receipts as _receipts  # noqa: F401
from paysim_app.models.billing import PAYMENT_METHODS, PAYMENT_STATUSES  # the pages' filters

__all__ = [
    "autopay",
    "cards",
    "checkout",
    "cycle",
    "disputes",
    "ledger",
    "partner_topups",
    "payment_lists",
    "payments",
    "prepayments",
    "receipts",
    "statement",
    "topups",
    "PAYMENT_METHODS",
    "PAYMENT_STATUSES",
]
