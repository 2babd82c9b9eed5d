"""The printer: hand-built trees print as a person would write the D."""

from __future__ import annotations

import pytest

from dtracepy import tree as T
from dtracepy.printer import to_d

# -- small builders ----------------------------------------------------------------------------


def I(name):  # noqa: E743 - short on purpose: these trees are written by hand
    return T.Ident(name)


def N(text):
    return T.IntLit(str(text))


def B(op, left, right):
    return T.Binary(op, left, right)


def U(op, operand):
    return T.Unary(op, operand)


def ptr(target=None, n=1):
    decl = T.NameDecl(target)
    for _ in range(n):
        decl = T.PointerDecl(decl)
    return decl


def tname(name, pointers=0):
    spec = name if name in ("int", "char", "void", "long", "short") else T.TypeRef(name)
    return T.TypeName((spec,), ptr(None, pointers))


# -- layout ------------------------------------------------------------------------------------

SEED_TREE = T.Program(
    (
        T.Shebang("/usr/sbin/dtrace -Cs"),
        T.Pragma(("D", "option", "quiet")),
        T.Directive("include", "<sys/types.h>"),
        T.Directive("include", "<sys/socket.h>"),
        T.Clause(
            (T.ProbeDesc("BEGIN"),),
            None,
            (T.ExprStmt(T.Call(I("printf"), (T.StringLit("TS,Date\n"),))),),
        ),
        T.Clause(
            (T.ProbeDesc("fbt:ip:tcp_conn_request:entry"),),
            None,
            (
                T.ExprStmt(
                    T.Assign(
                        "=",
                        T.SelfVar("tcpq"),
                        U(
                            "*",
                            T.Cast(
                                tname("tcp_t", 2),
                                B("+", T.Cast(tname("char", 1), I("arg0")), N("0x28")),
                            ),
                        ),
                    )
                ),
            ),
        ),
        T.Clause(
            (T.ProbeDesc("fbt:ip:tcp_conn_request:return"), T.ProbeDesc("fbt:ip:tcp_send_conn_ind:return")),
            B("==", T.SelfVar("lport"), T.MacroVar("$1")),
            (
                T.ExprStmt(T.Assign("=", T.SelfVar("tcpq"), N(0))),
                T.ExprStmt(T.Assign("=", T.SelfVar("lport"), N(0))),
            ),
        ),
    )
)

SEED_TEXT = """\
#!/usr/sbin/dtrace -Cs

#pragma D option quiet
#include <sys/types.h>
#include <sys/socket.h>

BEGIN
{
\tprintf("TS,Date\\n");
}

fbt:ip:tcp_conn_request:entry
{
\tself->tcpq = *(tcp_t **)((char *)arg0 + 0x28);
}

fbt:ip:tcp_conn_request:return,
fbt:ip:tcp_send_conn_ind:return
/self->lport == $1/
{
\tself->tcpq = 0;
\tself->lport = 0;
}
"""


def test_program_lays_out_clauses_like_the_seeds():
    assert to_d(SEED_TREE) == SEED_TEXT


def test_printing_is_deterministic():
    assert to_d(SEED_TREE) == to_d(SEED_TREE)


def test_empty_program_prints_nothing():
    assert to_d(T.Program(())) == ""


def test_clause_without_body_prints_no_braces():
    clause = T.Clause((T.ProbeDesc("syscall:::entry"),), B("==", I("pid"), N(1)), None)
    assert to_d(clause) == "syscall:::entry\n/pid == 1/"


def test_predicate_starting_with_star_does_not_open_a_comment():
    clause = T.Clause((T.ProbeDesc("BEGIN"),), U("*", T.SelfVar("p")), ())
    assert to_d(clause) == "BEGIN\n/ *self->p/\n{\n}"


def test_clause_with_empty_body_prints_empty_braces():
    assert to_d(T.Clause((T.ProbeDesc("BEGIN"),), None, ())) == "BEGIN\n{\n}"


def test_comment_then_clause_separated_by_blank_line():
    prog = T.Program((T.Comment(" hello "), T.Clause((T.ProbeDesc("END"),))))
    assert to_d(prog) == "/* hello */\n\nEND\n{\n}\n"


# -- expressions: precedence -------------------------------------------------------------------


