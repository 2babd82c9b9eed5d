"""Issue 8, session 25 (exact26): ``import --exact``'s proof costs less a counted node, and its bound
(``importer.MAX_EXACT_NODES``) is raised by the rule it was set by (docs/PERFORMANCE.md, "Session 25,
exact26"): the count at which the costliest shape measured a counted node (empty clauses) costs what
28,400 one-line clauses took at the old 185,000 nodes.

* The compile's parser-stack walk (``checks/parser_stack._deepest``) is skipped for a statement
  its node count proves too short to reach dtrace's limit (``parser_stack._few_states``): the DSL's
  statements have no parsed offsets, so each statement of a long clause was walked (a sixth of
  proving dense statements ``x = a+b+...+h;``).  The refusals are the same: the skip is a bound
  (an operand keeps one state, a node with parts at most five more than its deepest part), tested
  here at its edge and at dtrace's own.
* The compiler finds a clause's nodes and its descriptions' macro variables without the general
  walk step and without a regular expression for a description without ``$``.

Not timed: the tests count calls and compare with the walk."""

from __future__ import annotations

import csv

import pytest

from dtracepy import importer, tree
from dtracepy.checks import parser_stack
from dtracepy.compiler import compile_tracer
from dtracepy.errors import CompileError, DTracePyError
from dtracepy.importer import CannotImport, import_program, run_module
from dtracepy.parser import parse, parse_bytes
from test_import_scale import _counting


def _empty_clauses(n: int) -> str:
    return "".join(f"fbt::f{i}:entry{{}}\n" for i in range(n))


def _dense(n: int) -> str:
    return "BEGIN{\n" + "x = a+b+c+d+e+f+g+h;\n" * n + "}\n"


# --- the bound -----------------------------------------------------------------------------------

def test_the_bound_is_151_000_and_takes_50_300_empty_clauses():
    """README: at most 151,000 counted nodes (145,000 in session 24): 50,300 empty clauses, 20,100
    one-line clauses, 8,380 dense statements."""
    assert importer.MAX_EXACT_NODES == 151_000
    assert importer.exact_count(parse(_empty_clauses(50_300), "x.d"))[2] == 150_900
    assert importer.exact_count(parse(_empty_clauses(50_334), "x.d"))[2] > importer.MAX_EXACT_NODES
    assert importer.exact_count(parse(_dense(8_380), "x.d"))[2] <= importer.MAX_EXACT_NODES


def test_50_333_empty_clauses_are_proved_and_one_more_is_refused(monkeypatch):
    """The most empty clauses the bound takes (150,999 counted): written, run and compiled back
    (refused at once before); 50,334 (151,002) refused before the module is written."""
    text = _empty_clauses(50_333)
    program = parse(text, "x.d")
    assert importer.exact_count(program)[2] == 150_999
    counts = _counting(monkeypatch)
    module = import_program(program, "x.d", exact=True, text=text)
    assert counts == {"written": 1, "run": 1} and "def trace_f50332_entry():" in module
    over_text = _empty_clauses(50_334)
    with pytest.raises(CannotImport, match="which --exact counts as 151,002 .* over the 151,000 that it proves"):
        import_program(parse(over_text, "x.d"), "x.d", exact=True, text=over_text)
    assert counts == {"written": 1, "run": 1}


# --- the parser-stack walk skipped for statements too short to reach the limit ------------------

def _counting_deepest(monkeypatch) -> dict:
    counts = {"deepest": 0}
    deepest = parser_stack._deepest

    def counted(expr, ctx=None):
        counts["deepest"] += 1
        return deepest(expr, ctx)

    monkeypatch.setattr(parser_stack, "_deepest", counted)
    return counts


def test_the_proof_of_dense_statements_walks_none_for_the_parser_stack(monkeypatch):
    """600 statements ``x = a+b+...+h;`` in one clause (its D long enough to be looked at): the
    compile of the module's tracer walked each (600 calls of _deepest before), now none."""
    text = _dense(600)
    program = parse(text, "x.d")
    counts = _counting_deepest(monkeypatch)
    module = import_program(program, "x.d", exact=True, text=text)
    assert "glob.x = (" in module
    assert counts == {"deepest": 0}


def _tree_nodes(expr) -> "int | None":
    """The nodes of ``expr`` as _parts reaches them, counted as a tree; None if a type is under it."""
    count, stack = 0, [expr]
    while stack:
        node = stack.pop()
        if node.__class__ is tree.TypeName:
            return None
        count += 1
        stack.extend(part for _, part in parser_stack._parts(node))
    return count


_EXPRESSIONS = [
    "1", "x", "!x", "-x", "x + y", "x = y", "x = y = z = 1", "a ? b : c", "a ? b : c ? d : e ? f : g",
    "f(a, b, c)", "f(a, f(a, f(a, f(a, b))))", "a[b, c][d]", "a[a[a[a[1]]]]", "x->y.z", "x++", "--x",
    "sizeof (x)", "stringof(x)", "*p", "&x", "(int)x", "sizeof (int)", "xlate<int>(x)", "offsetof(struct s, m)",
    "((x))", "x + (y * (z - w))", "!!!!!!!!!!1", "a ? b ? c : d : e", "printf(\"%d\", x ? y : z)",
    "@a[execname, pid]", "this->x = self->y + $1", "x = y ? f(a, b[c]) : !d",
]


