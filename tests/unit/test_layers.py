"""The arrows between the layers point down only (DESIGN.md §1).

Each rule names a folder and what no module in it may import, read from the source with
``ast`` (every import counts, also those under ``TYPE_CHECKING`` and relative ones), so a
rule broken anywhere fails the suite. The tests below also break each rule on purpose in a
throwaway tree, to show that the check sees it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import pos

ROOT = Path(pos.__file__).parent.parent

QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


@dataclass(frozen=True)
class Rule:
    folder: str
    """A package folder, relative to the repository's root."""
    forbidden: tuple[str, ...]
    """Modules (with everything under them) no module in ``folder`` may import."""
    why: str

    def __str__(self) -> str:
        return self.folder


RULES = (
    Rule("pos", (*QT, "ui"), "the core never knows about Qt or the window"),
    Rule("ui", ("pos.store", "sqlalchemy"), "the window talks to services and the domain only"),
    Rule(
        "pos/payments",
        ("pos.services", "pos.runtime", "pos.sync"),
        "adapters to card terminals call no use case",
    ),
    Rule(
        "pos/printing",
        ("pos.services", "pos.runtime", "pos.sync"),
        "adapters to printers call no use case",
    ),
    Rule(
        "pos/services",
        ("pos.runtime", "pos.sync"),
        "use cases are called by the runtime and sync, never call them",
    ),
    Rule(
        "pos/domain",
        (
            "pos.store",
            "pos.services",
            "pos.payments",
            "pos.printing",
            "pos.runtime",
            "pos.sync",
            "sqlalchemy",
        ),
        "the shop's rules do no I/O",
    ),
)


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(root: Path, path: Path) -> set[str]:
    """Every module ``path`` imports, absolute; ``from a import b`` also names ``a.b``, which
    may be a module (``from pos import store``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(root, path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def breaks(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == bad or name.startswith(f"{bad}.") for bad in forbidden)


def violations(root: Path, rule: Rule) -> dict[str, list[str]]:
    """The modules in the rule's folder that import what it forbids, with what they import."""
    folder = root / rule.folder
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        bad = sorted(name for name in imported_modules(root, path) if breaks(name, rule.forbidden))
        if bad:
            found[str(path.relative_to(root))] = bad
    return found


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_the_layers_keep_their_rule(rule: Rule):
    assert violations(ROOT, rule) == {}, rule.why


def _tree(tmp_path: Path, folder: str, source: str) -> Path:
    path = tmp_path / folder / "offender.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(tmp_path).parents:
        if parent != Path("."):
            (tmp_path / parent / "__init__.py").touch()
    path.write_text(source, encoding="utf-8")
    return path


def _spellings(module: str) -> list[str]:
    """The ways one can import ``module``."""
    parent, _, child = module.rpartition(".")
    ways = [f"import {module}\n", f"from {module} import anything\n"]
    if parent:
        ways.append(f"from {parent} import {child}\n")
    ways.append(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import {module}.deep\n")
    return ways


BROKEN = [
    pytest.param(rule, source, id=f"{rule.folder}:{source.splitlines()[-1].strip()}")
    for rule in RULES
    for bad in rule.forbidden
    for source in _spellings(bad)
]


@pytest.mark.parametrize(("rule", "source"), BROKEN)
def test_each_rule_fails_when_broken(tmp_path: Path, rule: Rule, source: str):
    _tree(tmp_path, rule.folder, source)
    assert list(violations(tmp_path, rule)) == [f"{rule.folder}/offender.py"]


@pytest.mark.parametrize(
    ("folder", "source", "forbidden"),
    [
        ("pos/payments", "from ..services import cart\n", ("pos.services",)),
        ("pos/payments", "from .. import services\n", ("pos.services",)),
        ("pos/domain/deep", "from ...store.models import Role\n", ("pos.store",)),
    ],
)
def test_relative_imports_are_seen(tmp_path: Path, folder: str, source: str, forbidden):
    _tree(tmp_path, folder, source)
    assert violations(tmp_path, Rule(folder, forbidden, "")) != {}


@pytest.mark.parametrize(
    ("folder", "source"),
    [
        ("ui", "from pos.services.cart import add_scanned\nimport pos.storehouse\n"),
        ("pos/payments", "from pos.payments.terminal import TerminalStatus\nimport pos\n"),
        ("pos/domain", "from pos.domain.money import Money\nfrom . import text\n"),
        ("pos", "import uuid\nfrom pos.ui_strings import x\n"),
    ],
)
def test_what_a_rule_allows_passes(tmp_path: Path, folder: str, source: str):
    _tree(tmp_path, folder, source)
    rule = next(rule for rule in RULES if rule.folder == folder)
    assert violations(tmp_path, rule) == {}


def test_importing_every_core_module_loads_no_qt():
    core = ROOT / "pos"
    modules = sorted(
        module_name(ROOT, path) for path in core.rglob("*.py") if "migrations" not in path.parts
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'ui')))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    assert output.strip() == "[]"
