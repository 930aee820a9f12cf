"""Personal data (152-FZ): the legal texts and their acceptance (accounts.consent), the data
archive and the closing of an account (subscribers.privacy), their console pages."""

RU = {
    # consents
    "consent.required": "Отметьте оба согласия: без них мы не можем заключить договор.",
    "consent.accept_each": "Отметьте, что вы прочитали и принимаете каждый документ.",
    "consent.changed": "Пока вы читали, вышла новая редакция. Прочитайте её и примите.",
    "consent.too_long": "Не длиннее {limit} символов.",
    "consent.unknown_doc": "Неизвестный документ.",
    "consent.edition": "Редакция {version} от {date}",
    "consent.title": "Новая редакция документов",
    "consent.intro": "Мы обновили документы. Чтобы продолжить работу в личном кабинете, "
    "прочитайте и примите их.",
    "consent.i_accept": "Я прочитал(а) и принимаю",
    "consent.accept": "Принять и продолжить",
    "consent.sign_out": "Выйти",
    "consent.legal_title": "Документы PaySim",
    "consent.read": "(читать)",
    "consent.tick_personal_data": "Я даю согласие на обработку персональных данных",
    "consent.tick_terms": "Я принимаю условия оказания услуг",
    "consent.tick_counter": "Клиент подписал согласие на обработку персональных данных "
    "и принял условия оказания услуг",
    "consent.counter_required": "Без согласия клиента продажа невозможна.",
    "consent.tick_order": "Я даю согласие на обработку персональных данных, указанных в заказе, "
    "и принимаю условия оказания услуг",
    "consent.order_required": "Без согласия на обработку персональных данных заказ невозможен.",
    # the subscriber's card on the profile page
    "privacy.card_title": "Мои персональные данные",
    "privacy.card_hint": "По закону № 152-ФЗ вы можете получить всё, что мы храним о вас, "
    "и закрыть учётную запись.",
    "privacy.download": "Скачать мои данные (ZIP)",
    "privacy.close_title": "Закрыть учётную запись",
    "privacy.close_hint": "Заявку рассмотрит оператор. Сим-карты договора должны быть "
    "заблокированы или отключены, без денег на балансе. Платежи, начисления и договор "
    "хранятся в сроки, установленные законом; остальное удаляется или обезличивается.",
    "privacy.close_password": "Пароль для подтверждения",
    "privacy.close_button": "Отправить заявку на закрытие",
    "privacy.close_pending": "Заявка на закрытие от {date} ждёт оператора.",
    "privacy.withdraw": "Отозвать заявку",
    "privacy.close_sent": "Заявка на закрытие отправлена.",
    "privacy.withdrawn": "Заявка отозвана.",
    "privacy.error.pending": "Заявка на закрытие уже подана.",
    "privacy.error.not_pending": "Эта заявка уже рассмотрена.",
    "privacy.error.sims_first": "Сначала заблокируйте или отключите сим-карты договора и "
    "верните остаток с баланса: {sims}.",
    "privacy.closed_mail.subject": "PaySim: учётная запись закрыта",
    "privacy.closed_mail.body": "Здравствуйте!\n\nПо вашей заявке учётная запись по договору "
    "{contract} закрыта. Платежи, начисления и договор хранятся в сроки, установленные законом; "
    "остальные персональные данные удалены или обезличены. Вы можете зарегистрироваться снова "
    "с тем же адресом или номером.\n\nPaySim",
    "privacy.closed_sms": "PaySim: учётная запись по договору {contract} закрыта по вашей заявке.",
    # the console
    "nav.privacy": "Персональные данные",
    "admin_staff.section.privacy": "Персональные данные",
    "privacy.admin.title": "Закрытие учётных записей",
    "privacy.col.requested": "Подана",
    "privacy.col.contract": "Договор",
    "privacy.col.name": "Абонент",
    "privacy.col.status": "Статус",
    "privacy.col.decided": "Рассмотрена",
    "privacy.status.pending": "Ждёт",
    "privacy.status.closed": "Закрыта",
    "privacy.status.withdrawn": "Отозвана",
    "privacy.filter.all_statuses": "Все статусы",
    "privacy.search": "Договор или имя",
    "privacy.empty": "Заявок нет",
    "privacy.selected": "Выбрано:",
    "privacy.close_selected": "Закрыть выбранные учётные записи",
    "privacy.closed_n": "Закрыто учётных записей: {n}",
    "privacy.refused": "{contract}: {reason}",
    "privacy.rule": "Закрыть можно договор, все сим-карты которого заблокированы или "
    "отключены и без положительного баланса. Платежи, начисления, договор и согласия "
    "сохраняются; имя, e-mail, телефон, адрес и документ удаляются, входы завершаются, "
    "карты отвязываются, тексты уведомлений и обращений обезличиваются.",
    "privacy.texts_link": "Юридические тексты",
    "privacy.texts.title": "Юридические тексты",
    "privacy.texts.current": "Действующие редакции",
    "privacy.texts.publish": "Опубликовать новую редакцию",
    "privacy.texts.hint": "После публикации каждый абонент при следующем входе увидит новый "
    "текст и должен будет его принять.",
    "privacy.texts.doc": "Документ",
    "privacy.doc.personal_data": "Согласие на обработку персональных данных",
    "privacy.doc.terms": "Условия оказания услуг",
    "privacy.texts.title_ru": "Заголовок по-русски (пусто — как в прошлой редакции)",
    "privacy.texts.title_en": "Заголовок по-английски (пусто — как в прошлой редакции)",
    "privacy.texts.body_ru": "Текст по-русски",
    "privacy.texts.body_en": "Текст по-английски",
    "privacy.texts.published": "Опубликована редакция {version}.",
    "privacy.texts.history": "Опубликованные редакции",
    "privacy.texts.version": "Редакция",
    "privacy.texts.date": "Опубликована",
    # a new closure request, for the admins who close accounts (core.notify)
    "notify_centre.kind.closure_new": "Запрос на закрытие учётной записи",
    "notify.closure_new.title": "Запрос на закрытие учётной записи №{no}",
    "notify.closure_new.body": "Абонент договора {contract} просит закрыть учётную запись; запрос ждёт в разделе «Персональные данные».",
}

