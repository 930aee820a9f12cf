"""Texts of the admin queues: activation requests, tariff-change requests, blocks and unblock
requests (services' errors, notifications to subscribers and partners, ledger comments)."""

RU = {
    # errors
    "admin_queues.error.not_found": "Заявка не найдена.",
    "admin_queues.error.not_pending": "Заявка уже рассмотрена или отменена — обновите страницу.",
    "admin_queues.error.sim_not_available": "Сим-карту нельзя активировать: она уже не на складе и "
    "не ожидает активации.",
    "admin_queues.error.sim_taken": "Сим-карта уже числится за другим договором.",
    "admin_queues.error.reason_required": "Укажите причину отказа.",
    "admin_queues.error.reason_too_long": "Причина — не длиннее 500 символов.",
    "admin_queues.error.comment_too_long": "Комментарий — не длиннее 500 символов.",
    "admin_queues.error.no_tariff": "У заявки и сим-карты нет тарифа: выберите тариф.",
    "admin_queues.error.tariff_not_found": "Такого тарифа нет.",
    "admin_queues.error.tariff_archived": "Тариф «{name}» в архиве и больше не подключается.",
    "admin_queues.error.customer_name": "В заявке нет ФИО клиента.",
    "admin_queues.error.customer_contact": "В заявке нет ни e-mail, ни телефона клиента.",
    "admin_queues.error.customer_email": "E-mail клиента в заявке неверный.",
    "admin_queues.error.customer_phone": "Телефон клиента в заявке неверный.",
    "admin_queues.error.contact_taken": "E-mail или телефон клиента уже принадлежит другой "
    "учётной записи{contract}, а паспортные данные не совпадают. Отклоните заявку или "
    "попросите партнёра уточнить данные.",
    "admin_queues.error.contract_inactive": "Договор абонента закрыт.",
    "admin_queues.error.not_cancellable": "Эта заявка уже не ждёт решения, её нельзя отменить.",
    "admin_queues.error.tariff_sim_status": "Тариф можно сменить только у работающей сим-карты "
    "(активна или приостановлена за долг).",
    "admin_queues.error.tariff_same": "Сим-карта уже на этом тарифе.",
    "admin_queues.error.balance_short": "На балансе не хватает {missing_kop}, чтобы списать "
    "разницу {difference_kop} сегодня. Одобрите переход с нового периода или отклоните заявку.",
    "admin_queues.error.block_reason": "Выберите причину блокировки.",
    "admin_queues.error.not_blockable": "Эту сим-карту нельзя заблокировать: она уже "
    "заблокирована или отключена.",
    "admin_queues.error.block_not_found": "Блокировка не найдена.",
    "admin_queues.error.block_lifted": "Эта блокировка уже снята.",
    # ledger comment for the "now" tariff change
    "admin_queues.ledger.tariff_change": "Смена тарифа «{old}» → «{new}»: разница за {days} из "
    "{period} дн.",
    # the set-password e-mail for a customer activated by a partner
    "admin_queues.welcome.subject": "PaySim: ваш номер {msisdn} подключён",
    "admin_queues.welcome.body": "Здравствуйте, {name}!\n\nНомер {msisdn} подключён по договору "
    "{contract}. Чтобы войти в личный кабинет, задайте пароль по ссылке (действует {days} дн.):\n"
    "{link}\n\nВход — по e-mail или номеру телефона, указанному при покупке.",
    # notifications
    "notify.activation_approved.title": "Номер {msisdn} подключён",
    "notify.activation_approved.body": "Сим-карта активирована на тарифе «{tariff}». Баланс — "
    "0 ₽: пополните его, чтобы абонентская плата списалась вовремя.",
    "notify.activation_rejected.title": "Заявка на активацию {msisdn} отклонена",
    "notify.activation_rejected.body": "Причина: {reason}",
    "notify.tariff_change_approved.title": "Тариф номера {msisdn} — «{tariff}»",
    "notify.tariff_change_approved.body": "Заявка на смену тарифа одобрена. Новая абонентская "
    "плата {fee_kop} — с {date}.",
    "notify.tariff_change_now.title": "Тариф номера {msisdn} — «{tariff}»",
    "notify.tariff_change_now.body": "Заявка на смену тарифа одобрена, новый тариф действует с "
    "сегодняшнего дня, абонентская плата — {fee_kop}. {settled}",
    "admin_queues.settled.charge": "Разница абонентских плат за {days} из {period} дн. текущего "
    "периода списана с баланса: {amount}.",
    "admin_queues.settled.credit": "Разница абонентских плат за {days} из {period} дн. текущего "
    "периода возвращена на баланс: {amount}.",
    "admin_queues.settled.none": "Доплаты и возврата нет.",
    "notify.tariff_change_rejected.title": "Заявка на смену тарифа {msisdn} отклонена",
    "notify.tariff_change_rejected.body": "Тариф «{tariff}» не подключён. Причина: {reason}",
    "notify.sim_blocked.title": "Номер {msisdn} заблокирован",
    "notify.sim_blocked.body": "Оператор заблокировал сим-карту. Причина: {reason}. {comment}",
    "notify.sim_unblocked.title": "Номер {msisdn} разблокирован",
    "notify.sim_unblocked.body": "Блокировка снята.",
    "notify.unblock_rejected.title": "Запрос на разблокировку {msisdn} отклонён",
    "notify.unblock_rejected.body": "Причина: {reason}",
}

