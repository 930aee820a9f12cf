"""Texts of the customer's and the dealer's own lists on the shared list machinery: the
subscriber's payment history, tickets and usage, and the dealer's payments
(billing.statement.STATEMENT_LIST, support and partners' list specs)."""

RU = {
    "own_lists.statement.comment": "Комментарий",
    "own_lists.statement.card": "Последние 4 цифры карты",
    "own_lists.statement.period": "Период абонентской платы",
    "own_lists.partner_payments.title": "Платежи",
    "own_lists.partner_payments.commission": "Комиссия",
    "own_lists.partner_payments.refunded": "возвращено {amount}",
    "own_lists.partner_payments.search": "Поиск: номер, абонент, договор, #номер платежа",
    "own_lists.partner_payments.empty": "Платежей не найдено.",
    "nav.partner_payments": "Платежи",
    "own_lists.tickets.sim": "Сим-карта",
    "own_lists.tickets.created": "Создано",
    "own_lists.tickets.rating": "Оценка ответа",
    "own_lists.tickets.search": "Поиск: заголовок, текст сообщений, № обращения",
}

EN = {
    "own_lists.statement.comment": "Comment",
    "own_lists.statement.card": "Card's last 4 digits",
    "own_lists.statement.period": "Monthly fee's period",
    "own_lists.partner_payments.title": "Payments",
    "own_lists.partner_payments.commission": "Commission",
    "own_lists.partner_payments.refunded": "refunded {amount}",
    "own_lists.partner_payments.search": "Search: number, subscriber, contract, #payment",
    "own_lists.partner_payments.empty": "No payments found.",
    "nav.partner_payments": "Payments",
    "own_lists.tickets.sim": "SIM",
    "own_lists.tickets.created": "Created",
    "own_lists.tickets.rating": "Rating of the answer",
    "own_lists.tickets.search": "Search: subject, message text, ticket number",
}
