"""The parser builds exactly the tree shapes of dtracepy/tree.py, with positions."""

from __future__ import annotations

import pytest

from dtracepy import tree as t
from dtracepy.errors import DSyntaxError
from dtracepy.parser import parse, parse_bytes
from dtracepy.source import Pos


def body(src: str):
    """The statements of the first clause of src."""
    return parse(src).items[0].body


def expr(src: str) -> t.Expr:
    """The expression of 'BEGIN { src; }'."""
    return body("BEGIN { %s; }" % src)[0].expr


def err(src: str) -> DSyntaxError:
    with pytest.raises(DSyntaxError) as info:
        parse(src, "x.d")
    return info.value


# -- probe descriptions and clauses ------------------------------------------------------------

@pytest.mark.parametrize("desc", [
    "BEGIN", "syscall::read:entry", "read:entry", "fbt:ip:tcp_conn_request:entry",
    "pid$target:libc.so.1:malloc:entry", "pid$1::f*:return", "profile-997", "tick-1sec",
    "syscall::*read*:entry", "fbt::[a-z]?_x:entry", "sched:::on-cpu", ":::", "fbt:\\:foo:entry",
])
def test_probe_descriptions_are_lexed_whole(desc):
    clause = parse(desc + "\n{\n}\n").items[0]
    assert clause.probes == (t.ProbeDesc(desc),)
    assert clause.body == ()


def test_clause_with_several_descriptions_predicate_and_body():
    prog = parse("syscall::read:entry,\nsyscall::write:entry\n/pid == 1/\n{\n\tx = 1;\n}\n")
    clause = prog.items[0]
    assert [p.text for p in clause.probes] == ["syscall::read:entry", "syscall::write:entry"]
    assert clause.predicate == t.Binary("==", t.Ident("pid"), t.IntLit("1"))
    assert clause.body == (t.ExprStmt(t.Assign("=", t.Ident("x"), t.IntLit("1"))),)


def test_clause_without_braces_has_body_none():
    clause = parse("syscall:::entry /pid == 1/").items[0]
    assert clause.body is None and clause.predicate is not None


def test_last_statement_may_omit_its_semicolon():
    assert body("BEGIN { trace(1) }") == (t.ExprStmt(t.Call(t.Ident("trace"), [t.IntLit("1")])),)


def test_slash_in_predicate_divides_unless_it_closes():
    clause = parse("BEGIN /a / b/ { }").items[0]
    assert clause.predicate == t.Binary("/", t.Ident("a"), t.Ident("b"))
    clause = parse("BEGIN /(a / 2) == 1/ /* c */ { }").items[0]
    assert clause.predicate == t.Binary("==", t.Binary("/", t.Ident("a"), t.IntLit("2")), t.IntLit("1"))


def test_description_without_predicate_or_body_is_an_error():
    e = err("profile-1\nint i;\n{\n}\n")
    assert "expected a predicate or a clause body after probe description" in e.message
    assert (e.pos.line, e.pos.col) == (1, 1)  # at the description, as dtrace says ("line 1: ...")
    assert "expected a predicate" in err("BEGIN").message


@pytest.mark.parametrize("src,where,near", [
    ("syscall::read:entry, { }", (1, 22), "{"),
    ("syscall::read:entry,\nsyscall::write:entry,\n/pid == 1/ { }", (3, 1), "/"),
    ("BEGIN, /* c */ {}", (1, 16), "{"),
])
def test_comma_after_the_last_description_is_an_error(src, where, near):
    # as the real compilers say (dtrace -e: 'syntax error near "{"'); the grammar once took it
    e = err(src)
    assert e.message == f'syntax error near "{near}"'
    assert (e.pos.file, e.pos.line, e.pos.col) == ("x.d", *where)


def test_positions_are_file_line_col():
    prog = parse("\nBEGIN\n{\n\tx = y + 1;\n}\n", "f.d")
    clause = prog.items[0]
    assert clause.pos == Pos("f.d", 2, 1)
    stmt = clause.body[0]
    assert stmt.pos == Pos("f.d", 4, 2)
    assert stmt.expr.value.right.pos == Pos("f.d", 4, 10)
    for node in prog.walk():
        assert node.pos is not None, node


# -- expressions --------------------------------------------------------------------------------

