"""Formatting at the UI edge (the helpers live beside the catalogues, for services too)."""

from paysim_app.i18n.formats import data_of, data_size, day, moment, money, phone

__all__ = ["data_of", "data_size", "day", "moment", "money", "phone"]
