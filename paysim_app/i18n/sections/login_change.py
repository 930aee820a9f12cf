"""Texts of changing one's sign-in login (profile card, confirmation page, messages sent)."""

RU = {
    "login_change.title": "Логин для входа",
    "login_change.current": "Вы входите по: {login}",
    "login_change.hint": (
        "Новый адрес начнёт работать для входа и восстановления пароля только после "
        "подтверждения по ссылке или коду, которые мы пришлём на него."
    ),
    "login_change.new_login": "Новый e-mail или телефон",
    "login_change.submit": "Сменить логин",
    "login_change.sent_email": "Ссылка для подтверждения отправлена на {login}.",
    "login_change.sent_phone": "Код отправлен на {login}.",
    "login_change.pending_email": (
        "Ждём подтверждения {login}: откройте ссылку из письма до {until}. "
        "До этого входите по прежнему логину."
    ),
    "login_change.pending_phone": (
        "Ждём подтверждения {login}: введите код из SMS до {until}. "
        "До этого входите по прежнему логину."
    ),
    "login_change.code": "Код из SMS",
    "login_change.confirm": "Подтвердить",
    "login_change.cancel": "Отменить смену",
    "login_change.cancelled": "Смена логина отменена.",
    "login_change.confirmed": "Готово: теперь вы входите по {login}. Другие сеансы завершены.",
    "login_change.locked": "Слишком много неверных паролей. Попробуйте снова в {until}.",
    "login_change.email_only": "Сотрудники входят по e-mail: укажите адрес e-mail.",
    "login_change.same": "Это и так ваш логин.",
    "login_change.invalid": (
        "Ссылка или код неверны либо устарели. Запросите смену логина в профиле ещё раз."
    ),
    "login_change.code_format": "Введите код из {digits} цифр.",
    "login_change.code_wrong": "Неверный код.",
    "login_change.code_spent": "Слишком много неверных кодов. Запросите новый.",
    "login_change.mail.confirm_subject": "PaySim: подтвердите новый логин",
    "login_change.mail.confirm_body": (
        "Чтобы входить в PaySim по адресу {login}, откройте ссылку "
        "(действует {hours} ч):\n{link}\n\nЕсли вы не меняли логин, просто удалите это письмо."
    ),
    "login_change.sms.code_body": "PaySim: код подтверждения нового логина {code} "
    "(действует {minutes} мин.). Никому его не сообщайте.",
    "login_change.mail.notice_subject": "PaySim: запрошена смена логина",
    "login_change.mail.notice_body": (
        "{when} в вашем кабинете PaySim запросили смену логина на {login}. Пока новый адрес "
        "не подтверждён, вход остаётся прежним. Если это были не вы, смените пароль и "
        "обратитесь в поддержку."
    ),
    "login_change.page_title": "Подтверждение нового логина",
    "login_change.page_text": "Нажмите кнопку, чтобы входить по новому адресу.",
    "login_change.page_button": "Подтвердить новый логин",
    "login_change.page_done": "Готово: теперь входите по {login}.",
    "login_change.page_sign_in": "Войти",
}

EN = {
    "login_change.title": "Sign-in login",
    "login_change.current": "You sign in with: {login}",
    "login_change.hint": (
        "The new address works for sign-in and password recovery only after you confirm it "
        "with the link or code we send to it."
    ),
    "login_change.new_login": "New e-mail or phone",
    "login_change.submit": "Change login",
    "login_change.sent_email": "A confirmation link went to {login}.",
    "login_change.sent_phone": "A code went to {login}.",
    "login_change.pending_email": (
        "Waiting for {login} to be confirmed: open the link in the e-mail before {until}. "
        "Until then, sign in with your current login."
    ),
    "login_change.pending_phone": (
        "Waiting for {login} to be confirmed: enter the code from the SMS before {until}. "
        "Until then, sign in with your current login."
    ),
    "login_change.code": "Code from the SMS",
    "login_change.confirm": "Confirm",
    "login_change.cancel": "Cancel the change",
    "login_change.cancelled": "The login change is cancelled.",
    "login_change.confirmed": "Done: you now sign in with {login}. Other sessions have ended.",
    "login_change.locked": "Too many wrong passwords. Try again at {until}.",
    "login_change.email_only": "Staff sign in with an e-mail address: enter one.",
    "login_change.same": "This already is your login.",
    "login_change.invalid": (
        "The link or code is wrong or has expired. Ask for the login change in your profile again."
    ),
    "login_change.code_format": "Enter the {digits}-digit code.",
    "login_change.code_wrong": "Wrong code.",
    "login_change.code_spent": "Too many wrong codes. Ask for a new one.",
    "login_change.mail.confirm_subject": "PaySim: confirm your new login",
    "login_change.mail.confirm_body": (
        "To sign in to PaySim with {login}, open this link (valid {hours} h):\n{link}\n\n"
        "If you did not change your login, just delete this e-mail."
    ),
    "login_change.sms.code_body": "PaySim: your new login's confirmation code is {code} "
    "(valid {minutes} min). Do not share it.",
    "login_change.mail.notice_subject": "PaySim: a login change was requested",
    "login_change.mail.notice_body": (
        "On {when} a change of your PaySim login to {login} was requested. Until the new "
        "address is confirmed, you keep signing in as before. If it was not you, change your "
        "password and contact support."
    ),
    "login_change.page_title": "Confirm your new login",
    "login_change.page_text": "Press the button to sign in with the new address from now on.",
    "login_change.page_button": "Confirm the new login",
    "login_change.page_done": "Done: sign in with {login} from now on.",
    "login_change.page_sign_in": "Sign in",
}
