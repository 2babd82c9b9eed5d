"""The DSL builds the D tree a person would write: operators, scopes, actions, types, control."""

import pytest

from dtracepy import tree as T
from dtracepy.dsl import (
    Tracer, addr, agg, and_, arg0, arg1, args, arrow, assign, at, cast, char, comma, cond, deref,
    dot, execname, expr, glob, hexint, htons, if_, elif_, else_, ksym, macro, macro_str, not_,
    offsetof, or_, postinc, preinc, printa, printf, count, sizeof, stack, stmt, stringof,
    target, this, timestamp, trace, xlate, xor, self, lquantize, copyinstr, raise_, call,
)
from dtracepy.dsl import sum as dsum
from dtracepy.errors import DSLError
from dtracepy.printer import to_d


def d(value) -> str:
    return to_d(expr(value))


def body_of(fn, *descs, when=None):
    t = Tracer()
    t.probe(*(descs or ("BEGIN",)), when=when)(fn)
    clause = t.items[-1]
    return clause, [to_d(s) for s in clause.body]


# --- operators -------------------------------------------------------------------------------

@pytest.mark.parametrize("make, text", [
    (lambda a: a + 1, "arg0 + 1"), (lambda a: 1 + a, "1 + arg0"), (lambda a: a - 1, "arg0 - 1"),
    (lambda a: 2 - a, "2 - arg0"), (lambda a: a * 3, "arg0 * 3"), (lambda a: a / 4, "arg0 / 4"),
    (lambda a: a // 4, "arg0 / 4"), (lambda a: 8 / a, "8 / arg0"), (lambda a: a % 5, "arg0 % 5"),
    (lambda a: a & 0xf, "arg0 & 15"), (lambda a: 1 | a, "1 | arg0"), (lambda a: a ^ 2, "arg0 ^ 2"),
    (lambda a: ~a, "~arg0"), (lambda a: -a, "-arg0"), (lambda a: +a, "+arg0"),
    (lambda a: a << 2, "arg0 << 2"), (lambda a: a >> 2, "arg0 >> 2"), (lambda a: 1 << a, "1 << arg0"),
    (lambda a: a == 1, "arg0 == 1"), (lambda a: a != 1, "arg0 != 1"), (lambda a: a < 1, "arg0 < 1"),
    (lambda a: a <= 1, "arg0 <= 1"), (lambda a: a > 1, "arg0 > 1"), (lambda a: a >= 1, "arg0 >= 1"),
    (lambda a: 1 < a, "arg0 > 1"),
])
def test_python_operators_build_d_operators(make, text):
    assert d(make(arg0)) == text


def test_precedence_is_kept_by_the_tree():
    assert d((arg0 + 1) * 2) == "(arg0 + 1) * 2"
    assert d(arg0 + 1 * arg1) == "arg0 + 1 * arg1"


def test_logical_operators_are_named_functions():
    assert d(and_(arg0, arg1)) == "arg0 && arg1"
    assert d(or_(arg0, arg1, 3)) == "arg0 || arg1 || 3"
    assert d(xor(arg0, arg1)) == "arg0 ^^ arg1"
    assert d(not_(arg0)) == "!arg0"
    assert d(cond(arg0 > 1, "a", "b")) == 'arg0 > 1 ? "a" : "b"'
    assert d(comma(arg0, arg1)) == "arg0, arg1"


@pytest.mark.parametrize("misuse", [
    lambda: bool(arg0), lambda: arg0 and arg1, lambda: not arg0, lambda: 1 < arg0 < 3,
    lambda: [x for x in arg0], lambda: 1 in arg0, lambda: arg0 in [arg1],
])
def test_python_truth_and_iteration_raise_naming_the_d_spelling(misuse):
    with pytest.raises(TypeError) as info:
        misuse()
    assert "and_" in str(info.value) or "loop" in str(info.value)


def test_truth_error_names_every_replacement():
    with pytest.raises(TypeError, match=r"and_\(a, b\).*or_.*not_.*xor.*cond\(c, a, b\)"):
        bool(arg0 == 1)


def test_d_values_have_no_python_hash():
    # (review 9, finding 11: a hash made {"bash": 1}.get(execname, 0) a Python constant)
    with pytest.raises(DSLError, match=r"a D value \(arg0\) has no Python hash"):
        len({arg0, arg1})


@pytest.mark.parametrize("value, text", [
    (0, "0"), (42, "42"), (-5, "-5"), ("abc", '"abc"'), ('q"\\\n', '"q\\"\\\\\\n"'),
])
def test_coercion_makes_literals(value, text):
    assert d(value) == text


@pytest.mark.parametrize("value, text", [
    (2**63 - 1, "9223372036854775807"),
    (2**63, "9223372036854775808ULL"),
    (2**64 - 1, "18446744073709551615ULL"),
    (-2**63 + 1, "-9223372036854775807"),
    (-2**63, "-9223372036854775807 - 1"),
])
def test_integers_beyond_int64_are_spelled_so_d_can_type_them(value, text):
    """D types an unsuffixed decimal constant as int, long or long long only (as C does): the
    real compiler rejects 18446744073709551615 ("cannot be represented in any built-in integral
    type"), so a Python int above INT64_MAX gets a ULL suffix, and INT64_MIN is written as C's
    limits.h writes it."""
    assert d(value) == text
    assert d(arg0 == value) == f"arg0 == {text}"


@pytest.mark.parametrize("bad", [1.5, None, [1], True, object(), 2**64, -2**63 - 1])
def test_coercion_refuses_anything_else(bad):
    with pytest.raises(TypeError):
        expr(bad)


# --- member access, indexing, pointers --------------------------------------------------------

def test_member_access_defaults_to_arrow():
    assert d(self.tcpq.tcp_connp) == "self->tcpq->tcp_connp"
    assert d(args[0].b_flags) == "args[0]->b_flags"


def test_member_access_on_struct_values_uses_dot():
    assert d(deref(cast(arg0, "struct ip *")).ip_src) == "(*(struct ip *)arg0).ip_src"
    assert d(dot(arrow(self.tcpq, "tcp_connp"), "u_port.tcpu_ports")) == \
        "self->tcpq->tcp_connp.u_port.tcpu_ports"
    assert d(arrow(self.c, "u_port.tcpu_ports.tcpu_lport")) == "self->c->u_port.tcpu_ports.tcpu_lport"


def test_indexing_and_calls():
    assert d(glob.a[execname, 1]) == 'a[execname, 1]'
    assert d(args[1]) == "args[1]"
    assert d(htons(arg0)) == "htons(arg0)"
    assert d(call("foo", 1, "x")) == 'foo(1, "x")'


def test_casts_and_type_operators():
    assert d(cast(arg0, "tcp_t **")) == "(tcp_t **)arg0"
    assert d(cast(arg0, "unsigned long long")) == "(unsigned long long)arg0"
    assert d(cast(arg0, "struct ip *")) == "(struct ip *)arg0"
    assert d(sizeof("struct ip")) == "sizeof (struct ip)"
    assert d(sizeof(arg0)) == "sizeof (arg0)"
    assert d(stringof(arg0)) == "stringof(arg0)"
    assert d(offsetof("struct ip", "ip_src")) == "offsetof(struct ip, ip_src)"
    assert d(xlate("psinfo_t *", arg0)) == "xlate<psinfo_t *>(arg0)"
    assert d(deref(arg0)) == "*arg0"
    assert d(addr(self.x)) == "&self->x"
    assert d(cast(arg0, "genunix`kthread_t *")) == "(genunix`kthread_t *)arg0"


def test_at_reads_a_type_at_a_hex_offset():
    assert d(at(arg0, 0x28, "tcp_t *")) == "*(tcp_t **)((char *)arg0 + 0x28)"
    assert d(htons(at(self.tcpq.tcp_connp, 266, "uint16_t"))) == \
        "htons(*(uint16_t *)((char *)self->tcpq->tcp_connp + 0x10a))"
    assert d(at(arg0, 0, "uint8_t")) == "*(uint8_t *)arg0"
    assert d(at(arg0, this.off, "uint8_t")) == "*(uint8_t *)((char *)arg0 + this->off)"


def test_at_result_is_a_pointer_so_members_use_arrow():
    assert d(at(arg0, 0x28, "tcp_t *").tcp_connp) == "(*(tcp_t **)((char *)arg0 + 0x28))->tcp_connp"


def test_literals_and_macros():
    assert d(hexint(255)) == "0xff"
    assert d(char("a")) == "'a'"
    assert d(macro(1)) == "$1"
    assert d(macro_str(2)) == "$$2"
    assert d(macro("target")) == "$target"
    assert d(target) == "$target"
    assert d(ksym("kmem_flags")) == "`kmem_flags"
    assert d(ksym("kmem_flags", "genunix")) == "genunix`kmem_flags"


def test_bad_macro_is_a_located_error():
    with pytest.raises(DSLError, match=r"test_dsl.py:\d+: error: no macro variable"):
        macro("nope")


# --- statements ---------------------------------------------------------------------------------

def test_assignments_record_statements_in_order():
    def fn():
        self.ts = timestamp
        this.x = arg0
        glob.total = 0
        glob.counts[execname] = 1
    _, stmts = body_of(fn)
    assert stmts == ["self->ts = timestamp;", "this->x = arg0;", "total = 0;", "counts[execname] = 1;"]


def test_augmented_assignment_records_compound_operator():
    def fn():
        self.n += 1
        self.n <<= 2
        glob.c[execname] -= 1
        this.p.m |= 4
    _, stmts = body_of(fn)
    assert stmts == ["self->n += 1;", "self->n <<= 2;", "c[execname] -= 1;", "this->p->m |= 4;"]


def test_aggregations_and_actions():
    def fn():
        agg.calls[execname] = count()
        agg.bytes = dsum(arg0)
        agg[stack()] = count()
        agg.lat = lquantize(arg0, 0, 100, 10)
        printa("%s %@d\n", agg.calls)
        trace(arg0)
        stack()
        raise_(9)
    _, stmts = body_of(fn)
    assert stmts == ["@calls[execname] = count();", "@bytes = sum(arg0);", "@[stack()] = count();",
                     "@lat = lquantize(arg0, 0, 100, 10);", 'printa("%s %@d\\n", @calls);',
                     "trace(arg0);", "stack();", "raise(9);"]


def test_aggregation_needs_aggregating_function():
    def fn():
        agg.x = arg0
    with pytest.raises(DSLError, match="aggregating function"):
        body_of(fn)

    def fn2():
        self.x = count()
    with pytest.raises(DSLError, match="aggregation"):
        body_of(fn2)


def test_increments_and_explicit_assign():
    def fn():
        stmt(postinc(self.n))
        stmt(preinc(glob.g))
        assign(this.x, 3, "*=")
        glob.g = copyinstr(arg0)
    _, stmts = body_of(fn)
    assert stmts == ["self->n++;", "++g;", "this->x *= 3;", "g = copyinstr(arg0);"]


def test_if_elif_else():
    def fn():
        with if_(self.n > 1):
            trace(1)
        with elif_(self.n == 1):
            trace(2)
        with else_():
            trace(3)
    clause, _ = body_of(fn)
    node = clause.body[0]
    assert isinstance(node, T.If) and isinstance(node.otherwise, T.If)
    assert isinstance(node.otherwise.otherwise, T.Block)


def test_else_without_if_is_a_located_error():
    def fn():
        trace(1)
        with else_():
            trace(2)
    with pytest.raises(DSLError, match=r"test_dsl.py:\d+: error: else_ must follow"):
        body_of(fn)


def test_statements_outside_a_probe_body_are_located_errors():
    with pytest.raises(DSLError, match=r"test_dsl.py:\d+: error: .*inside a probe body"):
        self.x = 1
    with pytest.raises(DSLError, match="inside a probe body"):
        printf("x")


def test_printf_needs_a_constant_format():
    def fn():
        printf(arg0)
    with pytest.raises(DSLError, match="format string"):
        body_of(fn)


def test_python_loops_and_functions_are_macros():
    def count_port(p):
        with if_(arg0 == p):
            agg.ports[p] = count()

    def fn():
        for p in (22, 80, 443):
            count_port(p)
    _, stmts = body_of(fn)
    assert len(stmts) == 3 and "@ports[443] = count();" in stmts[2]


def test_one_clause_per_port_from_a_loop():
    t = Tracer()
    for p in (22, 80):
        @t.probe("fbt:ip:tcp_conn_request:entry", when=arg1 == p)
        def _():
            trace(p)
    assert [to_d(c.predicate) for c in t.items] == ["arg1 == 22", "arg1 == 80"]


def test_positions_are_the_users_python_lines():
    node = expr(arg0 + 1)
    assert node.pos.file.endswith("test_dsl.py")


# --- records, declarations, options ------------------------------------------------------------

def test_record_gives_header_and_row_from_one_declaration():
    t = Tracer()
    row = t.record(("TS", "%d"), ("Source IP", "0x%08x"), ("Pct", "%d%%"))

    @t.probe("fbt::f:entry")
    def _():
        row.emit(timestamp, arg0, arg1)

    header, clause = t.items
    assert to_d(header) == 'BEGIN\n{\n\tprintf("TS,Source IP,Pct\\n");\n}'
    assert to_d(clause.body[0]) == 'printf("%d,0x%08x,%d%%\\n", timestamp, arg0, arg1);'


def test_record_refuses_a_wrong_number_of_values():
    t = Tracer()
    row = t.record(("A", "%d"), ("B", "%s"))

    def fn():
        row.emit(arg0)
    with pytest.raises(DSLError, match=r"test_dsl.py:\d+: error: this record has 2 columns \(A, B\) but 1"):
        t.probe("BEGIN")(fn)


def test_record_by_name_and_bad_formats():
    t = Tracer()
    row = t.record(("ts", "%d"), ("who", "%s"), header=False)

    @t.probe("BEGIN")
    def _():
        row.emit(who=execname, ts=timestamp)

    assert to_d(t.items[0].body[0]) == 'printf("%d,%s\\n", timestamp, execname);'
    with pytest.raises(DSLError, match="exactly one printf conversion"):
        t.record(("a", "%d %d"))


def test_typed_declarations():
    t = Tracer()
    t.declare("x", "int", scope="self")
    t.declare("s", "string", scope="this")
    t.declare("counts", "uint64_t", keys=("string", "int"))
    t.declare("p", "struct ip *")
    t.inline("ANSWER", "int", 42)
    assert [to_d(i) for i in t.items] == [
        "self int x;", "this string s;", "uint64_t counts[string, int];", "struct ip *p;",
        "inline int ANSWER = 42;"]


def test_declared_variables_count_as_assigned():
    t = Tracer()
    t.declare("limit", "int")

    @t.probe("BEGIN")
    def _():
        trace(glob.limit)

    assert "trace(limit);" in t.compile(checks=False).text


def test_options_and_pragmas():
    t = Tracer(options={"quiet": True, "bufsize": "8m", "destructive": True})
    t.option("switchrate", "10hz")
    t.pragma("D", "depends_on", "module", "ip")
    t.clause("BEGIN")  # (a program needs a clause: test_compile_rules.py)
    text = t.compile(checks=False).text
    for line in ("#pragma D option quiet", "#pragma D option bufsize=8m",
                 "#pragma D option destructive", "#pragma D option switchrate=10hz",
                 "#pragma D depends_on module ip"):
        assert line in text


def test_raw_tree_items_can_be_added():
    t = Tracer()
    t.add(T.Translator(T.TypeName((T.TypeRef("a_t"),)), T.TypeName((T.TypeRef("b_t"),),
                       T.PointerDecl(T.NameDecl(None))), "b", (T.TranslatorMember("x", T.IntLit("1")),)))
    assert "translator a_t < b_t *b > {" in t.compile(checks=False).text


# --- everything D can say ---------------------------------------------------------------------

REFERENCE = {  # the lists of D-REFERENCE.md, copied independently of the implementation
    "builtins": "arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9 args caller curcpu curthread epid "
                "errno execname gid id ipl pid ppid probefunc probemod probename probeprov stackdepth "
                "tid timestamp ucaller uid uregs ustackdepth vtimestamp walltimestamp zonename cpu jid "
                "jailname execargs curpsinfo curlwpsinfo",
    "actions": "printf printa trace tracemem stack ustack jstack exit stop raise system panic chill "
               "breakpoint copyout copyoutstr speculate commit discard clear trunc normalize "
               "denormalize setopt freopen ftruncate print func sym mod uaddr ufunc umod usym",
    "subroutines": "alloca basename bcopy cleanpath copyin copyinstr copyinto dirname getmajor getminor "
                   "htonl htonll htons ntohl ntohll ntohs index rindex inet_ntoa inet_ntoa6 inet_ntop "
                   "lltostr msgdsize msgsize mutex_owned mutex_owner progenyof rand speculation strchr "
                   "strrchr strstr strjoin strlen strtok substr rw_iswriter rw_read_held rw_write_held "
                   "tolower toupper strtoll json getf d_path link_ntop",
    "aggregating": "count sum avg min max stddev quantize lquantize llquantize",
}


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_every_d_name_of_the_reference_is_importable(kind):
    import dtracepy.dsl as dsl

    missing = [n for n in REFERENCE[kind].split() if not hasattr(dsl, "raise_" if n == "raise" else n)]
    assert missing == []


def test_every_action_records_its_call():
    import dtracepy.dsl as dsl

    def fn():
        for name in REFERENCE["actions"].split():
            getattr(dsl, "raise_" if name == "raise" else name)("x" if name == "printf" else 1)
    _, stmts = body_of(fn)
    assert len(stmts) == len(REFERENCE["actions"].split())
    assert stmts[0] == 'printf("x");' and "raise(1);" in stmts
