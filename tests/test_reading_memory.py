"""What reading D holds (issue 8: any input under 4 MiB in 300 MB): positions made when asked, a
long clause body lexed in parts, nodes without a weak-reference slot.  Memory is measured with
``tracemalloc`` on moderate inputs against generous bounds, never by the clock.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest

from dtracepy import lexer as L
from dtracepy import parser as P
from dtracepy import tree as T
from dtracepy.errors import DSyntaxError
from dtracepy.source import Pos


def _dense(clauses: int) -> str:
    clause = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
              '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')
    return clause * clauses


MIXED = ("/* a comment */\n#pragma D option quiet\ntypedef int myint_t;\nint z;\n" + _dense(3)
         + "BEGIN\n{\n\tx = (myint_t)1;\n\ty = sizeof (int);\n}\ninline int w = 2;\nEND { trace(z); }\n")


def _eager_positions(text):
    """Every node's position as the lexer's own position function gives it (eagerly): the tree
    the automaton alone builds, positions resolved through ``Lexer.pos_at`` of the offsets."""
    lexer = L.Lexer(text, "d.d")
    program = P.parse(text, "d.d")
    base = min(n._at for n in program.walk() if n._at.__class__ is int)  # (the first node is at 0)
    return [(type(n).__name__, lexer.pos_at(n._at - base) if n._at.__class__ is int else n._at)
            for n in program.walk()]


def test_parsed_nodes_hold_an_offset_and_make_their_position_when_asked():
    text = MIXED
    program = P.parse(text, "d.d")
    nodes = list(program.walk())[1:]  # (the Program's own is 1:1, made at once)
    assert nodes and all(n._at.__class__ is int for n in nodes)
    assert [(type(n).__name__, n.pos) for n in program.walk()] == _eager_positions(text)
    assert all(type(n.pos) is Pos for n in nodes)
    clause = [i for i in program.items if isinstance(i, T.Clause)][0]
    assert str(clause.body[0].expr.value.pos) == "d.d:8:13"  # self->ts = timestamp, in clause one
    # the DSL's nodes hold their Pos as before
    where = Pos("t.py", 3)
    assert T.Ident("x", pos=where).pos is where and T.Ident("x", pos=where)._at is where


def test_a_position_is_made_only_when_asked(monkeypatch):
    """Parsing makes no position; checking a script without findings makes one per clause at
    most here (key-type orders the subscripts by position; parser-stack measures each clause's
    span from the offsets as stored), not one per node."""
    from dtracepy.checks import CheckOptions, check_program

    made = []
    real = T._position_at
    monkeypatch.setattr(T, "_position_at", lambda at: made.append(at) or real(at))
    program = P.parse(_dense(200), "d.d")
    assert made == []
    check_program(program, CheckOptions(), source=_dense(200))
    assert len(made) <= 200 + 5


def test_preprocessed_text_gives_the_mapped_positions():
    """Under a line map (``-C`` output) an offset's position is its line's origin, as before."""
    lexer = L.Lexer("BEGIN\n{ x = 1; }\n", "out.d", lambda line: ("in.d", line + 10))
    at = lexer.offset_function()
    node = T.Ident("x", pos=at(8))
    assert node.pos == Pos("in.d", 12, 3) == lexer.pos_at(8)


def _statements(n: int) -> str:
    return "BEGIN{" + "x;" * n + "}"


def test_a_long_body_is_lexed_in_parts(monkeypatch):
    """The fast parser is handed a long body a part at a time: no list of the lexer's holds more
    than ``CLAUSE_PART`` tokens and the statement that ends the part."""
    longest = []
    items = L.Lexer.items

    def recording(self, *args, **kwargs):
        for toks in items(self, *args, **kwargs):
            longest.append(len(toks))
            yield toks

    monkeypatch.setattr(L.Lexer, "items", recording)
    program = P.parse(_statements(20_000), "d.d")
    assert len(program.items[0].body) == 20_000
    assert len(longest) > 5 and max(longest) <= P.CLAUSE_PART + 2


def test_the_tree_of_many_statements_is_small_and_its_tokens_are_not_held():
    """``BEGIN{x;x;...}``: the tree holds an Ident, an ExprStmt and an offset per statement (no
    Pos, no weak-reference slot), and reading it holds no clause's worth of tokens.  Before:
    278 bytes a statement kept, 499 at the peak."""
    n = 20_000
    text = _statements(n)
    gc.collect()
    tracemalloc.start()
    try:
        program = P.parse(text, "d.d")
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(program.items[0].body) == n
    assert kept / n < 190
    assert peak / n < 260


def test_nodes_have_no_weak_reference_slot_but_where_the_dsl_needs_one():
    assert not hasattr(T.Ident("x"), "__weakref__")
    assert not hasattr(T.ExprStmt(T.Ident("x")), "__weakref__")
    weakref.ref(T.If(T.Ident("x"), T.EmptyStmt()))     # (dsl/control.py)
    weakref.ref(T.Member(T.Ident("x"), "->", "y"))      # (dsl/members.py)


def _outcome(text, fast=True):
    saved = P.FAST_CLAUSES
    P.FAST_CLAUSES = fast
    try:
        program = P.parse(text, "x.d")
        return program, [(type(n).__name__, n.pos) for n in program.walk()]
    except DSyntaxError as err:
        return "error", str(err)
    finally:
        P.FAST_CLAUSES = saved


PARTED = [
    "BEGIN{" + "x;" * 20 + "}",
    "BEGIN{" + "x=1;" * 10 + "y=(int)2;" + "z;" * 10 + "}",                  # a cast in a later part
    "BEGIN{" + "x;" * 10 + "if (x) y; else z; if (a) b;" + "w;" * 10 + "}",  # else after a part's end
    "BEGIN{" + "if (x) { a; b; c; d; e; f; } else { g; }" * 5 + "}",
    "BEGIN{" + "x;;;;" * 10 + "}",                                            # runs of ';'
    "BEGIN{" + "x;" * 10 + '"abc',                                            # a lexing error later
    "BEGIN{" + "x;" * 10,                                                     # no end
    "BEGIN{" + "x;" * 10 + "}\nint y;\nEND{" + "q;" * 10 + "}",
    "BEGIN{" + "x;" * 10 + "\n#pragma D option quiet\n" + "x;" * 10 + "y=(int)1;}",  # hoisted once
    "typedef int;\nBEGIN /x/ {" + "x;" * 10 + "y=(int)1;}",                   # the typedef quirk
    "BEGIN /(x]/ {" + "x;" * 10 + "y=(int)1;}",                              # a '(' left open
    "BEGIN {" + "x;" * 10 + "}}",
    "BEGIN {" + "x;" * 10 + "} BEGIN /" + "x;" * 3,
]


@pytest.mark.parametrize("text", PARTED)
def test_a_clause_read_in_parts_is_the_automatons(monkeypatch, text):
    """In parts (of 3 tokens here), the fast parser builds the automaton's tree and positions;
    where it gives up in a later part, or lexing fails there, the clause is lexed again whole from
    its start, in the state it began in, and the automaton says what it says of the text read
    whole."""
    whole = _outcome(text)
    monkeypatch.setattr(P, "CLAUSE_PART", 3)
    assert _outcome(text) == whole == _outcome(text, fast=False)


def test_parser_stack_does_not_walk_a_statement_of_a_lone_operand(monkeypatch):
    """``x;`` is one parser state: the parser-stack rule walks no such statement (it walked each
    of a long clause's, a second of CPU for 1,500,000)."""
    from dtracepy.checks import CheckOptions, check_program, parser_stack

    walked = []
    real = parser_stack._deepest
    monkeypatch.setattr(parser_stack, "_deepest", lambda expr, *rest: walked.append(expr) or real(expr, *rest))
    text = "BEGIN\n{\n" + "x;\n" * 6_000 + "y = 1 + 2;\n}\n"
    check_program(P.parse(text, "d.d"), CheckOptions(), source=text)
    assert len(walked) == 0  # (nor the last, told short by its nodes since session 25)


def test_the_checks_index_holds_no_list_of_every_statement():
    """The checks' one walk (``Context._by_class``) keeps, per statement, only its entries in the
    lists of nodes by class: which statements hold a thread-local is noted as they are reached,
    not kept as two lists of every statement and where each begins (16 bytes a statement, 24 MB
    of ``BEGIN{x;x;...}``'s 3 MB; issue 8: 300 MB).  The lists by class hold an ExprStmt and an
    Ident a statement: 16 bytes and their growth.  Before: 36 bytes a statement."""
    from dtracepy.checks.context import Context

    n = 20_000
    program = P.parse(_statements(n), "d.d")
    context = Context(program, None)
    gc.collect()
    tracemalloc.start()
    try:
        index = context._by_class
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(index[T.ExprStmt]) == n
    assert kept / n < 24


@pytest.mark.parametrize("text, holding", [
    ("BEGIN { x = 1; self->a = 1; y = 2; }", ["self->a = 1;"]),
    ("BEGIN /self->a/ { x = 1; y = self->a; }", ["/self->a/", "y = self->a;"]),
    ("BEGIN { x = 1; } END { self->a = 0; z = 2; }", ["self->a = 0;"]),
    ("BEGIN { self->a = 1; self->b = 2; } END /x/ { trace(self->a); }",
     ["self->a = 1;", "self->b = 2;", "trace(self->a);"]),
])
def test_the_checks_index_notes_which_statements_hold_a_thread_local(text, holding):
    """What the walk notes instead of the two lists: the predicates and statements that hold a
    ``self->`` (the others give the lifecycle checks no access to read)."""
    from dtracepy.checks.context import Context
    from dtracepy.printer import to_d

    program = P.parse(text, "d.d")
    ids = Context(program, None)._holding()
    roots = [c.predicate for c in program.clauses if c.predicate is not None]
    roots += [s for c in program.clauses for s in c.body]
    found = [to_d(r).strip() if isinstance(r, T.ExprStmt) else f"/{to_d(r).strip()}/"
             for r in roots if id(r) in ids]
    assert sorted(found) == sorted(holding)
