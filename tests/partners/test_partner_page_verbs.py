"""What the partner's pages call besides the verbs: the top-up form's first step checks the
amount it was given (partner_topups.checked_amount), refusing as the top-up itself would."""

from __future__ import annotations

import pytest

from paysim_app.billing import partner_topups
from paysim_app.core.errors import DomainError


def test_the_amount_box_is_read_in_kopecks():
    assert partner_topups.checked_amount("500") == 50_000
    assert partner_topups.checked_amount(str(partner_topups.MAX_KOP // 100)) == (
        partner_topups.MAX_KOP
    )


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", str(partner_topups.MAX_KOP // 100 + 1)])
def test_a_bad_amount_is_refused(text):
    with pytest.raises(DomainError):
        partner_topups.checked_amount(text)
