"""Texts of the list machinery every section shares, and of the SIM and payment lists."""

RU = {
    # -- admin lists
    "list.found": "Найдено: {n}",
    "list.page": "Страница {page}",
    "list.prev": "Назад",
    "list.next": "Далее",
    "list.search": "Поиск",
    "list.apply": "Найти",
    "list.reset": "Сбросить",
    "list.filters": "Фильтры",
    "list.export": "Скачать CSV",
    "list.sort": "Сортировка",
    "list.order": "Порядок сортировки",
    "list.any": "Любой",
    "list.empty": "Ничего не найдено.",
    "list.error.filter": "Такого фильтра нет: {field}.",
    "list.error.date": "Дата должна быть в формате ГГГГ-ММ-ДД.",
    "list.error.number": "Здесь нужно целое число.",
    "list.error.amount": "Сумма в рублях, например 1500 или 1500,50.",
}

EN = {
    # -- admin lists
    "list.found": "Found: {n}",
    "list.page": "Page {page}",
    "list.prev": "Previous",
    "list.next": "Next",
    "list.search": "Search",
    "list.apply": "Search",
    "list.reset": "Reset",
    "list.filters": "Filters",
    "list.export": "Download CSV",
    "list.sort": "Sort by",
    "list.order": "Sort order",
    "list.any": "Any",
    "list.empty": "Nothing found.",
    "list.error.filter": "There is no such filter: {field}.",
    "list.error.date": "Dates are YYYY-MM-DD.",
    "list.error.number": "A whole number is needed here.",
    "list.error.amount": "An amount in roubles, e.g. 1500 or 1500.50.",
}
