"""The models of the benefits app, defined in its sub-packages (app label `benefits`, tables unchanged)."""

from benefits.enrollments.models import Enrollment, Transfer
from benefits.grants.models import Grant, GrantPayout, GrantStandard
from benefits.payouts.models import (
    PAYOUT_CHILD_BITS,
    PAYOUT_EPOCH,
    Adjustment,
    Payout,
    PayoutRun,
    payout_id,
    payout_month_base,
)
from benefits.standards.models import WelfareStandard

__all__ = [
    "PAYOUT_CHILD_BITS",
    "PAYOUT_EPOCH",
    "Adjustment",
    "Enrollment",
    "Grant",
    "GrantPayout",
    "GrantStandard",
    "Payout",
    "PayoutRun",
    "Transfer",
    "WelfareStandard",
    "payout_id",
    "payout_month_base",
]
