"""A partner hands out a SIM a customer ordered for pick-up there (sims.orders): the existing
sale (cabinet.sell_sim) of one of its in-stock SIMs, filed for the ordering customer's own
contract, binds the order; the admin's approval of that activation request puts the SIM on the
customer's contract and makes the order active.

The pick-up orders' list and the order's other steps (ready for pick-up, rejected with a
reason) are sims.orders' verbs, which check the partner too.
"""

from __future__ import annotations

from sqlmodel import Session

from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.partners import cabinet
from paysim_app.sims import orders


@verb
def sale_form_for(session: Session, actor: Actor, order_id: int) -> cabinet.SaleForm:
    """The sale form prefilled with the order's customer and tariff (its e-mail: the
    contract's, which may be empty: the order's contract needs none)."""
    view = orders.order_for_hand_out(session, actor, order_id)
    return cabinet.SaleForm(
        customer_name=view.customer_name,
        phone=view.customer_phone,
        email="",
        document=view.document_no,
        tariff_id=str(view.tariff_id),
    )


@verb
def hand_out_order(
    session: Session, actor: Actor, order_id: int, sim_id: int, form: cabinet.SaleForm
) -> orders.OrderView:
    """Sell `sim_id` (from the partner's stock) for the pick-up order `order_id`, with the
    form's customer data (checked as any sale's), to the ordering contract; the order is
    handed out. Another partner's order, or one not waiting for a pick-up: refused."""
    view = orders.order_for_hand_out(session, actor, order_id)
    sale = cabinet.sell_sim(session, actor, sim_id, form, subscriber_id=view.subscriber_id)
    return orders.bind_handed_out(session, actor, order_id, sale.request_id)
