"""Texts of the public pages (no sign-in): the public shell, the tariff catalogue (/tariffs),
how to connect (/connect), and the empty cabinet of a subscriber without SIMs."""

RU = {
    # the public shell
    "public.nav.label": "Разделы для посетителей",
    "public.nav.tariffs": "Тарифы",
    "public.nav.coverage": "Покрытие",
    "public.nav.connect": "Как подключиться",
    "public.nav.sign_in": "Войти",
    "public.nav.register": "Зарегистрироваться",
}

EN = {
    "public.nav.label": "Sections for visitors",
    "public.nav.tariffs": "Tariffs",
    "public.nav.coverage": "Coverage",
    "public.nav.connect": "How to connect",
    "public.nav.sign_in": "Sign in",
    "public.nav.register": "Sign up",
}
