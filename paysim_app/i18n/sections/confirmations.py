"""Texts of autopay charges waiting for the subscriber's confirmation (billing.confirmations):
the status, the notification and e-mail with the link, the autopay page's card."""

RU = {
    "statement.status.requires_action": "Ждёт подтверждения",
    "autopay.run.requires_action": "Ждёт подтверждения",
    "notify.autopay_confirm.title": "Подтвердите автоплатёж {amount_kop} для {msisdn}",
    "notify.autopay_confirm.body": (
        "Банк попросил подтвердить списание {amount_kop} по автоплатежу (3-D Secure). "
        "Деньги не списаны. Подтвердите платёж до {until}: {link} — "
        "до тех пор мы не будем повторять списание."
    ),
    "profile.kind.autopay_confirm": "Автоплатёж ждёт подтверждения",
    "autopay.confirm.title": "Платёж ждёт вашего подтверждения",
    "autopay.confirm.body": "Банк попросил подтвердить списание {amount} с карты {card} (3-D Secure). Деньги не списаны, повторных попыток не будет, пока платёж ждёт.",
    "autopay.confirm.until": "Подтвердить можно до {date}.",
    "autopay.confirm.on_page": "Страница оплаты открыта — завершите подтверждение там.",
    "autopay.confirm.button": "Подтвердить платёж",
    "autopay.confirm.error.closed": "Этот платёж уже не ждёт подтверждения.",
    "autopay.confirm.error.link": "Ссылка недействительна или устарела. Платежи, которые ждут подтверждения, показаны ниже.",
}

EN = {
    "statement.status.requires_action": "Awaiting confirmation",
    "autopay.run.requires_action": "Awaiting confirmation",
    "notify.autopay_confirm.title": "Confirm the autopay of {amount_kop} for {msisdn}",
    "notify.autopay_confirm.body": (
        "Your bank asks you to confirm the autopay charge of {amount_kop} (3-D Secure). "
        "Nothing has been taken. Confirm the payment by {until}: {link} — "
        "until then we will not try to charge again."
    ),
    "profile.kind.autopay_confirm": "Autopay awaiting confirmation",
    "autopay.confirm.title": "A payment awaits your confirmation",
    "autopay.confirm.body": "Your bank asks you to confirm the charge of {amount} to {card} (3-D Secure). Nothing has been taken, and no new attempt is made while it waits.",
    "autopay.confirm.until": "You can confirm it until {date}.",
    "autopay.confirm.on_page": "The payment page is open — finish the confirmation there.",
    "autopay.confirm.button": "Confirm payment",
    "autopay.confirm.error.closed": "This payment no longer awaits confirmation.",
    "autopay.confirm.error.link": "The link is invalid or has expired. Payments awaiting confirmation are shown below.",
}