@pytest.mark.parametrize(
    "node, text",
    [
        (B("-", I("a"), B("-", I("b"), I("c"))), "a - (b - c)"),
        (B("-", B("-", I("a"), I("b")), I("c")), "a - b - c"),
        (B("*", B("+", I("a"), I("b")), I("c")), "(a + b) * c"),
        (B("+", I("a"), B("*", I("b"), I("c"))), "a + b * c"),
        (B("&&", B("||", I("a"), I("b")), I("c")), "(a || b) && c"),
        (B("||", I("a"), B("^^", I("b"), I("c"))), "a || b ^^ c"),
        (B("^^", B("||", I("a"), I("b")), I("c")), "(a || b) ^^ c"),
        (B("&", I("a"), B("==", I("b"), I("c"))), "a & b == c"),
        (B("==", B("&", I("a"), I("b")), I("c")), "(a & b) == c"),
        (B("<<", I("a"), B("+", I("b"), N(1))), "a << b + 1"),
        (T.Assign("=", I("a"), T.Assign("+=", I("b"), I("c"))), "a = b += c"),
        (T.Assign("=", B("+", I("a"), I("b")), I("c")), "(a + b) = c"),
        (T.Ternary(I("a"), I("b"), T.Ternary(I("c"), I("d"), I("e"))), "a ? b : c ? d : e"),
        (T.Ternary(T.Ternary(I("a"), I("b"), I("c")), I("d"), I("e")), "(a ? b : c) ? d : e"),
        (T.Ternary(I("a"), T.Assign("=", I("b"), N(1)), I("c")), "a ? (b = 1) : c"),
        (T.Assign("=", I("x"), T.Ternary(I("a"), I("b"), I("c"))), "x = a ? b : c"),
        (B(",", I("a"), B(",", I("b"), I("c"))), "a, (b, c)"),
        (B(",", B(",", I("a"), I("b")), I("c")), "a, b, c"),
    ],
)
def test_binary_parentheses_follow_precedence_and_associativity(node, text):
    assert to_d(node) == text


@pytest.mark.parametrize(
    "node, text",
    [
        (U("-", U("-", I("x"))), "- -x"),
        (U("-", U("--", I("x"))), "- --x"),
        (U("+", U("+", I("x"))), "+ +x"),
        (U("++", U("+", I("x"))), "++ +x"),
        (U("&", U("&", I("x"))), "& &x"),
        (U("*", U("*", I("p"))), "**p"),
        (U("!", U("!", I("x"))), "!!x"),
        (B("-", I("a"), U("-", I("b"))), "a - -b"),
        (B("/", I("a"), U("*", I("p"))), "a / *p"),
        (U("-", B("+", I("a"), I("b"))), "-(a + b)"),
        (U("*", T.Postfix("++", I("p"))), "*p++"),
        (T.Postfix("++", U("*", I("p"))), "(*p)++"),
        (U("-", T.Cast(tname("int"), I("x"))), "-(int)x"),
        (U("++", T.Cast(tname("int"), I("x"))), "++((int)x)"),
        (T.Cast(tname("int"), U("-", I("x"))), "(int)-x"),
        (T.Cast(tname("int"), B("+", I("a"), I("b"))), "(int)(a + b)"),
        (T.Member(T.Cast(tname("foo_t", 1), I("p")), "->", "m"), "((foo_t *)p)->m"),
        (T.Member(N(1), ".", "x"), "(1).x"),
    ],
)
def test_unary_operators_and_casts(node, text):
    assert to_d(node) == text


def test_call_arguments_parenthesise_the_comma_operator():
    call = T.Call(I("f"), (B(",", I("a"), I("b")), T.Assign("=", I("c"), N(1))))
    assert to_d(call) == "f((a, b), c = 1)"


def test_aggregation_with_keys():
    stmt = T.ExprStmt(
        T.Assign("=", T.Index(T.AggVar("bytes"), (I("execname"), I("pid"))), T.Call(I("sum"), (I("arg2"),)))
    )
    assert to_d(stmt) == "@bytes[execname, pid] = sum(arg2);"
    assert to_d(T.ExprStmt(T.Assign("=", T.AggVar(""), T.Call(I("count"))))) == "@ = count();"


