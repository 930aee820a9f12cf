"""Phones proven by one-time SMS codes (accounts.verification): the texts, the refusals and the
code steps of the registration and forgotten-password pages."""

RU = {
    # the SMS texts ({code} is the code; short: one Cyrillic SMS holds 70 characters)
    "verification.sms.register": "PaySim: код регистрации {code}, действует {minutes} мин. "
    "Никому не сообщайте.",
    "verification.sms.reset": "PaySim: код для нового пароля {code}, {minutes} мин. "
    "Никому не сообщайте.",
    "verification.sms.login_change": "PaySim: код подтверждения номера {code}, {minutes} мин. "
    "Никому не сообщайте.",
    "verification.sms.reset_link": "PaySim: задайте пароль по ссылке {link} "
    "(действует {minutes} мин.)",
    "verification.sms.set_password": "PaySim: договор {contract}, номер {msisdn}. Задайте "
    "пароль личного кабинета по ссылке {link} (действует {days} дн.)",
    # refusals
    "verification.wait": "Новый код можно запросить через {seconds} с.",
    "verification.code_format": "Введите код из {digits} цифр.",
    "verification.code_wrong": "Неверный код. Осталось попыток: {left}.",
    "verification.code_spent": "Слишком много неверных попыток: этот код больше не действует. "
    "Запросите новый.",
    "verification.code_expired": "Срок действия кода истёк. Запросите новый.",
    "verification.no_code": "Код не действует. Запросите новый.",
    "verification.phone_needs_code": "Номер телефона подтверждается кодом из SMS.",
    # the code step of the pages
    "verification.code": "Код из SMS",
    "verification.sent_to": "Мы отправили SMS с кодом на номер {phone}. Код действует до {until}.",
    "verification.confirm": "Подтвердить",
    "verification.resend": "Отправить код ещё раз",
    "verification.resent": "Новый код отправлен.",
    "verification.other_number": "Указать другой номер",
    "verification.register_title": "Подтверждение номера",
    "verification.reset_sent": "Если этот номер зарегистрирован, на него отправлен код. "
    "Введите его и новый пароль.",
    "verification.reset_title": "Новый пароль по коду из SMS",
    "verification.reset_done": "Пароль изменён. Войдите с новым паролем.",
}

EN = {
    "verification.sms.register": "PaySim: your registration code is {code}. Valid {minutes} "
    "min. Do not share it.",
    "verification.sms.reset": "PaySim: your new password code is {code}. Valid {minutes} min. "
    "Do not share it.",
    "verification.sms.login_change": "PaySim: your phone confirmation code is {code}. Valid "
    "{minutes} min. Do not share it.",
    "verification.sms.reset_link": "PaySim: set your password at {link} (valid {minutes} min)",
    "verification.sms.set_password": "PaySim: contract {contract}, number {msisdn}. Set your "
    "cabinet password at {link} (valid {days} days)",
    "verification.wait": "You can ask for a new code in {seconds} s.",
    "verification.code_format": "Enter the {digits}-digit code.",
    "verification.code_wrong": "Wrong code. Attempts left: {left}.",
    "verification.code_spent": "Too many wrong attempts: this code no longer works. "
    "Ask for a new one.",
    "verification.code_expired": "The code has expired. Ask for a new one.",
    "verification.no_code": "The code does not work. Ask for a new one.",
    "verification.phone_needs_code": "A phone number is confirmed by a code sent by SMS.",
    "verification.code": "Code from the SMS",
    "verification.sent_to": "We have sent an SMS with a code to {phone}. The code is valid "
    "until {until}.",
    "verification.confirm": "Confirm",
    "verification.resend": "Send the code again",
    "verification.resent": "A new code has been sent.",
    "verification.other_number": "Use another number",
    "verification.register_title": "Confirm your number",
    "verification.reset_sent": "If this number is registered, a code has been sent to it. "
    "Enter it and your new password.",
    "verification.reset_title": "New password by SMS code",
    "verification.reset_done": "Your password has been changed. Sign in with the new one.",
}
