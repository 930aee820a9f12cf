"""Texts of messaging: the e-mail layout, the unsubscribe page, bounces and failed messages,
the admin outbox page."""

RU = {
    # -- the e-mail around a message (messaging.compose)
    "mail.brand": "PaySim",
    "mail.footer.auto": "Это письмо отправлено автоматически, отвечать на него не нужно.",
    "mail.footer.unsubscribe": (
        "Вы получили его, потому что включили такие уведомления на почту. "
        "Отписаться от них: {link}\nОстальные настройки уведомлений — в личном кабинете."
    ),
    # -- a password reset (accounts.identity.send_reset_link), in its owner's language
    "mail.password_reset.subject": "PaySim: новый пароль",
    "mail.password_reset.body": (
        "Здравствуйте!\n\nЧтобы задать новый пароль личного кабинета PaySim, откройте ссылку "
        "(она действует {minutes} мин. и только один раз):\n{link}\n\n"
        "Если вы не просили сменить пароль, ничего не делайте: прежний пароль продолжит работать."
    ),
    # -- /api/unsubscribe
    "unsubscribe.title": "Отписка от писем PaySim",
    "unsubscribe.ask": (
        "Больше не присылать на почту уведомления «{kind}»? В личном кабинете они останутся."
    ),
    "unsubscribe.button": "Отписаться",
    "unsubscribe.done": (
        "Готово: уведомления «{kind}» больше не придут на почту. "
        "Их можно снова включить в настройках уведомлений в личном кабинете."
    ),
    "unsubscribe.locked": "Эти уведомления отключить нельзя: они нужны для безопасности.",
    "unsubscribe.invalid": (
        "Ссылка недействительна или устарела. Настроить уведомления можно в личном кабинете."
    ),
    "unsubscribe.cabinet": "Войти в личный кабинет",
    # -- in-app notices (core.notify renders notify.<kind>.title / .body)
    "notify.email_bounced.title": "Письма не доходят до {email}",
    "notify.email_bounced.body": (
        "Почтовый сервер отказался принимать письма для {email}: такого адреса нет или он "
        "закрыт. Проверьте адрес в профиле и укажите действующий — иначе вы не получите "
        "чеки и уведомления на почту."
    ),
    "notify.message_failed.title": "Сообщение № {id} не доставлено",
    "notify.message_failed.body": (
        "Канал: {channel}, получатель: {to}, вид: {kind}.\nПричина: {reason}\n"
        "Повторить отправку можно на странице исходящих сообщений."
    ),
    # -- profile
    "profile.email_bounced": "Письма на этот адрес не доходят: проверьте его и укажите другой.",
    # -- /admin/outbox
    "outbox.status": "Состояние",
    "outbox.status.waiting": "ждёт",
    "outbox.status.sending": "отправляется",
    "outbox.status.sent": "отправлено",
    "outbox.status.failed": "не доставлено",
    "outbox.channel": "Канал",
    "outbox.channel.email": "почта",
    "outbox.channel.sms": "SMS",
    "outbox.attempts": "Попыток",
    "outbox.next_attempt": "Следующая попытка",
    "outbox.error": "Причина",
    "outbox.filter.all_statuses": "Все состояния",
    "outbox.filter.all_channels": "Все каналы",
    "outbox.retry": "Отправить снова",
    "outbox.retried_n": "Снова в очереди: {n}. Повторяются только недоставленные сообщения.",
    "outbox.selected": "Выбрано:",
    "outbox.search": "Получатель или тема",
}

EN = {
    "mail.brand": "PaySim",
    "mail.footer.auto": "This e-mail was sent automatically; there is no need to reply.",
    "mail.footer.unsubscribe": (
        "You get it because these notifications are on for your e-mail. "
        "Unsubscribe from them: {link}\nYour other notification settings are in your account."
    ),
    "mail.password_reset.subject": "PaySim: a new password",
    "mail.password_reset.body": (
        "Hello,\n\nTo set a new password for your PaySim account, open this link (it works "
        "once, for {minutes} min):\n{link}\n\n"
        "If you did not ask for it, do nothing: your current password keeps working."
    ),
    "unsubscribe.title": "Unsubscribe from PaySim e-mails",
    "unsubscribe.ask": (
        "Stop e-mailing you \u201c{kind}\u201d notifications? They stay in your account."
    ),
    "unsubscribe.button": "Unsubscribe",
    "unsubscribe.done": (
        "Done: \u201c{kind}\u201d notifications will no longer come by e-mail. "
        "You can turn them back on in your account's notification settings."
    ),
    "unsubscribe.locked": "These notifications cannot be turned off: they keep you safe.",
    "unsubscribe.invalid": (
        "This link is invalid or has expired. You can set up notifications in your account."
    ),
    "unsubscribe.cabinet": "Sign in to your account",
    "notify.email_bounced.title": "E-mails do not reach {email}",
    "notify.email_bounced.body": (
        "The mail server refused e-mails for {email}: the address does not exist or is closed. "
        "Check it in your profile and enter one that works, or receipts and e-mail "
        "notifications will not reach you."
    ),
    "notify.message_failed.title": "Message No. {id} not delivered",
    "notify.message_failed.body": (
        "Channel: {channel}, to: {to}, kind: {kind}.\nReason: {reason}\n"
        "You can send it again on the outgoing messages page."
    ),
    "profile.email_bounced": "E-mails to this address bounce: check it or enter another one.",
    "outbox.status": "State",
    "outbox.status.waiting": "waiting",
    "outbox.status.sending": "sending",
    "outbox.status.sent": "sent",
    "outbox.status.failed": "failed",
    "outbox.channel": "Channel",
    "outbox.channel.email": "e-mail",
    "outbox.channel.sms": "SMS",
    "outbox.attempts": "Tries",
    "outbox.next_attempt": "Next try",
    "outbox.error": "Reason",
    "outbox.filter.all_statuses": "All states",
    "outbox.filter.all_channels": "All channels",
    "outbox.retry": "Send again",
    "outbox.retried_n": "Queued again: {n}. Only failed messages are sent again.",
    "outbox.selected": "Selected:",
    "outbox.search": "Recipient or subject",
}