@pytest.mark.parametrize(
    "node, text",
    [
        (T.SizeofExpr(I("x")), "sizeof (x)"),
        (T.SizeofType(tname("uint16_t")), "sizeof (uint16_t)"),
        (T.Stringof(T.Member(I("p"), "->", "name")), "stringof(p->name)"),
        (T.Offsetof(T.TypeName((T.StructSpec("struct", "foo"),)), "bar"), "offsetof(struct foo, bar)"),
        (T.Xlate(T.TypeName((T.TypeRef("psinfo_t"),), ptr()), I("curthread")), "xlate<psinfo_t *>(curthread)"),
        (T.Ident("kmem_flags", ""), "`kmem_flags"),
        (T.Ident("kmem_flags", "genunix"), "genunix`kmem_flags"),
        (T.MacroVar("$$1"), "$$1"),
        (T.ThisVar("x"), "this->x"),
        (T.CharLit("\\n"), "'\\n'"),
        (T.IntLit("0x10UL"), "0x10UL"),
        (T.Index(I("args"), (N(0),)), "args[0]"),
        (T.Call(I("printf"), (T.StringLit("%s"), T.Stringof(I("x")))), 'printf("%s", stringof(x))'),
    ],
)
def test_special_forms(node, text):
    assert to_d(node) == text


def test_string_escapes():
    text = to_d(T.StringLit('a\\b"c\nd\te\x1bf\x00g\u00e9'))
    assert text == '"a\\\\b\\"c\\nd\\te\\033f\\000g\u00e9"'


# -- statements --------------------------------------------------------------------------------


def stmt(name):
    return T.ExprStmt(T.Call(I(name)))


def test_if_else_with_blocks_and_else_if_chain():
    node = T.If(
        I("a"),
        T.Block((stmt("f"),)),
        T.If(I("b"), T.Block((stmt("g"),)), T.Block((stmt("h"),))),
    )
    assert to_d(node) == "if (a) {\n\tf();\n} else if (b) {\n\tg();\n} else {\n\th();\n}"


def test_if_without_braces():
    node = T.If(I("a"), stmt("f"), stmt("g"))
    assert to_d(node) == "if (a)\n\tf();\nelse\n\tg();"


def test_dangling_else_gets_braces():
    node = T.If(I("a"), T.If(I("b"), stmt("f")), stmt("g"))
    assert to_d(node) == "if (a) {\n\tif (b)\n\t\tf();\n} else\n\tg();"


def test_if_inside_clause_is_indented():
    clause = T.Clause((T.ProbeDesc("BEGIN"),), None, (T.If(I("a"), T.Block((stmt("f"),))), T.EmptyStmt()))
    assert to_d(clause) == "BEGIN\n{\n\tif (a) {\n\t\tf();\n\t}\n\t;\n}"


# -- declarations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node, text",
    [
        (T.Declaration(("self", "int"), (T.NameDecl("x"),)), "self int x;"),
        (T.Declaration(("this", "string"), (T.NameDecl("s"),)), "this string s;"),
        (T.Declaration(("int",), (ptr("p"), T.NameDecl("q"))), "int *p, q;"),
        (T.Declaration(("char",), (T.ArrayDecl(T.NameDecl("buf"), (N(16),)),)), "char buf[16];"),
        (
            T.Declaration(("int",), (T.ArrayDecl(T.NameDecl("a"), (T.TypeName(("string",)), T.TypeName(("int",)))),)),
            "int a[string, int];",
        ),
        (T.Declaration(("int",), (T.ArrayDecl(ptr("a"), (N(3),)),)), "int (*a)[3];"),
        (T.Declaration(("int",), (T.PointerDecl(T.ArrayDecl(T.NameDecl("a"), (N(3),))),)), "int *a[3];"),
        (
            T.Declaration(
                ("void",),
                (T.FuncDecl(ptr("fp"), (T.Param(("int",)), T.Param(("char",), ptr(None)), T.Param(("...",)))),),
            ),
            "void (*fp)(int, char *, ...);",
        ),
        (T.Declaration(("const", "char"), (T.PointerDecl(T.NameDecl("p"), ("const",)),)), "const char *const p;"),
        (T.Declaration(("extern", "int"), (T.NameDecl("`kmem_flags"),)), "extern int `kmem_flags;"),
        (T.Declaration(("typedef", "int"), (T.NameDecl("myint_t"),)), "typedef int myint_t;"),
    ],
)
def test_declarations_print_c_declarators(node, text):
    assert to_d(node) == text


