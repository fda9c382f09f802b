"""The apps depend downward only (units ← tasks ← workflow; config wires everything): in Python, as the import
contracts in pyproject.toml say, so that plain ``pytest`` catches an upward import as ``./run test``'s lint step
does; and in templates, where the pages of ``units`` and ``tasks`` load no tag library of a higher app. Inside
``workflow`` the modules are layered too: pages and entry points → services | selectors → flows → nodes → models."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CHECKED = ("config", "accounts", "units", "tasks", "workflow", "evaluation", "notifications")
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
    assert "5 kept, 0 broken" in result.stdout, result.stdout


def _copy_apps(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in CHECKED:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def test_an_upward_import_or_viewflow_below_workflow_breaks_a_contract(tmp_path):
    """The contracts bite: a copy of the apps with one late upward import and one viewflow import in ``tasks``."""
    _copy_apps(tmp_path)
    (tmp_path / "tasks" / "probe.py").write_text(
        "def late():\n    from workflow import selectors\n    from viewflow import fsm\n    return selectors, fsm\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 kept, 2 broken" in result.stdout, result.stdout
    assert "tasks.probe -> workflow.selectors" in result.stdout
    assert "tasks.probe -> viewflow" in result.stdout


def test_the_flow_reaching_up_to_the_services_or_the_pages_breaks_the_workflow_layers(tmp_path):
    """The circle stays broken: a copy where ``workflow.flows`` imports the services and the pages, late."""
    _copy_apps(tmp_path)
    with (tmp_path / "workflow" / "flows.py").open("a", encoding="utf-8") as flows:
        flows.write("\n\ndef late():\n    from workflow import services, views\n    return services, views\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 kept, 1 broken" in result.stdout, result.stdout
    assert "workflow.flows -> workflow.services" in result.stdout
    assert "workflow.flows -> workflow.views" in result.stdout


HIGHER_APPS = ("workflow", "evaluation", "notifications")
LOWER_TEMPLATE_DIRS = ("templates/units", "templates/tasks", "units/templates", "tasks/templates")
LOAD = re.compile(r"{%-?\s*load\s+(.+?)\s*-?%}")


def _higher_libraries() -> set[str]:
    """The template tag libraries of the apps above ``tasks`` (Django names a library after its module)."""
    return {
        module.stem
        for app in HIGHER_APPS
        for module in (ROOT / app / "templatetags").glob("*.py")
        if module.stem != "__init__"
    }


def _loaded_libraries(source: str) -> set[str]:
    """Every library a template loads: ``{% load a b %}`` and ``{% load tag from a %}``."""
    loaded: set[str] = set()
    for match in LOAD.finditer(source):
        words = match.group(1).split()
        loaded.update(words[words.index("from") + 1 :] if "from" in words else words)
    return loaded


def test_the_pages_of_units_and_tasks_load_no_tag_library_of_a_higher_app():
    forbidden = _higher_libraries()
    assert "reporting" in forbidden  # the scan knows what it looks for
    templates = [path for folder in LOWER_TEMPLATE_DIRS for path in sorted((ROOT / folder).rglob("*.html"))]
    assert any(path.name == "task_detail.html" for path in templates)
    offenders = {
        str(path.relative_to(ROOT)): sorted(_loaded_libraries(path.read_text(encoding="utf-8")) & forbidden)
        for path in templates
    }
    assert {path: libraries for path, libraries in offenders.items() if libraries} == {}


def test_the_template_scan_reads_both_forms_of_load():
    assert _loaded_libraries("{% load i18n luoshi %}x{% load report_colour from reporting %}") == {
        "i18n",
        "luoshi",
        "reporting",
    }


def test_the_evaluation_rules_reaching_for_a_model_break_their_purity(tmp_path):
    """The rules are pure: a copy where ``evaluation.rules.lights`` imports the register's models, late."""
    _copy_apps(tmp_path)
    with (tmp_path / "evaluation" / "rules" / "lights.py").open("a", encoding="utf-8") as lights:
        lights.write("\n\ndef late():\n    from tasks.models import PlanTask\n    return PlanTask\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 kept, 1 broken" in result.stdout, result.stdout
    assert "evaluation.rules.lights -> tasks.models" in result.stdout


def test_the_evaluation_rules_use_no_database():
    """import-linter cannot forbid part of Django, so this reads the sources: no ORM, no clock in the rules."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "evaluation" / "rules").glob("*.py")}
    assert "lights.py" in sources
    for name, source in sources.items():
        assert not re.search(r"^\s*(from|import) django\.(db|contrib)", source, re.M), name
        assert not re.search(r"\b(date\.today|datetime\.now|timezone\.now)\(", source), name
