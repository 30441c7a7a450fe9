"""The admin of the cases app: each sub-package registers its own models."""

import cases.applications.admin  # noqa: F401
import cases.checks.admin  # noqa: F401
import cases.children.admin  # noqa: F401
import cases.protection.admin  # noqa: F401
import cases.sync.admin  # noqa: F401
