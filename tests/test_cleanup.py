"""Automatic cleanup: every thread-local set in an :entry clause is zeroed at the matching
:return, after every user clause; no thread-local is left set; errors are located."""

import pytest

from dtracepy import tree as T
from dtracepy.dsl import Tracer, arg0, self, this, timestamp, printf, trace, if_, execname
from dtracepy.errors import CompileError
from dtracepy.printer import to_d


def build(t):
    return t.compile(checks=False).program


def build_d(t):
    return t.compile(checks=False).text


def zeroed(program):
    """(probe texts, names zeroed) for each unpredicated clause that only zeroes thread-locals."""
    out = []
    for c in program.clauses:
        names = [s.expr.target.name for s in (c.body or ())
                 if isinstance(s, T.ExprStmt) and isinstance(s.expr, T.Assign)
                 and isinstance(s.expr.target, T.SelfVar) and s.expr.value == T.IntLit("0")]
        if names and len(names) == len(c.body):
            out.append((tuple(p.text for p in c.probes), names))
    return out


def test_cleanup_zeroes_every_thread_local_at_the_matching_return():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.ts = timestamp
        self.fd = arg0

    assert zeroed(build(t)) == [(("syscall::read:return",), ["ts", "fd"])]


def test_cleanup_runs_after_user_return_clauses_so_they_still_read_the_values():
    t = Tracer()

    @t.probe("syscall::read:entry")
    def _():
        self.ts = timestamp

    @t.probe("syscall::read:return", when=self.ts)
    def _():
        printf("%d\n", timestamp - self.ts)

    clauses = build(t).clauses
    assert to_d(clauses[1].predicate) == "self->ts"
    assert clauses[-1].probes[0].text == "syscall::read:return"
    assert to_d(clauses[-1].body[0]) == "self->ts = 0;"


def test_multi_description_clauses_get_multi_description_cleanup():
    t = Tracer()

    @t.probe("fbt:ip:tcp_conn_request:entry", "fbt:ip:tcp_send_conn_ind:entry")
    def _():
        self.tcpq = arg0

    @t.probe("fbt:ip:tcp_conn_request:entry")
    def _():
        self.only_syn = 1

    assert zeroed(build(t)) == [
        (("fbt:ip:tcp_conn_request:return", "fbt:ip:tcp_send_conn_ind:return"), ["tcpq"]),
        (("fbt:ip:tcp_conn_request:return",), ["only_syn"]),
    ]


def test_globs_map_to_globbed_returns():
    t = Tracer()

    @t.probe("syscall::accept*:entry", "pid$target::foo:entry", "read:entry")
    def _():
        self.x = 1

    assert zeroed(build(t)) == [
        (("syscall::accept*:return", "pid$target::foo:return", "read:return"), ["x"])]


def test_assignments_inside_if_are_cleaned_too():
    t = Tracer()

    @t.probe("fbt::f:entry")
    def _():
        with if_(execname == "x"):
            self.y = 1

    assert zeroed(build(t)) == [(("fbt::f:return",), ["y"])]


def test_zeroing_is_not_a_set():
    t = Tracer()

    @t.probe("fbt::f:entry")
    def _():
        self.y = 1

    @t.probe("profile-997")
    def _():
        self.y = 0

    assert zeroed(build(t))[-1] == (("fbt::f:return",), ["y"])


def test_thread_local_without_return_probe_is_a_located_error():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        self.start = timestamp    # the error points here

    with pytest.raises(CompileError) as info:
        build_d(t)
    message = str(info.value)
    assert "test_cleanup.py:" in message and "self->start" in message and "t.keep" in message
    assert info.value.pos.line == _.__code__.co_firstlineno + 2  # decorator, def, then the line


def test_named_clear_point_moves_the_zeroing():
    t = Tracer()

    @t.probe("fbt:ip:tcp_conn_request:entry")
    def _():
        self.conn = arg0

    @t.probe("syscall::accept*:return", when=self.conn)
    def _():
        trace(self.conn)

    t.clear(self.conn, at="syscall::accept*:return")
    assert zeroed(build(t)) == [(("syscall::accept*:return",), ["conn"])]


def test_clear_point_makes_non_function_probes_fine():
    t = Tracer()

    @t.probe("profile-997")
    def _():
        self.x = 1

    t.clear(self.x, at=["syscall::exit:entry", "proc:::exit"])
    assert zeroed(build(t)) == [(("syscall::exit:entry", "proc:::exit"), ["x"])]


def test_keep_on_purpose():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        self.start = timestamp

    t.keep(self.start)
    assert zeroed(build(t)) == []


def test_clear_of_a_never_set_variable_is_an_error():
    t = Tracer()
    t.keep(self.nothing)
    with pytest.raises(CompileError, match=r"test_cleanup.py:\d+: error: t.keep\(self.nothing\)"):
        build_d(t)