def test_struct_with_bit_fields_and_nested_union():
    struct = T.StructSpec(
        "struct",
        None,
        (
            T.FieldDecl(("uchar_t",), (T.FieldDeclarator(T.NameDecl("c1_1"), N(4)), T.FieldDeclarator(T.NameDecl("c1_2"), N(4)))),
            T.FieldDecl(("int",), (T.FieldDeclarator(None, N(0)),)),
            T.FieldDecl(
                (T.StructSpec("union", None, (T.FieldDecl(("int",), (T.FieldDeclarator(T.NameDecl("i")),)),)),),
                (T.FieldDeclarator(T.NameDecl("u")),),
            ),
        ),
    )
    decl = T.Declaration(("typedef", struct), (T.NameDecl("myip2_t"),))
    assert to_d(decl) == (
        "typedef struct {\n"
        "\tuchar_t c1_1 : 4, c1_2 : 4;\n"
        "\tint : 0;\n"
        "\tunion {\n"
        "\t\tint i;\n"
        "\t} u;\n"
        "} myip2_t;"
    )


def test_enum_definition():
    enum = T.EnumSpec("color", (T.Enumerator("RED"), T.Enumerator("GREEN", N(2))))
    assert to_d(T.Declaration((enum,))) == "enum color {\n\tRED,\n\tGREEN = 2\n};"


def test_inline_and_parameterised_inline():
    assert to_d(T.Inline(("int",), T.NameDecl("ONE"), N(1))) == "inline int ONE = 1;"
    node = T.Inline(
        ("string",),
        T.ArrayDecl(T.NameDecl("name"), (T.Param(("int",), T.NameDecl("x")),)),
        T.Ternary(B("==", I("x"), N(0)), T.StringLit("zero"), T.StringLit("other")),
    )
    assert to_d(node) == 'inline string name[int x] = x == 0 ? "zero" : "other";'


def test_translator():
    node = T.Translator(
        T.TypeName((T.TypeRef("psinfo_t"),)),
        T.TypeName((T.TypeRef("proc_t"),), ptr()),
        "T",
        (T.TranslatorMember("pr_nlwp", T.Member(I("T"), "->", "p_lwpcnt")),),
    )
    assert to_d(node) == "translator psinfo_t < proc_t *T > {\n\tpr_nlwp = T->p_lwpcnt;\n};"


def test_provider_with_argument_mapping():
    a = T.Param(("int",), T.NameDecl("a"))
    node = T.Provider("foo", (T.ProviderProbe("p", (a,), (a, a)), T.ProviderProbe("q", (T.Param(("char",), ptr()),))))
    assert to_d(node) == "provider foo {\n\tprobe p(int a) : (int a, int a);\n\tprobe q(char *);\n};"


def test_directives():
    assert to_d(T.Directive("define", "X 1")) == "#define X 1"
    assert to_d(T.Directive("endif")) == "#endif"
    assert to_d(T.Directive("", '12 "file"')) == '# 12 "file"'
    assert to_d(T.Pragma(("D", "binding", '"1.0"', "f"))) == '#pragma D binding "1.0" f'


def test_deep_tree_prints():
    node = I("x")
    for i in range(5000):
        node = B("+", node, N(i))
    assert to_d(node).startswith("x + 0 + 1")


# -- long call statements wrap (issue: printer line width) ------------------------------------

SEED_ARGS = ["timestamp", "walltimestamp", "self->action", "self->srcAddr", "self->srcPort",
             "self->lport", "self->tcpq->tcp_conn_req_cnt_q0", "self->tcpq->tcp_conn_req_cnt_q",
             "self->tcpq->tcp_conn_req_max"]


def _seed_printf():
    from dtracepy.parser import parse

    text = ('tick-1s\n{\n\tprintf("%d,%Y,%s,0x%08x,%d,%d,%d,%d,%d\\n", '
            + ", ".join(SEED_ARGS) + ");\n}\n")
    return parse(text)


def _width(line):
    tabs = len(line) - len(line.lstrip("\t"))
    return 8 * tabs + len(line) - tabs


