"""Small builders shared by the benefits tests."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benefits.enrollments.models import Enrollment
from benefits.standards.models import WelfareStandard
from tests.factories import ChildFactory


def std(region, category, amount=None, *, on="2020-01-01", refers_to=None, minimum=False, document="") -> WelfareStandard:
    return WelfareStandard.objects.create(
        region=region,
        category=category,
        monthly_amount=Decimal(str(amount)) if amount is not None else None,
        refers_to=refers_to,
        effective_from=datetime.date.fromisoformat(on),
        is_minimum=minimum,
        document=document,
    )


def enrolled_child(region, county, category="orphan_scattered", *, start="2024-01-01", birth=datetime.date(2015, 3, 14), **child_kw):
    child = ChildFactory(region=region, birth_date=birth, **child_kw)
    enrollment = Enrollment.objects.create(
        child=child, category=category, county=county, start_month=datetime.date.fromisoformat(start),
        bank_account_holder="张三", bank_account="6222020000001234",
    )
    return child, enrollment


def queries(fn) -> int:
    """How many queries `fn()` runs (to compare a read of one row with a read of many)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)
