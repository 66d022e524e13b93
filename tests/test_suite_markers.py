"""The suite's own wiring: every marker a test uses is registered, and CI still runs the tests the README's
test command deselects (``heavy``), as a second step of ``.ci/run``."""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


def _pytest_ini() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]


def _registered() -> set[str]:
    return {m.split(":", 1)[0].strip() for m in _pytest_ini()["markers"]}


@cache
def _marks(path: Path) -> dict[str, set[str]]:
    """Test function name -> the marker names written on it (``@pytest.mark.NAME``, called or not); the key ``""``
    holds every marker the file names anywhere (``pytestmark = ...`` included)."""

    def name(node: ast.AST) -> str | None:
        node = node.func if isinstance(node, ast.Call) else node
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "mark"
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "pytest"):
            return node.attr
        return None

    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {"": {n for node in ast.walk(tree) if (n := name(node))}}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            out[node.name] = {n for d in node.decorator_list if (n := name(d))}
    return out


@cache
def _files() -> tuple[Path, ...]:
    return tuple(sorted((ROOT / "tests").rglob("*.py")))  # markers live in tests/ (rag/ and ui/ add doctests only)


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Run the tests.*?```bash\n(.+?)\n```", readme, flags=re.S)
    assert block, "README's 'Run the tests' command block is gone"
    return block.group(1).strip()


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def test_every_marker_a_test_uses_is_registered_and_unknown_ones_are_errors():
    registered = _registered()
    assert {"slow", "browser", "heavy"} <= registered
    assert "--strict-markers" in _pytest_ini()["addopts"].split()  # pytest itself refuses a typo like `heavvy`
    unknown = {f"{p.relative_to(ROOT)}: {m}" for p in _files() for m in _marks(p)[""] - registered - BUILTIN}
    assert not unknown, unknown


def test_heavy_tests_are_few_and_slow():
    heavy = {f"{p.name}::{t}": m for p in _files() for t, m in _marks(p).items() if t and "heavy" in m}
    assert 1 <= len(heavy) <= 10, heavy  # a few that dominate, not a second suite
    assert all("slow" in m for m in heavy.values()), heavy  # `-m "not slow"` still skips them too


def test_the_readme_command_deselects_heavy_and_ci_runs_it_then_the_heavy_tests():
    command = _readme_test_command()
    assert shlex.split(command)[-2:] == ["-m", "not heavy"], command
    assert "heavy" not in _pytest_ini()["addopts"]  # deselected by the command a reader sees, not hidden
    ci = _ci_commands()
    assert command in ci, ("`.ci/run` no longer runs the README's test command", command)
    heavy_steps = [i for i, c in enumerate(ci) if shlex.split(c)[-2:] == ["-m", "heavy"] and "pytest" in c]
    assert heavy_steps and heavy_steps[-1] > ci.index(command), "`.ci/run` no longer runs the heavy tests after it"
    assert "set -euo pipefail" in ci  # a failing first step fails CI instead of being hidden by the second
