"""The apps depend downward only (units ← tasks ← workflow; config wires everything), as the import contracts in
pyproject.toml say, so that plain ``pytest`` catches an upward import as ``./run test``'s lint step does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CHECKED = ("config", "units", "tasks", "workflow")
LAYERS = "Apps depend downward only"
ENGINE_FREE = "units and tasks are engine-free"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_apps_keep_their_import_contracts():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout


def test_an_upward_import_or_viewflow_below_workflow_breaks_a_contract(tmp_path):
    """The contracts bite: a copy of the apps with one late upward import and one viewflow import in ``tasks``."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in CHECKED:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (tmp_path / "tasks" / "probe.py").write_text(
        "def late():\n"
        "    from workflow import selectors\n"
        "    from viewflow import fsm\n"
        "    return selectors, fsm\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 2 broken" in result.stdout, result.stdout
    assert "tasks.probe -> workflow.selectors" in result.stdout
    assert "tasks.probe -> viewflow" in result.stdout
