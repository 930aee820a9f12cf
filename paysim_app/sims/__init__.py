"""The SIM's life: a subscriber's own SIMs, activation and blocking queues, tariff changes, the
admin's stock and the CSV import.

Public (`__all__`): every module, each the verbs of pages (own_sims, activations, blocks,
tariff_changes, inventory, queue_lists; usage: the network's usage feed; allowance: the
period's allowance computed from tariff, add-ons and usage; usage_view: usage as the pages
show it; usage_list: the subscriber's usage by SIM and day as a list; usage_months: final days
rolled up into months for the histories; advisor: the cheapest
tariff for the SIM's last three months), the importing sub-package (its own `__all__` is its
surface, its modules are internal), the status machine and the values of the pages' filters.
"""

# the status machine: the one writer of a SIM's status (it lives in core because the ledger,
# below sims, suspends for debt)
from paysim_app.core import sim_lifecycle as lifecycle

# the values its statuses and reasons take, for the pages' filters and forms
from paysim_app.models.orders import ORDER_STATUSES, ORDER_WAYS
from paysim_app.models.requests import BLOCK_REASONS, REQUEST_STATUSES, TARIFF_CHANGE_WHEN
from paysim_app.models.sims import SIM_STATUSES

# the network policy registers itself here (the marks' handler and the billing cycle's sweep):
# whoever imports the SIM context gets the policy kept with every status or add-on change;
# likewise a SIM order follows the activation request it became (sims.orders)
from paysim_app.sims import orders, policy

__all__ = [
    "activations",
    "advisor",
    "allowance",
    "blocks",
    "importing",
    "inventory",
    "orders",
    "own_sims",
    "policy",
    "queue_lists",
    "tariff_changes",
    "usage",
    "usage_history",
    "usage_list",
    "usage_months",
    "usage_view",
    "BLOCK_REASONS",
    "ORDER_STATUSES",
    "ORDER_WAYS",
    "REQUEST_STATUSES",
    "SIM_STATUSES",
    "TARIFF_CHANGE_WHEN",
    "lifecycle",
]
