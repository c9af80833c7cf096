"""The package boundaries of the design card hold."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_sim_does_not_import_gymnasium():
    modules = [
        p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".")
        for p in (REPO / "sim").rglob("*.py")
    ]
    statement = "; ".join(f"import {m}" for m in modules)
    loaded = imported_after(statement)
    assert not any(m == "gymnasium" or m.startswith("gymnasium.") for m in loaded)


def test_project_packages_come_from_this_repository():
    # envs, policies and experiments are also names of unrelated PyPI packages
    for name in ("sim", "envs", "policies", "experiments"):
        out = subprocess.run(
            [sys.executable, "-c", f"import {name}; print({name}.__file__)"],
            cwd="/",
            capture_output=True,
            text=True,
            check=True,
        )
        assert Path(out.stdout.strip()).resolve().is_relative_to(REPO), (name, out.stdout)


def test_drivers_read_views_not_the_simulators_mutable_state():
    """Envs, policies, the lab and scripts read snapshots and views, never ``sim.context``."""
    import re

    reaching_in = re.compile(r"\.context\.(state|counters|balance|streams|env)\b|\._ctx\b")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("envs", "policies", "experiments", "scripts")
        for path in sorted((REPO / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reaching_in.search(line)
    ]
    assert offenders == []
