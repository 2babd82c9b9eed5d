"""The import rules of docs/ARCHITECTURE.md, checked by reading every module's imports (with ast,
including imports inside functions): a module imports only from its own layer or lower ones, and
the facts import nothing of dtracepy but other facts."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dtracepy"

# Lowest first.  Keep this table and the one in docs/ARCHITECTURE.md the same (a test below checks).
LAYERS = (
    ("facts", ("dtracepy.facts",)),
    ("base", ("dtracepy.source", "dtracepy.errors", "dtracepy.inputs")),
    ("tree", ("dtracepy.tree", "dtracepy.tree_inits")),
    ("analysis", ("dtracepy.passes", "dtracepy.checks")),
    ("text", ("dtracepy.lexer", "dtracepy.preprocess", "dtracepy.cpp_assertions", "dtracepy.parser",
              "dtracepy.parser_decls", "dtracepy.printer", "dtracepy.layout")),
    ("compiler", ("dtracepy.compiler", "dtracepy.compiler_rules")),
    ("dsl", ("dtracepy.dsl",)),
    ("front", ("dtracepy.run", "dtracepy.importer", "dtracepy.commands", "dtracepy.cli",
               "dtracepy.regex_codes", "dtracepy.attrs_codes", "dtracepy.attrs_lite", "dtracepy.re_lite",
               "dtracepy.__main__", "dtracepy")),
)

# The upward imports the architecture allows, each a thin facade method (module, imported module).
FACADES = {
    ("dtracepy.dsl.tracer", "dtracepy.run"),  # Tracer.run() calls dtracepy.run.run
}


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer of docs/ARCHITECTURE.md: add it there and here")
    return best


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: pathlib.Path, module: str):
    """(imported dtracepy module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "dtracepy" or (node.level and not node.module):
                # `from dtracepy import tree`: the names are modules
                for alias in node.names:
                    yield f"{target}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


def resolve(name: str) -> str:
    """The longest prefix of ``name`` that is a module or package of dtracepy."""
    parts = name.split(".")
    while parts:
        candidate = ROOT.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return name


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_imports_only_its_own_or_lower_layers():
    problems = []
    for path in SOURCES:
        module = module_name(path)
        mine = layer_of(module)
        for target, line in imports(path, module):
            if target != "dtracepy" and not target.startswith("dtracepy."):
                continue
            target = resolve(target)
            theirs = layer_of(target)
            if theirs > mine and (module, target) not in FACADES:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {module} ({LAYERS[mine][0]}) imports "
                                f"{target} ({LAYERS[theirs][0]})")
    assert not problems, "\n".join(problems)


def test_facts_import_no_other_part_of_dtracepy():
    for path in sorted((PACKAGE / "facts").rglob("*.py")):
        for target, line in imports(path, module_name(path)):
            if target.startswith("dtracepy") and not resolve(target).startswith("dtracepy.facts"):
                pytest.fail(f"{path.relative_to(ROOT)}:{line}: a facts module imports {target}")


def test_the_layer_table_is_the_one_in_the_architecture_document():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        row = next((line for line in text.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, f"docs/ARCHITECTURE.md has no row for layer {name}"
        for prefix in prefixes:
            shown = prefix.replace("dtracepy.", "").replace("dtracepy", "dtracepy/__init__")
            assert f"`{shown}" in row, f"layer {name}: {shown} is not in its row"


# The modules of dtracepy/run, lowest first: each imports only those before it (docs/ARCHITECTURE.md,
# "Running", lists them in this order).
RUN_ORDER = ("errors", "messages", "printa_scan", "aggregations", "framing", "decode", "output",
             "origins", "shebang", "script", "argv", "arguments", "dtrace_binary", "leftovers", "process", "stopping", "runner")


def test_the_run_modules_import_only_those_before_them():
    modules = {path.stem for path in (PACKAGE / "run").glob("*.py")} - {"__init__"}
    assert modules == set(RUN_ORDER), "add the module to RUN_ORDER and to docs/ARCHITECTURE.md"
    problems = []
    for name in RUN_ORDER:
        path = PACKAGE / "run" / f"{name}.py"
        for target, line in imports(path, f"dtracepy.run.{name}"):
            target = resolve(target)
            other = target.removeprefix("dtracepy.run.")
            if other in RUN_ORDER and RUN_ORDER.index(other) >= RUN_ORDER.index(name):
                problems.append(f"dtracepy/run/{name}.py:{line}: imports {target}, listed after it")
    assert not problems, "\n".join(problems)
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = [line.split("`")[1] for line in text.split("## Running", 1)[1].split("\n## ", 1)[0].splitlines()
            if line.startswith("| `")]
    assert tuple(rows) == RUN_ORDER
