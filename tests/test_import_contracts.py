"""The layers hold: import-linter's contracts (pyproject.toml) and no import circle between files.

``lint-imports`` runs the contracts in ``[tool.importlinter]``; a second test
breaks a copy of the tree on purpose (``import policies`` in a ``sim/`` module)
and checks that the contracts then fail, so the first test can fail too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "envs", "policies", "experiments", "scripts", "hydra_plugins")
OUR_PLUGIN = "hydra_plugins.shelflife_optuna_sweeper"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, check=False
    )


def test_every_import_contract_is_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


def test_an_upward_import_breaks_the_build(tmp_path):
    for name in (*PACKAGES, "pyproject.toml"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / name)
    rng = tmp_path / "sim" / "rng.py"
    rng.write_text(rng.read_text() + "\nimport policies  # noqa: E402,F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "sim is not allowed to import policies" in result.stdout


def _circles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Groups of two or more modules that import each other, directly or through others."""
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    reach: dict[str, set[str]] = {}
    for start in modules:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(edges[m])
        reach[start] = seen
    groups = {
        tuple(sorted({m} | {n for n in reach[m] if m in reach[n]}))
        for m in modules
        if any(m in reach[n] for n in reach[m])
    }
    return sorted(list(g) for g in groups)


def test_no_import_circle_between_files_counting_type_checking_imports():
    sys.path.insert(0, str(REPO))
    try:
        graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(REPO))
    # a package's __init__ importing its own modules is not a circle between files
    # (packages installed into the hydra_plugins namespace are not ours)
    modules = {
        m
        for m in graph.modules
        if not graph.find_children(m)
        and (not m.startswith("hydra_plugins.") or m.startswith(OUR_PLUGIN))
    }
    assert _circles(graph, modules) == []
