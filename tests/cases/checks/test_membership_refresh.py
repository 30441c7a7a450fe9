import datetime

import pytest
import time_machine

from cases.children.services import membership_end, membership_start
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.date(2025, 3, 1), tick=False)
def test_it_puts_a_child_on_the_check_list_the_moment_they_become_left_behind(regions, village_director):
    child = ChildFactory(region=regions.village, registered_on=datetime.date(2025, 1, 10))
    assert child.next_check_due is None
    membership = membership_start(by=village_director, child=child, category="left_behind", start_date=datetime.date(2025, 2, 1))
    child.refresh_from_db()
    assert child.next_check_due is not None and child.check_state is not None
    membership_end(by=village_director, membership=membership, end_date=datetime.date(2025, 2, 28), end_reason="父母返乡")
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (None, None)