def test_precedence_and_associativity():
    assert expr("a = b = c") == t.Assign("=", t.Ident("a"), t.Assign("=", t.Ident("b"), t.Ident("c")))
    assert expr("a - b - c") == t.Binary("-", t.Binary("-", t.Ident("a"), t.Ident("b")), t.Ident("c"))
    assert expr("a || b ^^ c && d") == t.Binary(
        "||", t.Ident("a"), t.Binary("^^", t.Ident("b"), t.Binary("&&", t.Ident("c"), t.Ident("d"))))
    assert expr("a | b ^ c & d == e < f << g + h * i") == t.Binary("|", t.Ident("a"), t.Binary(
        "^", t.Ident("b"), t.Binary("&", t.Ident("c"), t.Binary("==", t.Ident("d"), t.Binary(
            "<", t.Ident("e"), t.Binary("<<", t.Ident("f"), t.Binary(
                "+", t.Ident("g"), t.Binary("*", t.Ident("h"), t.Ident("i")))))))))
    assert expr("a ? b : c ? d : e") == t.Ternary(
        t.Ident("a"), t.Ident("b"), t.Ternary(t.Ident("c"), t.Ident("d"), t.Ident("e")))
    assert expr("x = 1, y = 2") == t.Binary(
        ",", t.Assign("=", t.Ident("x"), t.IntLit("1")), t.Assign("=", t.Ident("y"), t.IntLit("2")))
    assert expr("a <<= 2") == t.Assign("<<=", t.Ident("a"), t.IntLit("2"))


def test_unary_postfix_and_parentheses_leave_no_paren_nodes():
    assert expr("-(-x)") == t.Unary("-", t.Unary("-", t.Ident("x")))
    assert expr("!*p++") == t.Unary("!", t.Unary("*", t.Postfix("++", t.Ident("p"))))
    assert expr("++x") == t.Unary("++", t.Ident("x"))
    assert expr("&a[1]") == t.Unary("&", t.Index(t.Ident("a"), [t.IntLit("1")]))
    assert expr("((a))") == t.Ident("a")


def test_variables_aggregations_members_and_calls():
    assert expr("self->ts[tid] = timestamp") == t.Assign(
        "=", t.Index(t.SelfVar("ts"), [t.Ident("tid")]), t.Ident("timestamp"))
    assert expr("this->x") == t.ThisVar("x")
    assert expr("@a[k1, k2] = count()") == t.Assign(
        "=", t.Index(t.AggVar("a"), [t.Ident("k1"), t.Ident("k2")]), t.Call(t.Ident("count")))
    assert expr("@ = sum(1)") == t.Assign("=", t.AggVar(""), t.Call(t.Ident("sum"), [t.IntLit("1")]))
    assert expr("p->a.b") == t.Member(t.Member(t.Ident("p"), "->", "a"), ".", "b")
    assert expr("x.self") == t.Member(t.Ident("x"), ".", "self")
    assert expr("$1 + $$1 + $target") == t.Binary(
        "+", t.Binary("+", t.MacroVar("$1"), t.MacroVar("$$1")), t.MacroVar("$target"))
    assert expr("`kmem_flags") == t.Ident("kmem_flags", "")
    assert expr("genunix`kmem_flags") == t.Ident("kmem_flags", "genunix")


def test_literals_keep_spelling_and_decode_strings():
    assert expr("0x28") == t.IntLit("0x28")
    assert expr("0777") == t.IntLit("0777")
    assert expr("10UL") == t.IntLit("10UL")
    assert expr("'ab'") == t.CharLit("ab")
    assert expr(r"'\n'") == t.CharLit(r"\n")
    assert expr(r'"a\tb\"c\\\101\x41"') == t.StringLit('a\tb"c\\AA')


def test_byte_escapes_above_0x7f_are_bytes_not_characters():
    # "\377" is the byte 0xFF (as dtrace prints it), not U+00FF (two bytes in UTF-8): it reads
    # as surrogateescape holds an undecodable byte, and prints back as the same escape
    from dtracepy.printer import to_d

    assert expr(r'"a\377b\xfe\200"') == t.StringLit("a\udcffb\udcfe\udc80")
    assert t.StringLit("a\udcffb\udcfe\udc80").value.encode("utf-8", "surrogateescape") == b"a\xffb\xfe\x80"
    assert to_d(expr(r'"a\377b\xfe\200"')) == r'"a\377b\376\200"'
    assert to_d(t.StringLit("\u00ff")) == '"\u00ff"'