@pytest.mark.parametrize("text", _EXPRESSIONS)
def test_few_states_is_a_bound_and_exact_at_its_edge(text):
    """For an expression of n nodes without a type: told short for at most 5n states and not for
    5n - 1 (its edge), and then it surely keeps at most that many (_deepest's count); with a type
    it is never told short (walked)."""
    expr = parse(f"BEGIN {{ {text}; }}\n", "x.d").items[0].body[0].expr
    n = _tree_nodes(expr)
    states = parser_stack._deepest(expr)[0]
    if n is None:
        assert not parser_stack._few_states(expr, 10 ** 6)
        return
    assert states <= parser_stack._MOST_A_NODE * n
    assert parser_stack._few_states(expr, parser_stack._MOST_A_NODE * n)
    assert not parser_stack._few_states(expr, parser_stack._MOST_A_NODE * n - 1)
    for most in range(0, parser_stack._MOST_A_NODE * n + 2):
        if parser_stack._few_states(expr, most):
            assert states <= most, (text, most, states)


def test_few_states_is_a_bound_over_the_corpus(corpus):
    """Every expression statement of every 5th ``parse-ok`` corpus file: told short at 5n, not at
    5n - 1, and at most 5n states."""
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["expect"] == "parse-ok"]
    seen = 0
    for row in rows[::5]:
        try:
            program = parse_bytes((corpus / row["path"]).read_bytes(), row["path"])
        except (DTracePyError, RecursionError):
            continue
        for stmt in program.walk():
            if stmt.__class__ is not tree.ExprStmt:
                continue
            n = _tree_nodes(stmt.expr)
            if n is None or n > 2_000:
                continue
            seen += 1
            most = parser_stack._MOST_A_NODE * n
            assert parser_stack._few_states(stmt.expr, most), (row["path"], stmt)
            assert not parser_stack._few_states(stmt.expr, most - 1), (row["path"], stmt)
            assert parser_stack._deepest(stmt.expr)[0] <= most, (row["path"], stmt)
    assert seen > 2_000, seen


def _deep_tracer(chain: int, before: int = 400) -> str:
    """A tracer whose one clause has ``before`` statements, then ``glob.x = ~~...~arg0`` of
    ``chain`` operators (built in a loop: the DSL's nodes have no parsed offsets)."""
    return ("from dtracepy import Tracer, arg0, glob\n\nt = Tracer(shebang=False)\n\n\n"
            "@t.probe(\"BEGIN\")\ndef begin():\n"
            f"    for i in range({before}):\n        glob.y = arg0 + arg0 + arg0 + arg0\n"
            f"    v = arg0\n    for i in range({chain}):\n        v = ~v\n    glob.x = v\n")


@pytest.mark.parametrize("before", [0, 1, 400])
def test_the_compile_refuses_where_it_did_one_past_dtrace_s_limit(monkeypatch, before):
    """dtrace's limit for a statement after the first (``check``'s "second statement": 9,990
    prefix operators): compiled at it, refused one past it at the chain's line, as before; the
    statements before it (400 of 9 nodes: told short) are not walked, the chain is."""
    last = 9_990 if before else 9_992  # (the clause's first statement: two states fewer)
    fine = compile_tracer(run_module(_deep_tracer(last, before), "t.py"), checks=False)
    assert "~~~~" in fine.text
    counts = _counting_deepest(monkeypatch)
    with pytest.raises(CompileError, match="nests 9,996 parser states deep, past the 9,995"):
        compile_tracer(run_module(_deep_tracer(last + 1, before), "t.py"), checks=False)
    assert counts == {"deepest": 1}


def test_a_statement_of_many_nodes_is_walked_still(monkeypatch):
    """A statement of more nodes than the limit allows five states each is walked (here ``arg0 +
    arg0 + ...`` of 2,100 operands built in a loop: 4,199 nodes, 3 states: compiled)."""
    source = _deep_tracer(0, 400).replace("v = ~v", "v = v + arg0").replace("range(0)", "range(2_099)")
    counts = _counting_deepest(monkeypatch)
    compiled = compile_tracer(run_module(source, "t.py"), checks=False)
    assert compiled.text.count("arg0 + arg0") > 1_000
    assert counts == {"deepest": 1}


# --- the compiler's walk and macro variables ----------------------------------------------------

def test_macro_variables_of_descriptions_are_found_as_before():
    from dtracepy import compiler

    program = parse("pid$target::f:entry, syscall::$1:entry {}\nfbt::g:entry { trace($$2); }\n"
                    "BEGIN { x = $3; }\nfbt::$$4:return {}\n", "x.d")
    used = compiler.macros_used(program.items)
    assert list(used) == ["$1", "$$2", "$3", "$$4", "$target"]
