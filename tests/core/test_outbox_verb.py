"""core.outbox.recent_emails is a verb: the admin outbox page reads it in its own unit of work;
a caller holding a session reads its own uncommitted rows."""

from __future__ import annotations

import pytest

from paysim_app.core import outbox
from paysim_app.core.errors import PermissionDenied
from paysim_app.core.permissions import ROLE_SUPPORT


def test_without_a_session_the_outbox_reads_what_is_committed(session, factory):
    admin, support = factory.superadmin(), factory.admin(ROLE_SUPPORT)
    outbox.queue_email(session, "a@example.ru", "Привет", "Текст")
    assert [m.subject for m in outbox.recent_emails(session, admin)] == ["Привет"]
    assert outbox.recent_emails(admin) == []  # not committed yet: another unit of work
    session.commit()
    [row] = outbox.recent_emails(admin)
    assert (row.to_address, row.subject, row.body) == ("a@example.ru", "Привет", "Текст")
    with pytest.raises(PermissionDenied):
        outbox.recent_emails(support)
