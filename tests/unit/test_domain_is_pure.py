"""The domain imports the standard library and itself, nothing else (no I/O libraries, no
frameworks): import-linter forbids the usual suspects; this test forbids everything."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import ebank.domain

DOMAIN = Path(ebank.domain.__file__).parent
# Modules that do I/O or read the clock or randomness: not even from the standard library.
IMPURE = {
    "os",
    "io",
    "socket",
    "subprocess",
    "random",
    "time",
    "sqlite3",
    "logging",
    "secrets",
    "pathlib",
    "shutil",
    "threading",
    "asyncio",
    "urllib",
    "http",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_only_the_standard_library() -> None:
    offenders = {}
    for path in sorted(DOMAIN.glob("*.py")):
        bad = {
            root
            for root in imported_roots(path)
            if root != "ebank" and (root not in sys.stdlib_module_names or root in IMPURE)
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_domain_imports_nothing_outside_the_domain() -> None:
    for path in sorted(DOMAIN.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ebank"):
                assert node.module.startswith("ebank.domain"), (path.name, node.module)
