"""perf23c (session 22, issue 8): ``check`` of 4 MiB of ``#line 5`` lines and of 110,000
``BEGIN { speculate(s); trace(N); }`` clauses.  The fast paths are counted (calls seen by
``sys.setprofile`` or by stand-ins, never timed) and compared with the full paths on many
generated and malformed inputs: the same tokens, nodes, positions, findings and errors.
"""

from __future__ import annotations

import random

import pytest

from dtracepy import lexer as L
from dtracepy import parser as P
from dtracepy import tree as t
from dtracepy.checks import CheckOptions, check_program
from dtracepy.checks import context as C
from dtracepy.checks import operands, rules, safety
from dtracepy.errors import DSyntaxError
from dtracepy.facts import options

# --- '#' lines -----------------------------------------------------------------------------------

_LINES = ["#line 5\n", '#line 5 "a.d"\n', "#line 08\n", "#line 1a\n", "#line\n", '# 12 "f.d" 1\n',
          "#line 5\r\n", "#line 5 \\\n", "#pragma D option quiet\n", "#pragma D option bufsize=8m\n",
          '#ident "x"\n', "#pragma D option nosuch\n", "#line 99999999999999999999\n", "# 5\n",
          "#define X 1\n", "BEGIN { trace(1); }\n", "BEGIN\n#line 7\n{ x = 1; }\n", "  #line 6\n",
          "#pragma line 5\n", "BEGIN /x/\n#line 9\n", "#!/usr/sbin/dtrace -s\n", "#line 5 /* c */\n",
          "BEGIN { x = 1;\n#pragma D option quiet\n}\n", "#line 5 */\n", "#\n", "#line 0x10\n", "#if 1\n",
          "#line 5 \"a*/b\"\n", "#pragma D option quiet \\\n", "BEGIN { x = 1;\n#line 5\n}\n"]


def _lines_text(rng: random.Random) -> str:
    return "".join(rng.choice(_LINES) for _ in range(rng.randint(1, 60))) + rng.choice(["BEGIN {}\n", "", "#line 5"])


def _read(text: str):
    """What the lexer makes of ``text``: its items' tokens, its top-level nodes (with their
    positions) and its error."""
    lexer = L.Lexer(text, "x.d")
    items, error = [], None
    try:
        for item in lexer.items(P.CLAUSE_PART):
            items.append(list(item))
    except DSyntaxError as err:
        error = err.render()
    return items, [(repr(node), node.pos) for node in lexer.toplevel], error


def _checked(text: str, cpp: bool = False):
    try:
        program = P.parse_bytes(text.encode(), "x.d", cpp=cpp)
    except DSyntaxError as err:
        return err.render()
    return [f.render() for f in check_program(program, CheckOptions(), source=text)]


@pytest.mark.parametrize("seed", range(60))
def test_a_line_read_before_is_read_as_the_first_time(monkeypatch, seed):
    """The lexer makes a '#' line's node from the fields it kept for the line's text (and the
    lines after it at the top level in one loop): the same tokens, nodes, positions and errors
    as reading each line (MAX_LINES_READ 0: none kept), for well-formed, malformed, continued,
    CRLF, #! and in-clause lines; and the same findings, with and without -C."""
    text = _lines_text(random.Random(seed))
    fast = _read(text), _checked(text), _checked(text, cpp=True)
    monkeypatch.setattr(L, "MAX_LINES_READ", 0)
    monkeypatch.setattr(t, "_DIRECTIVES_SEEN", set())
    assert fast == (_read(text), _checked(text), _checked(text, cpp=True))


def test_a_run_of_lines_is_read_once_and_tested_once(monkeypatch):
    """1,000 `#line 5` lines: one reading of a line (before: each line was split, matched and
    its node tested: 1,000 calls of each), one call of Lexer._directive (the run is one loop),
    one test of the Directive's text, one judgement of the #line by the checks."""
    from test_lexer_work import _count

    text = "#line 5\n" * 1000 + "BEGIN {}\n"
    monkeypatch.setattr(t, "_DIRECTIVES_SEEN", set())
    problems = []
    real_problem = t.Directive._problem
    monkeypatch.setattr(t.Directive, "_problem", lambda self: problems.append(1) or real_problem(self))
    judged = []
    real_line = options.line_problem
    monkeypatch.setattr(options, "line_problem", lambda *a, **k: judged.append(1) or real_line(*a, **k))
    program = P.parse(text, "x.d")
    assert len(program.items) == 1001
    # (each line after a `#line 5` is line 6 to dtrace, which reads it itself: session 24)
    assert [item.pos.line for item in program.items[:3]] == [1, 6, 6]
    assert check_program(program, CheckOptions(), source=text) == []
    assert len(problems) <= 1  # (none since perf24b: a plain text such as "5" passes at once)
    assert len(judged) == 2  # (the lexer's, for the lines it names, and the checks')
    calls = _count(lambda: list(L.Lexer(text).items()), "call", L.__file__)
    assert calls < 50, calls  # (before: some 5,000)