EN = {
    "consent.required": "Tick both consents: we cannot make a contract without them.",
    "consent.accept_each": "Tick that you have read and accept each document.",
    "consent.changed": "A new version came out while you were reading. Read it and accept it.",
    "consent.too_long": "At most {limit} characters.",
    "consent.unknown_doc": "Unknown document.",
    "consent.edition": "Version {version} of {date}",
    "consent.title": "New version of our documents",
    "consent.intro": "We have updated our documents. Read and accept them to go on to your "
    "cabinet.",
    "consent.i_accept": "I have read and accept it",
    "consent.accept": "Accept and continue",
    "consent.sign_out": "Sign out",
    "consent.legal_title": "PaySim documents",
    "consent.read": "(read)",
    "consent.tick_personal_data": "I consent to the processing of my personal data",
    "consent.tick_terms": "I accept the terms of service",
    "consent.tick_counter": "The customer signed the consent to the processing of personal "
    "data and accepted the terms of service",
    "consent.counter_required": "No sale without the customer's consent.",
    "consent.tick_order": "I consent to the processing of the personal data in this order and "
    "accept the terms of service",
    "consent.order_required": "No order without the consent to the processing of personal data.",
    "privacy.card_title": "My personal data",
    "privacy.card_hint": "Under Law No. 152-FZ you may get everything we keep about you and "
    "close your account.",
    "privacy.download": "Download my data (ZIP)",
    "privacy.close_title": "Close my account",
    "privacy.close_hint": "An operator handles the request. The contract's SIMs must be "
    "blocked or deactivated, with no money left on them. Payments, charges and the contract "
    "are kept as long as the law requires; the rest is erased or depersonalised.",
    "privacy.close_password": "Your password, to confirm",
    "privacy.close_button": "Ask to close the account",
    "privacy.close_pending": "Your request to close the account of {date} waits for an operator.",
    "privacy.withdraw": "Withdraw the request",
    "privacy.close_sent": "Your request to close the account was sent.",
    "privacy.withdrawn": "The request was withdrawn.",
    "privacy.error.pending": "A request to close the account was already made.",
    "privacy.error.not_pending": "This request was already handled.",
    "privacy.error.sims_first": "First block or deactivate the contract's SIMs and refund "
    "their balance: {sims}.",
    "privacy.closed_mail.subject": "PaySim: your account was closed",
    "privacy.closed_mail.body": "Hello,\n\nAs you asked, the account of contract {contract} "
    "was closed. Payments, charges and the contract are kept as long as the law requires; "
    "your other personal data was erased or depersonalised. You may register again with the "
    "same address or number.\n\nPaySim",
    "privacy.closed_sms": "PaySim: the account of contract {contract} was closed as you asked.",
    "nav.privacy": "Personal data",
    "admin_staff.section.privacy": "Personal data",
    "privacy.admin.title": "Account closures",
    "privacy.col.requested": "Requested",
    "privacy.col.contract": "Contract",
    "privacy.col.name": "Subscriber",
    "privacy.col.status": "Status",
    "privacy.col.decided": "Handled",
    "privacy.status.pending": "Waiting",
    "privacy.status.closed": "Closed",
    "privacy.status.withdrawn": "Withdrawn",
    "privacy.filter.all_statuses": "All statuses",
    "privacy.search": "Contract or name",
    "privacy.empty": "No requests",
    "privacy.selected": "Selected:",
    "privacy.close_selected": "Close the selected accounts",
    "privacy.closed_n": "Accounts closed: {n}",
    "privacy.refused": "{contract}: {reason}",
    "privacy.rule": "A contract can be closed when all its SIMs are blocked or deactivated "
    "with no positive balance. Payments, charges, the contract and the consents are kept; the "
    "name, e-mail, phone, address and ID document are removed, sign-ins ended, cards detached, "
    "the texts of notifications and support tickets depersonalised.",
    "privacy.texts_link": "Legal texts",
    "privacy.texts.title": "Legal texts",
    "privacy.texts.current": "Current versions",
    "privacy.texts.publish": "Publish a new version",
    "privacy.texts.hint": "Once published, every subscriber sees the new text at their next "
    "sign-in and must accept it.",
    "privacy.texts.doc": "Document",
    "privacy.doc.personal_data": "Consent to the processing of personal data",
    "privacy.doc.terms": "Terms of service",
    "privacy.texts.title_ru": "Title in Russian (empty: as in the previous version)",
    "privacy.texts.title_en": "Title in English (empty: as in the previous version)",
    "privacy.texts.body_ru": "Text in Russian",
    "privacy.texts.body_en": "Text in English",
    "privacy.texts.published": "Version {version} published.",
    "privacy.texts.history": "Published versions",
    "privacy.texts.version": "Version",
    "privacy.texts.date": "Published",
    "notify_centre.kind.closure_new": "Account closure request",
    "notify.closure_new.title": "Account closure request #{no}",
    "notify.closure_new.body": "The subscriber of contract {contract} asks to close the account; the request waits in the Personal data section.",
}