def test_thread_local_assoc_array_needs_a_decision():
    t = Tracer()

    @t.probe("fbt::f:entry")
    def _():
        self.a[arg0] = 1

    with pytest.raises(CompileError, match="associative array"):
        build_d(t)
    t.keep(self.a)
    assert "self->a[arg0] = 1;" in build_d(t)


def test_seed_bug_cannot_happen_every_set_variable_is_zeroed():
    """The seed zeroed self->secPort instead of self->srcPort; generated cleanup cannot misspell."""
    t = Tracer()

    @t.probe("fbt:ip:tcp_conn_request:entry")
    def _():
        self.srcAddr = arg0
        self.srcPort = arg0

    names = zeroed(build(t))[0][1]
    assert names == ["srcAddr", "srcPort"]


def test_read_before_any_assignment_is_a_located_error():
    t = Tracer()

    @t.probe("syscall::read:return", when=self.ts)   # never assigned anywhere
    def _():
        trace(1)

    with pytest.raises(CompileError, match=r"test_cleanup.py:\d+: error: self->ts is read but never assigned"):
        build_d(t)


def test_clause_local_read_before_assignment_is_a_located_error():
    t = Tracer()

    @t.probe("BEGIN")
    def _():
        trace(this.x)
        this.x = 1

    with pytest.raises(CompileError, match=r"this->x is read before it is assigned"):
        build_d(t)


def test_malformed_probe_description_is_a_located_error():
    from dtracepy.errors import DSLError

    t = Tracer()
    for bad in ("a:b:c:d:e", "syscall::read:entry /x/", "", "a,b", "fbt::{:entry"):
        with pytest.raises(DSLError, match=r"test_cleanup.py:\d+: error: "):
            t.probe(bad)


def _follow_suggestion(tracer, var):
    """The at= a self-clear message suggests for ``tracer()`` (as Python reads it), followed:
    t.clear(var(), at=it) on a fresh tracer, whose program is returned."""
    import ast
    import re

    with pytest.raises(CompileError) as err:
        build_d(tracer())
    found = re.search(r'at=(\[[^\]]*\]|"[^"]*")', str(err.value))
    assert found, str(err.value)
    at = ast.literal_eval(found.group(1))
    assert at == ["syscall::open*:return", "syscall::creat:return"]
    t = tracer()
    t.clear(var(), at=at)
    return build(t)


def test_self_clear_suggestion_for_several_returns_is_what_t_clear_takes():
    def tracer():
        t = Tracer()

        @t.probe("syscall::open*:entry", "syscall::creat:entry")
        def _():
            self.path = arg0

        @t.probe("syscall::write:entry", when=self.path)
        def _():
            trace(self.path)

        return t

    program = _follow_suggestion(tracer, lambda: self.path)
    assert zeroed(program) == [(("syscall::open*:return", "syscall::creat:return"), ["path"])]


def test_self_clear_suggestion_for_an_array_element_is_what_t_clear_takes():
    def tracer():
        t = Tracer()

        @t.probe("syscall::open*:entry", "syscall::creat:entry")
        def _():
            self.path[arg0] = 1

        return t

    program = _follow_suggestion(tracer, lambda: self.path[arg0])
    assert "self->path[arg0] = 0;" in to_d(program)


# --- session 12: the pairing is facts.probes.releases_of, the one self-leak uses: a span's end -----

@pytest.mark.parametrize("begin, ends", [
    ("sched:::off-cpu", ("sched:::on-cpu",)),
    ("proc:::exec", ("proc:::exec-success", "proc:::exec-failure")),
    ("python*:::function-entry", ("python*:::function-return",)),
])
def test_cleanup_zeroes_a_thread_local_where_its_span_ends(begin, ends):
    t = Tracer()

    @t.probe(begin)
    def _():
        self.ts = timestamp

    @t.probe(*ends, when=self.ts)
    def _():
        printf("%d\n", timestamp - self.ts)

    assert zeroed(build(t)) == [(ends, ["ts"])]


def test_self_leak_and_the_cleanup_agree_on_every_span():
    """What check's self-leak says a thread-local set at a probe is zeroed at is where the
    compiler zeroes it."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    for begin in ("sched:::off-cpu", "sched:::on-cpu", "proc:::exec", "io:::wait-start",
                  "sdt:::interrupt-start", "ruby*:::method-entry", "syscall::read:entry"):
        t = Tracer()

        @t.probe(begin)
        def _():
            self.ts = timestamp
            trace(self.ts)

        text = build_d(t)
        found = [f for f in check_program(parse(text, "x.d"), CheckOptions(), source=text) if f.check == "self-leak"]
        assert found == [], (begin, text, found)
        source = f"{begin} {{ self->ts = timestamp; trace(self->ts); }}\n"
        leak = [f for f in check_program(parse(source, "x.d"), CheckOptions(), source=source) if f.check == "self-leak"]
        assert leak, begin