@pytest.mark.parametrize("src,spec,decl", [
    ("(tcp_t **)arg0", (t.TypeRef("tcp_t"),), t.PointerDecl(t.PointerDecl(t.NameDecl(None)))),
    ("(struct ip *)p", (t.StructSpec("struct", "ip"),), t.PointerDecl(t.NameDecl(None))),
    ("(uint16_t)x", (t.TypeRef("uint16_t"),), t.NameDecl(None)),
    ("(conn_t*)x", (t.TypeRef("conn_t"),), t.PointerDecl(t.NameDecl(None))),
    ("(genunix`kthread_t *)x", (t.TypeRef("kthread_t", "genunix"),), t.PointerDecl(t.NameDecl(None))),
    ("(unsigned long long)x", ("unsigned", "long", "long"), t.NameDecl(None)),
    ("(foo)x", (t.TypeRef("foo"),), t.NameDecl(None)),
    ("(const char *)x", ("const", "char"), t.PointerDecl(t.NameDecl(None))),
])
def test_casts_to_type_names_the_parser_cannot_know(src, spec, decl):
    cast = expr(src)
    assert isinstance(cast, t.Cast)
    assert cast.type == t.TypeName(spec, decl)


def test_parenthesised_names_that_are_not_casts():
    assert expr("(a) - 1") == t.Binary("-", t.Ident("a"), t.IntLit("1"))
    assert expr("f(a) * b") == t.Binary("*", t.Call(t.Ident("f"), [t.Ident("a")]), t.Ident("b"))
    assert body("BEGIN { if (x) y = 1; }")[0] == t.If(
        t.Ident("x"), t.ExprStmt(t.Assign("=", t.Ident("y"), t.IntLit("1"))))


def test_sizeof_stringof_offsetof_xlate():
    assert expr("sizeof (int)") == t.SizeofType(t.TypeName(("int",)))
    assert expr("sizeof(uint64_t)") == t.SizeofType(t.TypeName((t.TypeRef("uint64_t"),)))
    assert expr("sizeof (x)") == t.SizeofExpr(t.Ident("x"))
    assert expr("sizeof x") == t.SizeofExpr(t.Ident("x"))
    assert expr("stringof(x)") == t.Stringof(t.Ident("x"))
    assert expr("offsetof(vnode_t, v_path)") == t.Offsetof(t.TypeName((t.TypeRef("vnode_t"),)), "v_path")
    assert expr("xlate<psinfo_t *>(curthread)->pr_pid") == t.Member(
        t.Xlate(t.TypeName((t.TypeRef("psinfo_t"),), t.PointerDecl(t.NameDecl(None))), t.Ident("curthread")),
        "->", "pr_pid")


# -- statements ---------------------------------------------------------------------------------

def test_if_else_keeps_bodies_as_written():
    stmts = body("BEGIN { if (a) { x = 1; } else y = 2; ; }")
    assert stmts[0] == t.If(
        t.Ident("a"), t.Block([t.ExprStmt(t.Assign("=", t.Ident("x"), t.IntLit("1")))]),
        t.ExprStmt(t.Assign("=", t.Ident("y"), t.IntLit("2"))))
    assert stmts[1] == t.EmptyStmt()


# -- top level ----------------------------------------------------------------------------------

def test_declarations():
    items = parse(
        "int x;\nself int y;\nthis string s;\nint a[string, int];\nuint64_t *p, q[4];\n"
        "extern int `kmem_flags;\nself x, y;\n").items
    assert items[0] == t.Declaration(("int",), [t.NameDecl("x")])
    assert items[1] == t.Declaration(("self", "int"), [t.NameDecl("y")])
    assert items[2] == t.Declaration(("this", "string"), [t.NameDecl("s")])
    assert items[3] == t.Declaration(("int",), [t.ArrayDecl(
        t.NameDecl("a"), [t.TypeName(("string",)), t.TypeName(("int",))])])
    assert items[4] == t.Declaration((t.TypeRef("uint64_t"),), [
        t.PointerDecl(t.NameDecl("p")), t.ArrayDecl(t.NameDecl("q"), [t.IntLit("4")])])
    assert items[5] == t.Declaration(("extern", "int"), [t.NameDecl("`kmem_flags")])
    assert items[6] == t.Declaration(("self",), [t.NameDecl("x"), t.NameDecl("y")])