def test_a_malformed_line_repeated_is_refused_at_each_line():
    text = "#line 08\n" * 3 + "BEGIN {}\n"
    found = _checked(text)
    assert [f.split(": error: ")[0] for f in found] == ["x.d:1:1", "x.d:2:1", "x.d:3:1"]
    assert all("octal, and contains the digit 8" in f for f in found)
    # (an error the lexer raises stays at its own line, read before or not: the line after
    # `#line 5`, which dtrace names line 6, "line 6: malformed #line", "invalid control directive")
    for bad in ("#line 5\r\n", "#bogus 5\n"):
        with pytest.raises(DSyntaxError) as first:
            P.parse("#line 5\n" + bad, "x.d")
        assert first.value.pos.line == 6


def test_the_index_treats_top_level_lines_as_leaves(monkeypatch):
    """The checks' index records a '#' line without asking for its children (it has none):
    push_children was called once for each of 1,000 `#line 5` lines."""
    calls = []
    real = C.push_children
    monkeypatch.setattr(C, "push_children", lambda node, stack: calls.append(node) or real(node, stack))
    text = "#line 5\n" * 1000 + "#pragma D option quiet\n/* c */\nBEGIN {}\n"
    ctx = C.Context(P.parse(text, "x.d"), CheckOptions())
    assert len(ctx.of(t.Directive)) == 1000
    assert not [node for node in calls if isinstance(node, t.TopLevel)]


# --- speculation, calls of leaves ----------------------------------------------------------------

_STATEMENTS = ["speculate(s);", "speculate(1);", "commit(s);", "discard(s);", "trace(1);", "trace(x);",
               "exit(0);", "@a = count();", "@b[1] = sum(1);", "x = y;", "self->t = timestamp;",
               "trace(self->t);", "this->x = 1;", "system(\"id\");", "printf(\"%d\", 1);", "x = a ? b : c;",
               "if (x) { speculate(s); } else trace(1);", "{ commit(s); }", "raise(9);", "chill(1);",
               "copyout(a, b, c);", "stringof(x);", "f(x)(y);", ";", "trace(copyin(a, 1));", "speculate(self->s);",
               "printa(@a);", "clear(@a);", "breakpoint();", "trace(-1);", "commit(x); exit(0);"]
_HEADS = ["BEGIN", "END", "syscall::read:entry", "fbt::f:entry", "profile-97", "BEGIN /x/", "BEGIN, END"]


def _clauses_text(rng: random.Random) -> str:
    return "".join(f"{rng.choice(_HEADS)} {{ {' '.join(rng.choice(_STATEMENTS) for _ in range(rng.randint(0, 6)))} }}\n"
                   for _ in range(rng.randint(1, 40)))


def _reference_statement_calls(clause):
    """The speculation check's reading of a body before (every body through stmt_exprs)."""
    for expr, _guarded in C.stmt_exprs(clause.body):
        if isinstance(expr, t.Call) and expr.name is not None:
            yield expr.name, expr
        elif isinstance(expr, t.Assign) and (
                isinstance(expr.target, t.AggVar)
                or (isinstance(expr.target, t.Index) and isinstance(expr.target.base, t.AggVar))):
            yield "@", expr


@pytest.mark.parametrize("seed", range(40))
def test_the_speculation_checks_read_each_body_as_before(seed):
    program = P.parse(_clauses_text(random.Random(seed)), "x.d")
    for clause in program.clauses:
        assert [(n, id(e)) for n, e in safety._statement_calls(clause)] == \
            [(n, id(e)) for n, e in _reference_statement_calls(clause)]


def test_a_flat_body_needs_no_walk_of_its_statements(monkeypatch):
    """A body of statements alone is read without stmt_exprs (a generator per clause)."""
    monkeypatch.setattr(safety, "stmt_exprs", lambda *a: pytest.fail("walked"))
    text = "".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(50)) + \
        "BEGIN { trace(1); speculate(s); }\n"
    found = _checked(text)
    assert [f for f in found if "[speculation]" in f] == [
        "x.d:51:9: error: trace() records data before speculate(); speculate() must come first [speculation]"]


