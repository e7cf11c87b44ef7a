"""The package layout is the pipeline: every module imports on its own, nothing imports in a
circle, and no stage imports a later one (what a newcomer relies on to find their way)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import papertide

PACKAGE = Path(papertide.__file__).parent

# Earlier layers first; a module may import from its own layer and the layers before it.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(names.split())
    for names in (
        "__init__ errors records secrets http_body",
        "config",
        "store runlog",
        "llm",
        "fetch",
        "feedback",
        "select",
        "enrich",
        "write",
        "figures",
        "publish",
        "pipeline schedule doctor health serve cluster",
        "cli __main__",
    )
)


# Imports that cross the layers on purpose, with the reason.
ALLOWED = {
    ("papertide.config", "papertide.select.query"): "a topic's keyword query is checked on load",
}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    found = [n for n, names in enumerate(LAYERS) if top in names]
    assert found, f"{module}: a new top-level module; put it into LAYERS"
    return found[0]


def imports(path: Path, at_import_time: bool) -> set[str]:
    """The papertide modules a file imports (only those run when it is imported, or all,
    including the ones inside functions and under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    known = modules()
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            if isinstance(child, ast.ImportFrom) and child.module and (top or not at_import_time):
                if child.module.startswith("papertide"):
                    for alias in child.names:  # `from papertide.cli import run` names a module
                        module = f"{child.module}.{alias.name}"
                        found.add(module if module in known else child.module)
            elif isinstance(child, ast.Import) and (top or not at_import_time):
                found.update(a.name for a in child.names if a.name.startswith("papertide"))
            visit(child, top and not inside)

    visit(tree, True)
    return found - {name for name, p in known.items() if p == path}


def test_every_module_imports_on_its_own() -> None:
    names = [n for n in modules() if n != "papertide.__main__"]  # that one runs the CLI
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'papertide']:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip() == "", result.stdout
    assert len(names) > 60


def test_no_stage_imports_a_later_one() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in modules().items()
        for imported in imports(path, at_import_time=False)
        if layer(imported) > layer(name) and (name, imported) not in ALLOWED
    ]
    assert wrong == []


def test_no_import_cycle() -> None:
    known = modules()
    graph = {name: imports(path, at_import_time=True) & set(known) for name, path in known.items()}
    cycles = []
    done: set[str] = set()

    def walk(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        if name in done:
            return
        for imported in sorted(graph[name]):
            walk(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        walk(name, [])
    assert cycles == []


def test_command_modules_share_only_the_console() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in modules().items()
        if name.startswith("papertide.cli.") and name != "papertide.cli.console"
        for imported in imports(path, at_import_time=False)
        if imported.startswith("papertide.cli") and imported != "papertide.cli.console"
    ]
    assert wrong == []