def test_structs_unions_enums_bitfields_and_typedefs():
    items = parse(
        "struct s {\n\tuchar_t ip_hl:4, ip_v:4;\n\tint :0;\n\tstruct s *next;\n} *p;\n"
        "typedef struct s s_t;\nenum e { A, B = 2 };\nunion u { int i; char c; };\n"
        "s_t *q;\n").items
    assert items[0] == t.Declaration([t.StructSpec("struct", "s", [
        t.FieldDecl([t.TypeRef("uchar_t")], [
            t.FieldDeclarator(t.NameDecl("ip_hl"), t.IntLit("4")),
            t.FieldDeclarator(t.NameDecl("ip_v"), t.IntLit("4"))]),
        t.FieldDecl(["int"], [t.FieldDeclarator(None, t.IntLit("0"))]),
        t.FieldDecl([t.StructSpec("struct", "s")], [t.FieldDeclarator(t.PointerDecl(t.NameDecl("next")))]),
    ])], [t.PointerDecl(t.NameDecl("p"))])
    assert items[1] == t.Declaration(["typedef", t.StructSpec("struct", "s")], [t.NameDecl("s_t")])
    assert items[2] == t.Declaration([t.EnumSpec("e", [t.Enumerator("A"), t.Enumerator("B", t.IntLit("2"))])])
    assert items[3].specifiers[0].kind == "union"
    assert items[4] == t.Declaration([t.TypeRef("s_t")], [t.PointerDecl(t.NameDecl("q"))])


def test_typedef_names_become_type_names_in_casts():
    prog = parse("typedef int myint;\nBEGIN { x = (myint)-1; }")
    assert prog.items[1].body[0].expr.value == t.Cast(t.TypeName([t.TypeRef("myint")]),
                                                     t.Unary("-", t.IntLit("1")))


def test_inlines_plain_and_parameterised():
    items = parse('inline int MAX = 10;\ninline string name[int x] = x == 1 ? "one" : "other";\n').items
    assert items[0] == t.Inline(("int",), t.NameDecl("MAX"), t.IntLit("10"))
    assert items[1] == t.Inline(("string",), t.ArrayDecl(
        t.NameDecl("name"), [t.Param(("int",), t.NameDecl("x"))]),
        t.Ternary(t.Binary("==", t.Ident("x"), t.IntLit("1")), t.StringLit("one"), t.StringLit("other")))


def test_translator():
    item = parse("translator psinfo_t < struct proc *P > {\n\tpr_pid = P->p_pid;\n};\n").items[0]
    assert item == t.Translator(
        t.TypeName([t.TypeRef("psinfo_t")]),
        t.TypeName([t.StructSpec("struct", "proc")], t.PointerDecl(t.NameDecl(None))), "P",
        [t.TranslatorMember("pr_pid", t.Member(t.Ident("P"), "->", "p_pid"))])


def test_provider_with_argument_mappings():
    item = parse("provider p {\n\tprobe q(int a) : (int a, int a);\n\tprobe r(conn_t *, char *);\n\t"
                 "probe s();\n};\n").items[0]
    assert item == t.Provider("p", [
        t.ProviderProbe("q", [t.Param(["int"], t.NameDecl("a"))],
                        [t.Param(["int"], t.NameDecl("a")), t.Param(["int"], t.NameDecl("a"))]),
        t.ProviderProbe("r", [t.Param([t.TypeRef("conn_t")], t.PointerDecl(t.NameDecl(None))),
                              t.Param(["char"], t.PointerDecl(t.NameDecl(None)))]),
        t.ProviderProbe("s"),
    ])


def test_comments_directives_pragmas_and_shebang_in_order():
    src = ('#!/usr/sbin/dtrace -qs\n/* top */\n#pragma D option quiet\n#pragma D binding "1.0" f\n'
           '#include <sys/socket.h>\n#define X(a) \\\n\t(a + 1)\n# 12 "file"\nBEGIN /* inside */ { }\n'
           '/* end */\n')
    items = parse(src).items
    assert items == (
        t.Shebang("/usr/sbin/dtrace -qs"), t.Comment(" top "), t.Pragma(["D", "option", "quiet"]),
        t.Pragma(["D", "binding", '"1.0"', "f"]), t.Directive("include", "<sys/socket.h>"),
        t.Directive("define", "X(a) \\\n\t(a + 1)"), t.Directive("", '12 "file"'),
        t.Clause([t.ProbeDesc("BEGIN")], None, []), t.Comment(" end "))


