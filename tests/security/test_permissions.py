"""The permission matrix: written in docs/SECURITY.md (generated from welfare/roles.py) and
enforced in the services themselves, not only in templates or views."""

import ast
from pathlib import Path

import pytest

from welfare.roles import PERMISSIONS, Action, Role, can
from welfare.security import permission_matrix_markdown

ROOT = Path(__file__).resolve().parents[2]

# Modules that change data (services): every sub-domain's services.py is picked up by name.
SERVICE_MODULES = sorted(
    {
        p
        for pattern in (
            "*/services.py",
            "*/*/services.py",
            "cases/checks/notifications.py",
            "cases/children/reveal.py",
            "welfare/notifications.py",
        )
        for p in ROOT.glob(pattern)
    }
    - {p for p in ROOT.glob(".venv/**/*")}
)
CHECKS = {"require", "can", "require_in_scope", "get_in_scope_or_404", "in_scope"}
# Institutions at work: who may write an institution, inspect it, rectify a finding (institutions/access.py).
CHECKS |= {"require_write_institution", "require_inspect", "may_rectify"}
# Services that act on the caller's own things only, where no role is needed.
OWN_THINGS = {"draft_save", "draft_delete", "form_submission_once", "notification_mark_read", "notifications_mark_read"}
# Called only by checked services or by trusted code (management commands, seed_demo; `by` is
# None there). A page or API calling them directly must check ADMINISTER / ENROLL first.
INTERNAL = {
    "enrollment_open",  # benefits/enrollments/services.py: callers (application approval, enrollment APIs) check
    "roster_validate",  # cases/roster/services.py: reads and validates only; roster_import checks IMPORT
    "child_identity_validate",  # cases/children/services.py: reads only (is a number recorded, and where, as `by` may see)
    "region_import",  # welfare/services.py: import_regions command and seed_demo
    "region_import_csv",
    "user_provision",  # create_user command and seed_demo
    "report_from_check",  # cases/protection/services.py: called by check_record, which checks
    "case_read_record",  # cases/protection/services.py: logs a read made through case_get (scoped)
}


def test_it_has_a_rule_for_every_action_and_gives_the_administrator_everything():
    assert set(PERMISSIONS) == set(Action.values)
    for action, roles in PERMISSIONS.items():
        assert roles <= set(Role.values), action
        assert Role.ADMIN in roles, action
    assert PERMISSIONS[Action.VIEW] == frozenset(Role.values)
    assert PERMISSIONS[Action.ADMINISTER] == frozenset({Role.ADMIN})


def test_it_keeps_the_documented_matrix_in_step_with_the_code():
    doc = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert permission_matrix_markdown() in doc, (
        "regenerate the table (see docs/SECURITY.md) after changing welfare/roles.py"
    )


@pytest.mark.django_db
def test_it_allows_nothing_to_a_disabled_or_anonymous_user(village_director):
    from django.contrib.auth.models import AnonymousUser

    village_director.is_active = False
    for action in Action.values:
        assert not can(AnonymousUser(), action)
        assert not can(village_director, action)


def _service_functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            kwonly = {a.arg for a in node.args.kwonlyargs}
            if "by" in kwonly:
                yield node


def _calls(node) -> set[str]:
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            out.add(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return out


def test_it_checks_role_or_scope_in_every_service_that_acts_for_a_user():
    """Every public service taking `by=` checks the role and/or the scope itself (directly, through
    a helper of its module, or through another checked service)."""
    unchecked = []
    for path in SERVICE_MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        checked = {name for name, n in functions.items() if _calls(n) & CHECKS}
        changed = True
        while changed:  # a function calling a checked function is checked
            changed = False
            for name, n in functions.items():
                if name not in checked and _calls(n) & checked:
                    checked.add(name)
                    changed = True
        for node in _service_functions(path):
            if node.name not in checked and node.name not in OWN_THINGS | INTERNAL:
                unchecked.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert SERVICE_MODULES
    assert not unchecked, "services without a role/scope check:\n" + "\n".join(unchecked)
