"""The lead's fixes of session 23 (each test fails on the code before it)."""

from __future__ import annotations

import pytest

from dtracepy import Tracer
from dtracepy.cli import main
from dtracepy.errors import DSLError

EXAMPLE = "examples/tcpq.py"


@pytest.mark.parametrize("command", [["compile", EXAMPLE], ["check", "examples/tcpq.d"],
                                     ["run", EXAMPLE]])
@pytest.mark.parametrize(("given", "meant"), [("solaris", "illumos"), ("Darwin", "macos"),
                                              ("linux", "oracle"), ("ilumos", "illumos")])
def test_a_dialect_named_by_its_system_is_answered_with_the_dialect(command, given, meant, capsys):
    # newuser23 (item 11): the README speaks of "illumos (and Solaris)", and --dialect solaris
    # listed the choices without saying which one a Solaris user means
    with pytest.raises(SystemExit) as exit_:
        main([command[0], "--dialect", given, *command[1:]])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"invalid choice: '{given}' (did you mean '{meant}'?" in err, err
    assert "Traceback" not in err


def test_a_tracer_for_a_system_s_name_says_which_dialect_it_means():
    with pytest.raises(DSLError, match=r"unknown D dialect 'solaris' \(did you mean 'illumos'\?\)"):
        Tracer(dialect="solaris")


def test_an_unknown_dialect_that_is_no_system_gets_no_guess():
    with pytest.raises(DSLError) as err:
        Tracer(dialect="plan9")
    assert "did you mean" not in str(err.value)
    assert "illumos, freebsd, macos, oracle" in str(err.value)


def _patterns_needing_python_3_11():
    """The string literals of the package that are regular expressions using what Python's re
    has only since 3.11 (atomic groups ``(?>...)``, possessive repeats ``*+``)."""
    import ast
    import pathlib
    import re
    import re._constants as constants
    import re._parser as parser
    import warnings

    newer = {constants.ATOMIC_GROUP, constants.POSSESSIVE_REPEAT}

    def uses(items) -> bool:
        for op, arg in items:
            if op in newer:
                return True
            nested = arg if isinstance(arg, (list, tuple)) else (arg,)
            for part in nested:
                if isinstance(part, parser.SubPattern) and uses(part):
                    return True
                if isinstance(part, (list, tuple)) and any(
                        isinstance(p, parser.SubPattern) and uses(p) for p in part):
                    return True
        return False

    found = []
    root = pathlib.Path(__file__).resolve().parent.parent / "dtracepy"
    for path in sorted(root.rglob("*.py")):
        if path.name in ("regex_codes.py", "attrs_codes.py", "tree_inits.py"):
            continue  # (generated data, not patterns)
        module = ast.parse(path.read_text(encoding="utf-8"))
        prose = {id(n.value) for n in ast.walk(module) if isinstance(n, ast.Expr)}  # (docstrings)
        for node in ast.walk(module):
            if isinstance(node, ast.Constant) and id(node) not in prose and isinstance(node.value, str) and (
                    "(?>" in node.value or re.search(r"[*+?}][+]", node.value)):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        parsed = parser.parse(node.value)
                except Exception:
                    continue  # (not a pattern)
                if uses(parsed):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_the_python_the_package_asks_for_can_compile_its_patterns():
    # perf24f's printa decoder and review 22's probe descriptions use atomic groups and
    # possessive repeats, which Python 3.10's re refuses ("unknown extension ?>"): the package
    # said it ran on 3.10 and would not even import there
    import pathlib
    import re

    pyproject = (pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    least = tuple(int(n) for n in re.search(r'requires-python = ">=(\d+)\.(\d+)"', pyproject).groups())
    newer = _patterns_needing_python_3_11()
    assert newer, "the scan finds no pattern at all: it would pass whatever the package needed"
    assert least >= (3, 11), f"pyproject asks for Python {least}, but {newer[:5]} need 3.11"