def test_pragma_inside_a_clause_is_hoisted_after_it():
    items = parse("BEGIN\n{\n#pragma D option quiet\n\ttrace(1);\n}\n").items
    assert isinstance(items[0], t.Clause) and items[1] == t.Pragma(["D", "option", "quiet"])


def test_empty_input_is_an_empty_program():
    assert parse("") == t.Program(())
    assert parse("  \n/* only a comment */\n") == t.Program([t.Comment(" only a comment ")])


# -- regressions: the printer engineer's minimal cases ---------------------------------------------

def test_calls_casts_and_subscripts_in_inline_initializers_and_translator_members():
    x, r, b, c, d = (t.Ident(n) for n in "xrbcd")
    items = parse("inline int a = 1 + d(x);\ninline int a = (int)(r);\n"
                  "inline int q = (b || c)[x * 2];\n"
                  "translator t_t < int *b > { q = (b || c)[x * 2]; r = f(x, (uint8_t)b); };\n").items
    assert items[0].value == t.Binary("+", t.IntLit("1"), t.Call(d, [x]))
    assert items[1].value == t.Cast(t.TypeName(("int",)), r)
    index = t.Index(t.Binary("||", b, c), [t.Binary("*", x, t.IntLit("2"))])
    assert items[2].value == index
    assert items[3].members == (
        t.TranslatorMember("q", index),
        t.TranslatorMember("r", t.Call(t.Ident("f"), [x, t.Cast(t.TypeName((t.TypeRef("uint8_t"),)), b)])))


def test_cast_right_after_a_cast_or_an_if_condition():
    inner = t.Cast(t.TypeName((t.TypeRef("foo_t"),), t.PointerDecl(t.NameDecl(None))), t.Ident("a"))
    assert expr("(int)(foo_t *)a") == t.Cast(t.TypeName(("int",)), inner)
    assert expr("(uintptr_t)(struct ip *)p") == t.Cast(
        t.TypeName((t.TypeRef("uintptr_t"),)),
        t.Cast(t.TypeName((t.StructSpec("struct", "ip"),), t.PointerDecl(t.NameDecl(None))), t.Ident("p")))
    assert body("BEGIN { if (a) (e9_t *)a; }")[0] == t.If(t.Ident("a"), t.ExprStmt(
        t.Cast(t.TypeName((t.TypeRef("e9_t"),), t.PointerDecl(t.NameDecl(None))), t.Ident("a"))))
    # after a call's or a group's ")" a "(" is still a call's
    assert expr("(a + b)(c)") == t.Call(t.Binary("+", t.Ident("a"), t.Ident("b")), [t.Ident("c")])
    assert expr("f(a)(b)") == t.Call(t.Call(t.Ident("f"), [t.Ident("a")]), [t.Ident("b")])


def test_typedef_registers_its_name_not_the_struct_tag():
    prog = parse("typedef struct c { int *c : 1; } c2_t;\ntypedef struct foo { int x; } bar;\n"
                 "BEGIN { x = c * sizeof (bar); }\n")
    assert prog.items[0].declarators == (t.NameDecl("c2_t"),)
    assert prog.items[2].body[0].expr.value == t.Binary(
        "*", t.Ident("c"), t.SizeofType(t.TypeName((t.TypeRef("bar"),))))


def test_module_scoped_key_types():
    items = parse("int a[genunix`u4_t *];\nint b[genunix`u4_t];\nint c[genunix`sym];\n").items
    key = t.TypeRef("u4_t", "genunix")
    assert items[0] == t.Declaration(("int",), [t.ArrayDecl(
        t.NameDecl("a"), [t.TypeName((key,), t.PointerDecl(t.NameDecl(None)))])])
    assert items[1] == t.Declaration(("int",), [t.ArrayDecl(t.NameDecl("b"), [t.TypeName((key,))])])
    assert items[2] == t.Declaration(("int",), [t.ArrayDecl(t.NameDecl("c"), [t.Ident("sym", "genunix")])])


