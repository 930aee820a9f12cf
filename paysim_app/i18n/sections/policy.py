"""Texts of the network policy: the allowance's 80 % and 100 % notices and the feed's errors."""

RU = {
    "notify.data_80.title": "Использовано 80 % трафика на {msisdn}",
    "notify.data_80.body": "Израсходовано {used_bytes} из {total_bytes}, осталось {left_bytes} до {date}. Когда трафик закончится, скорость снизится до {speed_kbps} кбит/с; пакет трафика вернёт её.",
    "notify.data_100.title": "Трафик на {msisdn} закончился",
    "notify.data_100.body": "Израсходованы все {total_bytes} этого периода: скорость снижена до {speed_kbps} кбит/с до {date}. Купите пакет трафика, чтобы вернуть полную скорость.",
    "notify_centre.kind.data_80": "Трафик на исходе (80 %)",
    "notify_centre.kind.data_100": "Трафик закончился",
    "policy.error.cursor": "Курсор не распознан: передайте значение next из предыдущего ответа или не передавайте since.",
    "policy.error.limit": "limit — целое число от 1 до {max}.",
}

EN = {
    "notify.data_80.title": "80% of the data on {msisdn} used",
    "notify.data_80.body": "{used_bytes} of {total_bytes} used, {left_bytes} left until {date}. When it runs out the speed drops to {speed_kbps} kbit/s; a data pack brings it back.",
    "notify.data_100.title": "The data on {msisdn} has run out",
    "notify.data_100.body": "All {total_bytes} of this period are used: the speed is reduced to {speed_kbps} kbit/s until {date}. Buy a data pack to get the full speed back.",
    "notify_centre.kind.data_80": "Data running low (80%)",
    "notify_centre.kind.data_100": "Data used up",
    "policy.error.cursor": "The cursor is not recognised: pass the next value of the previous answer, or no since.",
    "policy.error.limit": "limit is a whole number from 1 to {max}.",
}
