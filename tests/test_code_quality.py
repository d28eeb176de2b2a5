"""The code stays lint-clean, formatted and type-checked (ruff with the complexity rule and
mypy --strict, configured in pyproject.toml), functions stay short, and the modules form no
import circle, so a reader meets one style and can read each module top to bottom."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff_lint_is_clean():
    done = run("ruff", "check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean():
    done = run("ruff", "format", "--check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean():
    done = run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


MAX_FUNCTION_LINES = 60


def test_no_function_in_src_is_longer_than_60_lines():
    long = []
    for path in sorted((REPO / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length})")
    assert long == []


def _imports(path: Path, package: str) -> set[str]:
    """The fusioncheck modules ``path`` imports (a package's own submodules excluded)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fusion"):
            if node.module == "fusioncheck":
                found |= {f"fusioncheck.{a.name}" for a in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("fusioncheck")}
    return {m for m in found if not m.startswith(package + ".") and m != package}


def test_no_import_circle():
    src = REPO / "src"
    graph = {}
    for path in src.rglob("*.py"):
        name = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        package = name if path.name == "__init__.py" else ""
        graph[name] = _imports(path, package or "\0")
    circles = []

    def visit(node: str, stack: list[str]) -> None:
        for dep in sorted(graph.get(node, ())):
            if dep in stack:
                circles.append(" -> ".join([*stack[stack.index(dep) :], dep]))
            elif len(stack) < 30:
                visit(dep, [*stack, dep])

    for name in sorted(graph):
        visit(name, [name])
    assert circles == []