def test_repeated_enum_typedef_with_enumerator_values():
    enum = t.EnumSpec(None, [t.Enumerator("s", t.IntLit("1")), t.Enumerator("k_t")])
    decl = t.Declaration(("typedef", enum), [t.NameDecl("k_t")])
    assert parse("typedef enum { s = 1, k_t } k_t;\ntypedef enum { s = 1, k_t } k_t;\n").items == (decl, decl)


def test_comment_after_a_bodyless_predicate_clause_is_kept():
    clause = t.Clause([t.ProbeDesc("BEGIN")], t.Ident("x"), None)
    assert parse("BEGIN\n/x/\n\n/* c */").items == (clause, t.Comment(" c "))
    # between the predicate and the body it belongs to the clause (and is dropped, as in bodies)
    assert parse("BEGIN\n/x/ /* c */\n{ }").items == (t.Clause([t.ProbeDesc("BEGIN")], t.Ident("x"), []),)


# -- lexical errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("src,message,line,col", [
    ("BEGIN { x = 0128; }", "invalid digit in octal constant '0128'", 1, 13),
    ("BEGIN { x = ''; }", "empty character constant", 1, 13),
    ('BEGIN { x = "ab\ncd"; }', "newline in string constant", 2, 1),  # (dtrace: line 2)
    ('BEGIN { x = "abc; }', "unterminated string", 1, 13),
    ("BEGIN { x = 'abcdefghi'; }", "character constant is too long", 1, 13),
    ("BEGIN { x = 1.5; }", "floating-point constants are not supported", 1, 13),
    ("BEGIN { x = 0x12345678123456781; }", "too large", 1, 13),
    # a decimal constant without U is signed (C's rule, dt_node_int): the real compiler says so
    ("BEGIN { x = 18446744073709551615; }", "cannot be represented in any built-in integral type", 1, 13),
    ("BEGIN { x = 9223372036854775808L; }", "needs a U suffix", 1, 13),
    ("BEGIN { x = 123$pid; }", "invalid suffix", 1, 13),
    ("/* a\n b", "unterminated comment", 1, 1),
    ("/* a /* b */", "nested comment", 1, 6),
    ("BEGIN { x = 1; }\n}", 'syntax error near "}"', 2, 1),
    ("BEGIN { trace(epid)); }", 'syntax error near ")"', 1, 20),
    ("BEGIN { int x = 1; }", 'syntax error near "int"', 1, 9),
    ("BEGIN {", "syntax error near end of input", 1, 8),
    ("int 0abc;", "invalid suffix", 1, 5),
    ("#pragma D option quiet", "end of file in preprocessor directive", 1, 23),
])
def test_errors_are_located_like_a_compilers(src, message, line, col):
    e = err(src)
    assert message in e.message
    assert (e.pos.file, e.pos.line, e.pos.col) == ("x.d", line, col)
    assert e.render().startswith(f"x.d:{line}:{col}: error: ")


# Inside a predicate or a body the lexer reads a well-formed comment or string as one match of
# its token pattern and leaves a malformed one to its own code: the errors stay where they were.
@pytest.mark.parametrize("src,message,line,col", [
    ("BEGIN { x = 1; /* a /* b */ }", "nested comment", 1, 21),
    ("BEGIN { x = 1; /* no end\n}", "unterminated comment", 1, 16),
    ("BEGIN\n/x /* c\n", "unterminated comment", 2, 4),
    ("int x /* c", "unterminated comment", 1, 7),
    ('BEGIN { x = "a\\"b; }', "unterminated string", 1, 13),
    ('BEGIN { x = "a\\\nb"; }', "newline in string constant", 1, 16),
    ('BEGIN { x = "ab\\', "unterminated string", 1, 13),
    ("BEGIN { x = $$; }", "invalid macro variable", 1, 13),
    ("BEGIN { x = $1a; }", "invalid macro variable '$1a'", 1, 13),
    ("BEGIN { x = 1 \u00a0; }", "invalid character U+00A0", 1, 15),
    ("BEGIN { x = 'a\\\n'; }", "is not the inside of a D character constant", 1, 13),
    ("BEGIN { x = a # b; }", "invalid character '#'", 1, 15),
    ("BEGIN /x/* c */ { }", 'syntax error near "{"', 1, 17),
])
def test_lexical_errors_inside_items(src, message, line, col):
    e = err(src)
    assert message in e.message
    assert (e.pos.line, e.pos.col) == (line, col)


