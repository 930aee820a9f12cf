"""Texts of the admin's global search."""

RU = {
    "search.title": "Поиск",
    "search.placeholder": "Номер, ICCID, договор, имя, платёж…",
    "search.nothing": "Ничего не нашлось. Номер можно вводить частью, с +7 или 8.",
    "search.kind.sim": "Сим-карта",
    "search.kind.subscriber": "Абонент",
    "search.kind.partner": "Партнёр",
    "search.kind.payment": "Платёж",
    "search.kind.ticket": "Обращение",
}

EN = {
    "search.title": "Search",
    "search.placeholder": "Number, ICCID, contract, name, payment…",
    "search.nothing": "Nothing found. A number may be typed in part, with +7 or 8.",
    "search.kind.sim": "SIM",
    "search.kind.subscriber": "Subscriber",
    "search.kind.partner": "Partner",
    "search.kind.payment": "Payment",
    "search.kind.ticket": "Ticket",
}
