"""Formatting at the UI edge (the helpers live beside the catalogues, for services too)."""

from paysim_app.i18n.formats import day, moment, money, phone

__all__ = ["day", "moment", "money", "phone"]
