"""The first published version of each legal document (accounts.consent publishes it on first
use when the table has none): the consent to the processing of personal data under Federal Law
No. 152-FZ "On Personal Data", and the terms of the service. Later versions are published by an
admin from the console and live only in the table."""

from __future__ import annotations

FIRST: dict[str, dict[str, str]] = {
    "personal_data": {
        "title_ru": "Согласие на обработку персональных данных",
        "title_en": "Consent to the processing of personal data",
        "body_ru": (
            "Я даю согласие оператору связи PaySim (далее — Оператор) на обработку моих "
            "персональных данных в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ "
            "«О персональных данных».\n\n"
            "Цели обработки: заключение и исполнение договора об оказании услуг связи, "
            "расчёты за услуги, приём платежей, поддержка абонентов, информирование об "
            "услугах и изменениях условий, исполнение требований законодательства о связи.\n\n"
            "Состав данных: фамилия, имя, отчество; номер телефона; адрес электронной почты; "
            "адрес; реквизиты документа, удостоверяющего личность; номера сим-карт, сведения "
            "о платежах, начислениях и потреблённом трафике; обращения в поддержку; сведения "
            "о входах в личный кабинет (IP-адрес, браузер).\n\n"
            "Действия с данными: сбор, запись, систематизация, накопление, хранение, "
            "уточнение, извлечение, использование, передача (платёжным организациям и "
            "партнёрам-дилерам в объёме, нужном для исполнения договора), обезличивание, "
            "блокирование, удаление, уничтожение — с использованием средств автоматизации и без них.\n\n"
            "Срок: согласие действует до расторжения договора и закрытия учётной записи. "
            "После закрытия данные о платежах и договоре хранятся в сроки, установленные "
            "законом (налоговый и бухгалтерский учёт, законодательство о связи), остальные "
            "данные удаляются или обезличиваются.\n\n"
            "Я знаю свои права по статьям 14–17 закона № 152-ФЗ: получить сведения об "
            "обработке моих данных и их копию (в личном кабинете: «Скачать мои данные»), "
            "требовать уточнения, блокирования или уничтожения данных, отозвать согласие, "
            "подав заявку на закрытие учётной записи, обжаловать действия Оператора в "
            "Роскомнадзоре или в суде."
        ),
        "body_en": (
            "I consent to the telecom operator PaySim (the Operator) processing my personal "
            'data under Federal Law No. 152-FZ of 27.07.2006 "On Personal Data".\n\n'
            "Purposes: concluding and performing the contract for communication services, "
            "billing, accepting payments, customer support, informing about services and "
            "changes of terms, meeting the requirements of communications law.\n\n"
            "Data: full name; phone number; e-mail address; postal address; the details of "
            "an identity document; SIM numbers, payments, charges and data usage; support "
            "requests; sign-ins to the self-care cabinet (IP address, browser).\n\n"
            "Operations: collection, recording, organisation, accumulation, storage, "
            "correction, retrieval, use, transfer (to payment institutions and dealer "
            "partners as far as the contract needs), depersonalisation, blocking, erasure "
            "and destruction, with and without automation.\n\n"
            "Term: the consent lasts until the contract ends and the account is closed. "
            "After closure, payment and contract records are kept for the periods the law "
            "requires (tax and accounting, communications law); the rest is erased or "
            "depersonalised.\n\n"
            "I know my rights under articles 14-17 of Law No. 152-FZ: to learn how my data is "
            'processed and get a copy of it (in the cabinet: "Download my data"), to demand '
            "that it be corrected, blocked or destroyed, to withdraw this consent by asking "
            "for my account to be closed, and to appeal against the Operator to Roskomnadzor "
            "or a court."
        ),
    },
    "terms": {
        "title_ru": "Условия оказания услуг PaySim",
        "title_en": "PaySim terms of service",
        "body_ru": (
            "1. PaySim предоставляет доступ в интернет по сети 4G на сим-картах там, где это "
            "технически возможно; качество связи зависит от покрытия в месте использования.\n\n"
            "2. Услуги оказываются по тарифному плану, выбранному абонентом. Абонентская "
            "плата списывается с баланса сим-карты один раз в расчётный период; подключённые "
            "дополнительные услуги оплачиваются с баланса.\n\n"
            "3. Баланс пополняется банковской картой в личном кабинете или у партнёра-дилера. "
            "При отрицательном балансе оказание услуг приостанавливается до пополнения.\n\n"
            "4. Абонент отвечает за сохранность сим-карты и пароля от личного кабинета; "
            "об утере сим-карты нужно сразу сообщить, заблокировав её в кабинете.\n\n"
            "5. PaySim может изменить эти условия или тарифы, опубликовав новую редакцию в "
            "личном кабинете; новая редакция применяется после её принятия абонентом.\n\n"
            "6. Абонент может расторгнуть договор, подав заявку на закрытие учётной записи; "
            "положительный остаток на балансе возвращается по заявлению."
        ),
        "body_en": (
            "1. PaySim provides 4G internet access on SIM cards where it is technically "
            "possible; the quality depends on the coverage where the SIM is used.\n\n"
            "2. Services are provided on the tariff the subscriber chose. The monthly fee is "
            "written off the SIM's balance once per billing period; add-on services are paid "
            "from the balance.\n\n"
            "3. The balance is topped up by card in the self-care cabinet or at a dealer. "
            "While the balance is negative, the service is suspended until a top-up.\n\n"
            "4. The subscriber keeps the SIM and the cabinet's password safe; a lost SIM must "
            "be reported at once by blocking it in the cabinet.\n\n"
            "5. PaySim may change these terms or the tariffs by publishing a new version in "
            "the cabinet; a new version applies once the subscriber has accepted it.\n\n"
            "6. The subscriber may end the contract by asking for the account to be closed; "
            "a positive balance is refunded on request."
        ),
    },
}
