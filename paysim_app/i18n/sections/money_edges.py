"""Texts of refunds in parts (the statement, the admin's payments)."""

RU = {
    "statement.status.partly_refunded": "Частично возвращён",
    "statement.refunded_of": "возвращено {refunded} из {amount}",
    "admin_payments.col.refunded": "Возвращено",
    "admin_payments.refunded_total": "Возвращено",
    "admin_payments.refunded_value": "{refunded} из {amount}",
    "admin_payments.refund_rest": "Вернуть остаток {amount}",
    "admin_payments.refunds": "Возвраты",
    "admin_payments.refunds_empty": "Возвратов не было.",
    "admin_payments.refund_ref": "Возврат",
    "admin_payments.refund_by": "Кто вернул",
    "admin_payments.refund_by_gateway": "Платёжный шлюз",
}

EN = {
    "statement.status.partly_refunded": "Partly refunded",
    "statement.refunded_of": "refunded {refunded} of {amount}",
    "admin_payments.col.refunded": "Refunded",
    "admin_payments.refunded_total": "Refunded",
    "admin_payments.refunded_value": "{refunded} of {amount}",
    "admin_payments.refund_rest": "Refund the remaining {amount}",
    "admin_payments.refunds": "Refunds",
    "admin_payments.refunds_empty": "Nothing has been refunded.",
    "admin_payments.refund_ref": "Refund",
    "admin_payments.refund_by": "Refunded by",
    "admin_payments.refund_by_gateway": "The payment gateway",
}