@pytest.mark.parametrize("seed", range(40))
def test_the_index_records_calls_of_leaves_in_the_walks_order(seed):
    """The index records a clause of calls of leaves (``speculate(s); trace(1);``) statement by
    statement, as it records assignments of leaves: each class's list is still in the order of
    ``program.walk()``, and the thread-locals' accesses are those of walking every clause."""
    rng = random.Random(seed)
    program = P.parse(_clauses_text(rng), "x.d")
    ctx = C.Context(program, CheckOptions())
    walked: dict = {}
    for node in program.walk():
        walked.setdefault(node.__class__, []).append(node)
    assert {cls: [id(n) for n in nodes] for cls, nodes in ctx._by_class.items()} == \
        {cls: [id(n) for n in nodes] for cls, nodes in walked.items()}
    whole = [[(a.kind, id(a.node), a.in_predicate) for a in C.clause_accesses(clause, t.SelfVar)]
             for clause in program.clauses]
    assert [[(a.kind, id(a.node), a.in_predicate) for a in acc]
            for acc in ctx.clause_accesses(t.SelfVar)] == whole


def test_a_variable_given_by_name_is_judged_once(monkeypatch):
    """argument-type of a variable given by name: judged once for a function, a place and a
    name (before: 500 times for 500 clauses that speculate(s)); said at each call all the same."""
    judged = []
    real = operands._kind
    monkeypatch.setattr(operands, "_kind", lambda node: judged.append(node) or real(node))
    text = 'BEGIN { s = "a"; }\n' + "".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(500))
    found = [f for f in _checked(text) if "[argument-type]" in f]
    assert len(found) == 500
    assert found[0].startswith("x.d:2:19: error: speculate() argument #1 must be an integer")
    assert len(judged) < 20, len(judged)


def _reference_variable_arguments(ctx):
    """operands._variable_arguments as it was: every argument judged where it stands."""
    from dtracepy.facts import functions as Fn

    calls = [(node, name) for node, name in zip(ctx.of(t.Call), ctx.call_names)
             if (name in Fn.ARGUMENT_KINDS or name in Fn.POINTER_PARAMETERS or name in Fn.DIALECT_ARGUMENT_KINDS)
             and any(operands._variable(arg) is not None for arg in node.args)]
    if not calls:
        return
    pointers, kinds = operands._pointer_variables(ctx), operands._variable_kinds(ctx)[0]
    for node, name in calls:
        wants = Fn.ARGUMENT_KINDS.get(name) or ()
        if name in Fn.DIALECT_ARGUMENT_KINDS:
            wants = Fn.DIALECT_ARGUMENT_KINDS[name].get(ctx.options.dialect.name, wants)
        parameters = Fn.POINTER_PARAMETERS.get(name, {})
        for index, arg in enumerate(node.args):
            message = operands._variable_argument(name, index, arg, wants, parameters, pointers, kinds)
            if message is not None:
                yield ctx.finding("argument-type", arg, message, fallback=node)


_DECLARATIONS = ['BEGIN { s = "a"; x = 1; self->s = "b"; p = curthread; a = copyin(1, 2); }\n',
                 "BEGIN { s = 1; }\n", 'string s; int x; char *a;\n', ""]


@pytest.mark.parametrize("seed", range(30))
def test_argument_types_of_variables_are_said_as_before(monkeypatch, seed):
    rng = random.Random(seed)
    text = rng.choice(_DECLARATIONS) + _clauses_text(rng)
    fast = _checked(text)
    monkeypatch.setattr(operands, "_variable_arguments", _reference_variable_arguments)
    assert fast == _checked(text)


def test_an_integer_argument_given_by_name_is_judged_once(monkeypatch):
    """argument-type of a name where an integer goes (speculate(s)): judged once a name, said at
    each call (before: _argument_problem was called for each of the 500 calls)."""
    judged = []
    real = rules._argument_problem
    monkeypatch.setattr(rules, "_argument_problem", lambda *a: judged.append(a) or real(*a))
    text = "".join(f"BEGIN {{ speculate(execname); commit(curthread); trace({i}); }}\n" for i in range(500))
    found = [f for f in _checked(text) if "[argument-type]" in f]
    assert len(found) == 1000
    assert found[:2] == ["x.d:1:19: error: speculate() argument #1 must be an integer, not a string [argument-type]",
                         "x.d:1:37: error: commit() argument #1 must be an integer, not a pointer: cast it to an "
                         "integer first ((uintptr_t)p) [argument-type]"]
    assert len(judged) < 10, len(judged)


_NAMES = ["s", "x", "execname", "curthread", "pid", "arg0", "curpsinfo", "timestamp", "probefunc", "p", "`k",
          "self->s", "copyin(a, 1)", "1", "\"a\"", "(char *)p", "&x"]