def test_comments_and_strings_inside_a_body():
    src = "BEGIN { /* \"x */ trace(\"/* y */\\\"\\\\\"); /**/ trace('\\''); /***/ }\n#pragma D option quiet\n"
    clause, pragma = parse(src).items
    assert [s.expr.args[0] for s in clause.body] == [t.StringLit('/* y */"\\'), t.CharLit("\\'")]
    assert pragma == t.Pragma(["D", "option", "quiet"])


@pytest.mark.parametrize("text", ["9223372036854775807", "9223372036854775808U", "18446744073709551615ULL",
                                  "18446744073709551615uL", "0xffffffffffffffff", "01777777777777777777777"])
def test_integer_constants_up_to_64_bits_that_d_can_type(text):
    assert parse(f"BEGIN {{ x = {text}; }}").items[0].body[0].expr.value == t.IntLit(text)


def test_parse_bytes_with_cpp_maps_lines_back():
    src = b"#define X 5\n#define F(a) ((a) + 1)\nBEGIN\n{\n#if X > 3\n\ttrace(F(X));\n#endif\n}\n"
    prog = parse_bytes(src, "c.d", cpp=True)
    stmt = prog.items[0].body[0]
    assert stmt.expr == t.Call(t.Ident("trace"), [t.Binary("+", t.IntLit("5"), t.IntLit("1"))])
    assert stmt.pos.line == 6
    with pytest.raises(DSyntaxError) as info:
        parse_bytes(b"#define X 5\n\nBEGIN\n{\n\ttrace(X +);\n}\n", "c.d", cpp=True)
    assert info.value.pos.line == 5


def test_parse_bytes_with_cpp_defines():
    prog = parse_bytes(b"probe\n{\n}\n", "d.d", cpp=True, defines=["probe=BEGIN"])
    assert prog.items[0].probes == (t.ProbeDesc("BEGIN"),)


# --- a probe description with neither predicate nor body: reported at the description ---------

HANGING = {
    "at the end of the file": ("BEGIN { exit(0); }\n\nsyscall::open:entry\n", (3, 1)),
    "several, at the end of the file": ("BEGIN { exit(0); }\n\nsyscall::open:entry,\n  syscall::read:entry\n\n\n", (3, 1)),
    "before the next clause": ("syscall::open:entry\nBEGIN { exit(0); }\n", (1, 1)),
    "after a comment, at the end": ("BEGIN { exit(0); }\n/* x */ syscall::open:entry /* y */\n", (2, 9)),
}


@pytest.mark.parametrize("name", sorted(HANGING))
def test_a_hanging_probe_description_is_reported_at_the_description(name):
    text, (line, col) = HANGING[name]
    with pytest.raises(DSyntaxError) as info:
        parse(text, "x.d")
    assert (info.value.pos.line, info.value.pos.col) == (line, col), info.value.render()
    assert "expected a predicate or a clause body after probe description" in str(info.value)


def test_dtrace_reports_a_hanging_description_at_its_line():
    from real_dtrace import judge_scripts

    verdicts = judge_scripts({name: {"text": text} for name, (text, _) in HANGING.items()})
    for name, (_text, (line, _col)) in HANGING.items():
        assert verdicts[name] is not None and verdicts[name].startswith(f"line {line}: expected predicate"), \
            (name, verdicts[name])


def test_a_parenthesised_name_before_not_equal_is_no_cast():
    """(a) != 0 was lexed as the cast (a)(!= 0) and refused (dtrace reads a comparison); found by
    the round-trip test's random programs as xlate<int>(a) != 0."""
    from dtracepy import tree as t

    for text in ("BEGIN\n{\n\tx = (a) != 0;\n}\n", "BEGIN\n{\n\tx = xlate<int>(a) != 0;\n}\n"):
        expr = parse(text, "x.d").items[0].body[0].expr.value
        assert isinstance(expr, t.Binary) and expr.op == "!="
    expr = parse("BEGIN\n{\n\tx = (uint64_t) !y;\n}\n", "x.d").items[0].body[0].expr.value
    assert isinstance(expr, t.Cast)         # "!" alone still starts a cast's operand
