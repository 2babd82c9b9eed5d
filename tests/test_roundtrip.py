"""Round trips: parse(to_d(t)) == t, and printing is idempotent.

* every corpus file that parses (``$DTRACEPY_CORPUS`` or ``../shared/corpus`` next to the repo);
* random trees from :mod:`strategies` (hypothesis).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import strategies
from test_corpus_parse import _exceptions, _should_parse, cpp_defines
from dtracepy import tree as T
from dtracepy.errors import DTracePyError
from dtracepy.parser import parse, parse_bytes
from dtracepy.printer import to_d

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DTRACEPY_CORPUS") or REPO.parent / "shared" / "corpus")
REQUIRE_CORPUS = os.environ.get("DTRACEPY_REQUIRE_CORPUS") == "1"

# Corpus files whose round trip is known to fail, each with the reason (whose bug, what case).
KNOWN_FAILURES: dict[str, str] = {}


def _corpus_files() -> list[tuple[str, str]]:
    """(path, notes) of every corpus file that should parse: the rejected ones (syntax errors,
    lexical semantic errors, the listed exceptions) have no tree to round-trip, and the parser's
    conformance test holds them to their verdict."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    excepted = _exceptions()
    with manifest.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        (row["path"], row["expect"], row["notes"] or "")
        for row in rows
        if _should_parse(row["expect"], row["errtag"]) is not False and row["path"] not in excepted
    ]


CORPUS_FILES = _corpus_files()


def _read(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _first_difference(a: T.Program, b: T.Program) -> str:
    """A readable account of where two programs differ."""
    if len(a.items) != len(b.items):
        return f"{len(a.items)} items became {len(b.items)}"
    for i, (x, y) in enumerate(zip(a.items, b.items)):
        if x != y:
            return f"item {i} printed as:\n{to_d(x)}\nbefore: {x!r}\nafter:  {y!r}"
    return "no difference found"


def assert_round_trips(tree: T.Program, filename: str = "<printed>") -> None:
    printed = to_d(tree)
    reparsed = parse(printed, filename)
    assert reparsed == tree, _first_difference(tree, reparsed) + "\n--- printed ---\n" + printed
    assert to_d(reparsed) == printed


def test_corpus_is_present():
    if not CORPUS_FILES:
        if REQUIRE_CORPUS:
            pytest.fail(f"corpus not found at {CORPUS} (DTRACEPY_REQUIRE_CORPUS=1)")
        pytest.skip(f"corpus not found at {CORPUS}; set DTRACEPY_CORPUS")


@pytest.mark.parametrize("relpath,expect,notes", CORPUS_FILES, ids=[row[0] for row in CORPUS_FILES])
def test_corpus_file_round_trips(relpath, expect, notes):
    path = CORPUS / relpath
    try:
        tree = parse(_read(path), str(path))
    except DTracePyError:
        defines = cpp_defines(notes)
        if defines is not None:
            # Scripts written for `dtrace -C` may only be D once preprocessed: round-trip that.
            tree = parse_bytes(path.read_bytes(), str(path), cpp=True, defines=defines)
        elif expect == "unknown":
            pytest.skip("the manifest gives no verdict on this file and it is not D (a shell script)")
        else:
            raise
    if relpath in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[relpath])
    assert_round_trips(tree, relpath)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.programs())
def test_random_programs_round_trip(program):
    assert_round_trips(program)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.exprs())
def test_random_expressions_round_trip_inside_a_clause(expr):
    program = T.Program((T.Clause((T.ProbeDesc("BEGIN"),), None, (T.ExprStmt(expr),)),))
    assert_round_trips(program)
