"""Support tickets and their files, quality ratings and speed tests.

Public (`__all__`): every module, each the verbs of pages: ticketing (a subscriber's or dealer's
tickets), inbox (the operator's), attachments (also swept by the jobs), quality (ratings and
speed tests, also the speed test's route), quality_report; and the values of the pages' forms.
"""

# the values a ticket's fields and a rating's aspect take, for the pages' filters and forms
from paysim_app.models.quality import RATING_ASPECTS
from paysim_app.models.support import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES

__all__ = [
    "attachments",
    "inbox",
    "quality",
    "quality_report",
    "ticketing",
    "RATING_ASPECTS",
    "TICKET_CATEGORIES",
    "TICKET_PRIORITIES",
    "TICKET_STATUSES",
]