def test_long_call_statement_wraps_like_the_seeds():
    from dtracepy.parser import parse

    program = _seed_printf()
    out = to_d(program)
    assert '\tprintf("%d,%Y,%s,0x%08x,%d,%d,%d,%d,%d\\n",\n\t    timestamp, walltimestamp,' in out
    body = out[out.index("\tprintf"):out.index("\n}")].split("\n")
    assert len(body) > 1
    assert all(_width(line) <= 100 for line in body)
    assert all(line.startswith("\t    ") for line in body[1:])
    assert body[-1].endswith(");")
    # every argument whole, in order, each exactly once
    joined = " ".join(line.strip() for line in body[1:])
    assert joined == ", ".join(SEED_ARGS) + ");"
    assert parse(out) == program


def test_short_call_statement_stays_on_one_line():
    node = T.ExprStmt(T.Call(I("printf"), (T.StringLit("%d %d\n"), I("a"), I("b"))))
    assert to_d(node) == 'printf("%d %d\\n", a, b);'


def test_exactly_100_columns_is_not_wrapped():
    name = "x" * (100 - len("\ttrace(a, );") - 7)
    stmt = T.ExprStmt(T.Call(I("trace"), (I("a"), I(name))))
    clause = T.Clause((T.ProbeDesc("BEGIN"),), None, (stmt,))
    line = to_d(clause).split("\n")[2]
    assert _width(line) == 100 and "\n" not in line and line.endswith(");")
    longer = T.Clause((T.ProbeDesc("BEGIN"),), None, (T.ExprStmt(T.Call(I("trace"), (I("a"), I(name + "y")))),))
    assert to_d(longer).split("\n")[2:4] == ["\ttrace(a,", "\t    " + name + "y);"]


def test_any_call_wraps_and_an_over_long_argument_gets_its_own_line():
    from dtracepy.parser import parse

    long_arg = B("+", I("a" * 70), I("b" * 40))
    stmt = T.ExprStmt(T.Call(I("printa"), (T.StringLit("%s %@d\n"), I("x"), long_arg, I("y"), T.AggVar("c"))))
    out = to_d(T.Clause((T.ProbeDesc("END"),), None, (stmt,)))
    lines = out.split("\n")[2:-1]
    assert lines == ['\tprinta("%s %@d\\n",', "\t    x,", "\t    " + "a" * 70 + " + " + "b" * 40 + ",",
                     "\t    y, @c);"]
    assert parse(out).items[0] == T.Clause((T.ProbeDesc("END"),), None, (stmt,))


def test_wrapped_call_continuation_follows_the_statement_indentation():
    args = tuple(I(f"argument_number_{i}") for i in range(8))
    stmt = T.ExprStmt(T.Call(I("trace"), args))
    nested = T.If(I("c"), T.Block((T.If(I("d"), T.Block((stmt,))),)))
    out = to_d(T.Clause((T.ProbeDesc("BEGIN"),), None, (nested,)))
    lines = [line for line in out.split("\n") if "argument_number" in line]
    assert lines[0].startswith("\t\t\ttrace(argument_number_0,")
    assert all(line.startswith("\t\t\t    argument") for line in lines[1:])
    assert all(_width(line) <= 100 for line in lines)


def test_non_call_statements_and_single_argument_calls_are_not_wrapped():
    assign = T.ExprStmt(T.Assign("=", T.SelfVar("x"), T.Call(I("f"), tuple(I("y" * 20) for _ in range(6)))))
    assert "\n" not in to_d(assign)
    single = T.ExprStmt(T.Call(I("trace"), (I("z" * 120),)))
    assert to_d(single) == "trace(" + "z" * 120 + ");"


def test_a_bodyless_clause_gets_braces_where_it_would_not_be_d_without_them():
    from dtracepy.parser import parse

    bodyless = T.Clause((T.ProbeDesc("syscall::read:entry"),), T.Ident("x"), None)
    tick = T.Clause((T.ProbeDesc("tick-1s"),), None, ())
    text = to_d(T.Program((bodyless, tick)))
    assert text.startswith("syscall::read:entry\n/x/\n{\n}\n")
    assert parse(text).items == (T.Clause(bodyless.probes, bodyless.predicate, ()), tick)
    # Last in the file (comments may follow) it stays as written, and reads back unchanged.
    last = T.Program((tick, bodyless, T.Comment(" end ")))
    assert "/x/\n\n/* end */" in to_d(last)
    assert parse(to_d(last)) == last
    # Without a predicate a description must be followed by a body.
    assert to_d(T.Program((T.Clause((T.ProbeDesc("BEGIN"),), None, None),))) == "BEGIN\n{\n}\n"
