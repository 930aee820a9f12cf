"""Support tickets and their files, quality ratings and speed tests."""

# the values a ticket's fields and a rating's aspect take, for the pages' filters and forms
from paysim_app.models.quality import RATING_ASPECTS
from paysim_app.models.support import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES

__all__ = ["RATING_ASPECTS", "TICKET_CATEGORIES", "TICKET_PRIORITIES", "TICKET_STATUSES"]
