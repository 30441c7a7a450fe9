"""welfare/ is the shared kernel: it imports no domain app (DESIGN.md, "Layout").

Every module of welfare/ is parsed and every import in it is read, at the top of the module
or inside a function alike. Domain apps plug into the kernel through hooks they register in
their AppConfig.ready() (scoping rules, admin choices, home-page counts), never the reverse.
"""

import ast
from pathlib import Path

DOMAIN_APPS = frozenset({"cases", "benefits", "institutions", "demo"})
KERNEL = Path(__file__).resolve().parents[2] / "welfare"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import anywhere in the tree; relative imports stay in welfare."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def domain_imports(source: str, filename: str = "<source>") -> list[str]:
    """`line: module` for each import of a domain app in the source."""
    tree = ast.parse(source, filename=filename)
    return [f"{line}: {module}" for line, module in _imported_modules(tree) if module.split(".")[0] in DOMAIN_APPS]


def test_it_finds_a_domain_import_hidden_inside_a_function():
    source = "import os\n\ndef f():\n    from cases.children.models import Child\n    import benefits.payouts\n"
    assert domain_imports(source) == ["4: cases.children.models", "5: benefits.payouts"]


def test_it_lets_the_kernel_import_itself_and_third_party_packages():
    source = "from welfare.models import Region\nfrom django.db import models\nfrom . import roles\nimport casesx\n"
    assert domain_imports(source) == []


def test_it_finds_no_import_of_a_domain_app_anywhere_in_welfare():
    modules = sorted(KERNEL.rglob("*.py"))
    assert len(modules) > 20  # the kernel was found
    offending = {
        str(path.relative_to(KERNEL.parent)): hits
        for path in modules
        if (hits := domain_imports(path.read_text(encoding="utf-8"), str(path)))
    }
    assert offending == {}