EN = {
    "admin_queues.error.not_found": "The request was not found.",
    "admin_queues.error.not_pending": "The request has already been decided or cancelled — "
    "refresh the page.",
    "admin_queues.error.sim_not_available": "The SIM cannot be activated: it is no longer in stock "
    "or awaiting activation.",
    "admin_queues.error.sim_taken": "The SIM already belongs to another contract.",
    "admin_queues.error.reason_required": "Give the reason for the refusal.",
    "admin_queues.error.reason_too_long": "The reason is at most 500 characters.",
    "admin_queues.error.comment_too_long": "The comment is at most 500 characters.",
    "admin_queues.error.no_tariff": "Neither the request nor the SIM has a tariff: choose one.",
    "admin_queues.error.tariff_not_found": "There is no such tariff.",
    "admin_queues.error.tariff_archived": "The tariff “{name}” is archived and no longer sold.",
    "admin_queues.error.customer_name": "The request has no customer name.",
    "admin_queues.error.customer_contact": "The request has neither the customer's e-mail nor "
    "phone.",
    "admin_queues.error.customer_email": "The customer's e-mail in the request is invalid.",
    "admin_queues.error.customer_phone": "The customer's phone in the request is invalid.",
    "admin_queues.error.contact_taken": "The customer's e-mail or phone already belongs to "
    "another account{contract} and the ID document does not match. Reject the request or ask "
    "the partner to correct the data.",
    "admin_queues.error.contract_inactive": "The subscriber's contract is closed.",
    "admin_queues.error.not_cancellable": "This request is no longer pending and cannot be "
    "cancelled.",
    "admin_queues.error.tariff_sim_status": "Only a working SIM (active or suspended for debt) "
    "can change its tariff.",
    "admin_queues.error.tariff_same": "The SIM is already on this tariff.",
    "admin_queues.error.balance_short": "The balance is {missing_kop} short of the "
    "{difference_kop} difference due today. Approve the switch from the next period or reject "
    "the request.",
    "admin_queues.error.block_reason": "Choose the reason for the block.",
    "admin_queues.error.not_blockable": "This SIM cannot be blocked: it is already blocked or "
    "deactivated.",
    "admin_queues.error.block_not_found": "The block was not found.",
    "admin_queues.error.block_lifted": "This block has already been lifted.",
    "admin_queues.ledger.tariff_change": "Tariff change “{old}” → “{new}”: difference for "
    "{days} of {period} days",
    "admin_queues.welcome.subject": "PaySim: your number {msisdn} is connected",
    "admin_queues.welcome.body": "Hello, {name}!\n\nThe number {msisdn} is connected under "
    "contract {contract}. To sign in to your account, set a password with this link (valid "
    "{days} days):\n{link}\n\nSign in with the e-mail or phone number given at purchase.",
    "notify.activation_approved.title": "{msisdn} is connected",
    "notify.activation_approved.body": "The SIM is active on the “{tariff}” tariff. The balance "
    "is 0 ₽: top it up so that the monthly fee is paid on time.",
    "notify.activation_rejected.title": "Activation request for {msisdn} rejected",
    "notify.activation_rejected.body": "Reason: {reason}",
    "notify.tariff_change_approved.title": "{msisdn} is now on “{tariff}”",
    "notify.tariff_change_approved.body": "Your tariff change was approved. The new monthly fee "
    "of {fee_kop} applies from {date}.",
    "notify.tariff_change_now.title": "{msisdn} is now on “{tariff}”",
    "notify.tariff_change_now.body": "Your tariff change was approved and applies from today; "
    "the monthly fee is {fee_kop}. {settled}",
    "admin_queues.settled.charge": "The difference of the monthly fees for {days} of {period} "
    "days of the current period was taken from the balance: {amount}.",
    "admin_queues.settled.credit": "The difference of the monthly fees for {days} of {period} "
    "days of the current period was returned to the balance: {amount}.",
    "admin_queues.settled.none": "Nothing to pay or return.",
    "notify.tariff_change_rejected.title": "Tariff change for {msisdn} rejected",
    "notify.tariff_change_rejected.body": "The “{tariff}” tariff was not switched on. Reason: "
    "{reason}",
    "notify.sim_blocked.title": "{msisdn} is blocked",
    "notify.sim_blocked.body": "The operator blocked the SIM. Reason: {reason}. {comment}",
    "notify.sim_unblocked.title": "{msisdn} is unblocked",
    "notify.sim_unblocked.body": "The block has been lifted.",
    "notify.unblock_rejected.title": "Unblock request for {msisdn} rejected",
    "notify.unblock_rejected.body": "Reason: {reason}",
}