@pytest.mark.parametrize("seed", range(30))
def test_integer_arguments_are_judged_as_before(monkeypatch, seed):
    rng = random.Random(seed)
    calls = ["speculate", "commit", "discard", "exit", "chill", "raise", "trace", "sum", "avg", "lquantize"]
    text = rng.choice(_DECLARATIONS) + "".join(
        f"BEGIN {{ {rng.choice(calls)}({rng.choice(_NAMES)}); {rng.choice(calls)}({rng.choice(_NAMES)}); }}\n"
        for _ in range(rng.randint(1, 40)))
    fast = _checked(text)
    monkeypatch.setattr(rules, "_INT_NAMES_OF", None)
    assert fast == _checked(text)


# --- clauses of one shape (digits apart) ---------------------------------------------------------

_SHAPED = ["x = f(];", "x = (;", "x = y);", "speculate(s);", "speculate({n});", "commit(s{n});", "trace({n});", "trace(x{n});", "x{n} = y;",
           "self->t{n} = timestamp;", "this->x = {n};", "f(x)(y{n});", "(x) + {n};", "trace((int)x{n});",
           "x = 0{n};", "x = 0x1{n};", "x = {n}UL;", ";;", ";", "trace(uint64_t);", "a[{n}] = 2;", "x <<= {n};",
           "trace(arg{n});", "trace((arg{n}));", "y = (arg{n}) - 1;", "z = (f{n}) - 1;", "x = y.z{n};",
           "trace(-{n});", "x{n}++;", "trace(int{n}_t);", "x = 1.{n};", "trace({n}{n}{n}{n}{n}{n}{n}{n}{n}{n});",
           "@a[{n}] = count();", 'trace("a{n}");', "f(f(f({n})));", "trace(self->x[{n}]);", "x = y ? {n} : z;"]
_SHAPED_ERRORS = {"x = 0{n};", "x = 1.{n};", "trace({n}{n}{n}{n}{n}{n}{n}{n}{n}{n});"}  # (some refused)
_SHAPED_HEADS = ["BEGIN", "END", "syscall::read{n}:entry", "fbt::f{n}:entry", "profile-{n}", "tick-{n}s"]


def _shaped_text(rng: random.Random) -> str:
    """Some 300 to 600 clauses of a few bodies, their numbers and names' digits varied (past the
    REST_MISSES texts seen once after which clauses are read by shape), now and then a typedef of
    a name the bodies use, a '#' line or a comment between them."""
    shaped = _SHAPED if rng.random() < 0.3 else [s for s in _SHAPED if s not in _SHAPED_ERRORS]
    bodies = [" ".join(rng.choice(shaped) for _ in range(rng.randint(0, 4))) for _ in range(5)]
    out = []
    for j in range(rng.randint(300, 600)):
        n = str(rng.choice([j, j % 10, 0, 7, 10 ** rng.randint(0, 4)]))
        out.append(f"{rng.choice(_SHAPED_HEADS)} {{ {rng.choice(bodies)} }}\n".replace("{n}", n))
        if rng.random() < 0.01:
            out.append(rng.choice(["typedef int x1;\n", "typedef int y;\n", "#line 5\n", "/* c */\n", "int x3;\n"]))
    return "".join(out)


@pytest.mark.parametrize("seed", range(40))
def test_a_clause_of_a_shape_read_before_is_read_as_the_machine_reads_it(monkeypatch, seed):
    """A clause whose text differs from one read before only in its digits is its tokens at
    once (lexer.CLAUSE_SHAPES): the same tokens, nodes, errors and findings as the machine's."""
    text = _shaped_text(random.Random(seed))
    fast = _read(text), _checked(text)
    monkeypatch.setattr(L, "CLAUSE_SHAPES", False)
    assert fast == (_read(text), _checked(text))


def test_clauses_of_one_shape_take_no_step_of_the_machine(monkeypatch):
    """2,000 distinct `BEGIN { speculate(s); trace(N); }`: the machine reads the first 256 or so
    (each new) and one clause of each shape; before, every clause (its `s` after a '(' asked
    whether it begins a cast: 2,000 times)."""
    asked = []
    real = L.Lexer._cast_type
    monkeypatch.setattr(L.Lexer, "_cast_type", lambda self, *a: asked.append(a) or real(self, *a))
    text = "".join(f"BEGIN {{ speculate(s); trace({i}); }}\n" for i in range(2000))
    tokens = [tok for item in L.Lexer(text).items() for tok in item]
    assert len(tokens) == 2000 * 13
    assert tokens[-4:] == [("INTLIT", "1999", len(text) - 9), ("RPAREN", ")", len(text) - 5),
                           ("SEMI", ";", len(text) - 4), ("RBRACE", "}", len(text) - 2)]
    assert len(asked) < 300, len(asked)
