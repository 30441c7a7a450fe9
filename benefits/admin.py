"""The admin of the benefits app: each sub-package registers its own models."""

import benefits.enrollments.admin  # noqa: F401
import benefits.grants.admin  # noqa: F401
import benefits.payouts.admin  # noqa: F401
import benefits.standards.admin  # noqa: F401
