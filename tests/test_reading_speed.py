"""The work reading D does per token (session 14, issue 8: ``check`` of any input under 4 MiB
within 5 s; dense D at 1 MB/s): the Python steps (bytecode instructions, as ``sys.settrace``
sees them with ``f_trace_opcodes``) and calls the lexer and the fast clause parser take.
Counted, never timed; the tokens and trees stay what they were (tests/test_parser_fast.py,
test_reading_work.py, test_fuzz.py compare them).
"""

from __future__ import annotations

import sys

from dtracepy import lexer, parser
from test_lexer_work import _count

DENSE = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
         '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')


def _opcodes(fn, filename: str) -> int:
    """How many bytecode instructions the frames of ``filename``'s code execute in ``fn()``."""
    seen = 0

    def local(frame, event, arg):
        nonlocal seen
        if event == "opcode":
            seen += 1
        return local

    def call(frame, event, arg):
        if frame.f_code.co_filename == filename:
            frame.f_trace_opcodes = True
            return local
        return None

    sys.settrace(call)
    try:
        fn()
    finally:
        sys.settrace(None)
    return seen


def _lexer_steps(text: str) -> float:
    tokens = sum(len(item) for item in lexer.Lexer(text).items())
    steps = _opcodes(lambda: [None for _ in lexer.Lexer(text).items(parser.CLAUSE_PART)], lexer.__file__)
    return steps / tokens


def test_the_token_pattern_has_no_group():
    # The match is the token (a search skips the blanks before it): a group around the token
    # after a leading run of blanks cost the engine its marks and the lexer m.start(1)
    # (370 machine instructions a token of BEGIN{x=y;...}).
    assert lexer._TOKEN_RE.groups == 0 and lexer._BODY_TOKEN_RE.groups == 0
    text = " \t\n x  =\n\ty ;;\n ; /* c */ 'a' + 1 "
    assert [(m[0], m.start()) for m in lexer._TOKEN_RE.finditer(text)] == [
        ("x", 4), ("=", 7), ("y", 10), (";", 12), (";", 13), (";", 16), ("/* c */", 18), ("'", 26),
        ("a", 27), ("'", 28), ("+", 30), ("1", 32)]


def test_a_name_or_an_assignment_costs_the_lexer_fewer_steps():
    # Before: 78.8 steps a token of ``x = y;`` (the name's fast path tested the previous token
    # three times and the typedefs apart; '=' went through nine tests of other punctuators), 97
    # a token of the dense clause.  Now 59.1 and 87.5.
    assert _lexer_steps("BEGIN{" + "x = y;" * 2000 + "}\n") <= 62
    assert _lexer_steps(DENSE * 200) <= 90


def test_a_typedef_and_a_member_name_keep_their_tokens_in_the_fast_path():
    # The fast path's one lookup holds the typedefs as they are declared (and after a resume).
    text = ("typedef int foo_t; BEGIN { x = (foo_t)y; foo_t->foo_t = self->int; }\n"
            "typedef long bar_t; BEGIN { z = (bar_t)1; bar_t; s.bar_t; }\n")
    toks = [t[:2] for t in lexer.Lexer(text).tokens()]
    # (the declarators' names and the members' are names; the others type names)
    assert toks.count(("TYPE_NAME", "foo_t")) == 2 and toks.count(("TYPE_NAME", "bar_t")) == 2
    assert toks.count(("IDENT", "foo_t")) == 2 and toks.count(("IDENT", "bar_t")) == 2
    assert ("IDENT", "int") in toks  # (a member's name may be a keyword)
    before = toks.index(("K_TYPEDEF", "typedef"), 1)
    assert ("TYPE_NAME", "bar_t") not in toks[:before]


def test_an_assignment_statement_is_one_call_of_the_fast_parser():
    # The statement loop makes the target's Ident and the Assign itself, and assign() the value's
    # Ident: unary(), assign_rest(), assign() and unary() a statement before (4.0 calls).
    n = 2000
    calls = _count(lambda: parser.parse("BEGIN{" + "x = y;" * n + "}\n"), "call", parser.__file__)
    assert calls <= 1.1 * n
    # names as arguments and keys: assign() each, no unary() (f, the call, has its own)
    calls = _count(lambda: parser.parse("BEGIN{" + "f(a, b, c);" * n + "}\n"), "call", parser.__file__)
    assert calls <= 5.1 * n  # (8 before)


def test_a_chain_of_one_operator_is_built_without_the_precedence_stacks():
    # Before: 58,834 steps for 100 statements ``x = a + b;`` (the chain's two stacks and loop).
    steps = _opcodes(lambda: parser.parse("BEGIN{" + "x = a + b;" * 100 + "}"), parser.__file__)
    assert steps <= 45_000


def test_a_string_is_decoded_an_escape_at_a_time():
    # Before: a step per character (23,071 steps for 1,000 characters and an escape).
    body = "a" * 1000 + "\\n" + "b" * 10 + "\\101"
    from dtracepy.facts import escapes  # (the decoder's home: a fact of D)

    assert _opcodes(lambda: lexer.decode_string(body), escapes.__file__) <= 400
    assert lexer.decode_string(body) == "a" * 1000 + "\n" + "b" * 10 + "A"
    for body, value in (("\\", "\\"), ("a\\", "a\\"), ("\\q", "\\q"), ("\\x", "\0"), ("\\x41z", "Az"),
                        ("\\0", "\0"), ("\\1234", "S4"), ("\\342\\200\\256", "\u202e"), ("\\377", "\udcff"),
                        ("x\\n\\t\\\\y", "x\n\t\\y"), ("", "")):
        assert lexer.decode_string(body) == value, body


# --- session 15: a simple statement read in one match ----------------------------------------------

def _token_by_token(text: str, monkeypatch) -> list:
    """The tokens as a scan token by token makes them (the body's pattern without its simple
    statements, no first statement read whole)."""
    with monkeypatch.context() as m:
        m.setattr(lexer, "_BODY_TOKEN_RE", lexer._BODY_PLAIN_RE)
        m.setattr(lexer, "_SIMPLE_FIRST_RE", lambda text, pos: None)
        return _tokens(text)


def _tokens(text: str) -> list:
    lex = lexer.Lexer(text)
    try:
        return list(lex.tokens())
    except lexer.DSyntaxError as e:
        return [*lex.partial, ("error", str(e))]


def test_a_simple_statement_costs_the_lexer_fewer_steps():
    # A body's ';' takes the simple statement after it (and a body its first one): its tokens made
    # from the statement's text, once a text, without a match each.  Before: 59.1 steps a token
    # of ``x = y;``, 57.4 of ``self->ts = timestamp;``; now 35.1 and 29.1.
    assert _lexer_steps("BEGIN{" + "x = y;" * 2000 + "}\n") <= 40
    assert _lexer_steps("BEGIN{" + "self->ts = timestamp;" * 2000 + "}\n") <= 34
    assert [m[0] for m in lexer._BODY_TOKEN_RE.finditer("{x=y;x = y ;self->a=1;f(x);x;x}")] == [
        "{", "x", "=", "y", ";x = y ", ";self->a=1", ";", "f", "(", "x", ")", ";x", ";", "x", "}"]


def test_a_simple_statement_has_the_tokens_of_a_scan_token_by_token(monkeypatch):
    # The statements the simple path cannot take are scanned again token by token (a number to
    # judge, a name whose token depends on the one before, an operator past MAX_OPERATORS).
    texts = [
        "BEGIN{x=y;x = y ;\n\tself->ts = timestamp;\r\n x;a.b.c = 1;p->q = ~r ? s : t;}",
        "BEGIN{ x = 1.5;}", "BEGIN{x=1;x = 1a;x = 012;x = 0x1f;x = 99999999999999999999;}",
        "BEGIN{x=1$;x=$1;x=$$1;y;x=k`y;y;}", "BEGIN{;x = struct s;x = sizeof y;x = xlate < y;}",
        "typedef int foo_t; BEGIN{x = foo_t; foo_t = foo_t->foo_t; y = self->foo_t;}",
        "BEGIN{x = foo_t;} typedef int foo_t; BEGIN{x = foo_t;}",
        "typedef int\nBEGIN{;x = y; foo = bar;}", "BEGIN{  ;x=y;   ;}", "BEGIN{x = y /* c */;y;}",
        "BEGIN{x = y}", "BEGIN{x = y;} BEGIN /x/ {x = y;}", "BEGIN{x...y;x.y;x..y;x<<=y;x-->y;}",
        "BEGIN{;" + "+".join(["x"] * (lexer.MAX_OPERATORS + 1)) + ";}",
        "BEGIN{;" + "+".join(["x"] * lexer.MAX_OPERATORS) + ";}",
        "BEGIN{" + "+".join(["x"] * (lexer.MAX_OPERATORS + 1)) + ";}",
        "BEGIN{if (x) {x=y;} else {y = x;};x = y;}",
        # more distinct simple statements than SIMPLE_MISSES (the scan stops looking for them),
        # then repeated ones
        "".join(f"BEGIN{{x{i} = y;x{i} = {i};}}\n" for i in range(lexer.SIMPLE_MISSES + 10)) + "BEGIN{x=y;x=y;x=y;}",
    ]
    for text in texts:
        assert _tokens(text) == _token_by_token(text, monkeypatch), text
    # and in parts, with their resumes
    text = "BEGIN{" + "x = y;" * 40 + "}\ntypedef int y;\nBEGIN{" + "x = y;" * 40 + "}\n"
    lex = lexer.Lexer(text)
    simple = [(list(item), lex.more, lex.resume) for item in lex.items(7)]
    with monkeypatch.context() as m:
        m.setattr(lexer, "_SIMPLE_FIRST_RE", lambda text, pos: None)
        m.setattr(lexer, "_BODY_TOKEN_RE", lexer._BODY_PLAIN_RE)
        lex = lexer.Lexer(text)
        assert simple == [(list(item), lex.more, lex.resume) for item in lex.items(7)]
    assert ("TYPE_NAME", "y", text.rindex("= y;") + 2) in _tokens(text)


def test_distinct_simple_statements_cost_the_lexer_no_more_steps_than_a_scan_token_by_token(monkeypatch):
    # Each simple statement seen once is scanned again token by token (a new scan: its tokens made
    # from its text would cost more); after SIMPLE_MISSES of them the lexer stops looking for them.
    text = "BEGIN{" + "".join(f"x{i} = y;" for i in range(5_000)) + "}\n"
    steps = _lexer_steps(text)
    with monkeypatch.context() as m:
        m.setattr(lexer, "_BODY_TOKEN_RE", lexer._BODY_PLAIN_RE)
        m.setattr(lexer, "_SIMPLE_FIRST_RE", lambda text, pos: None)
        assert steps <= 1.02 * _lexer_steps(text)


def test_a_long_body_of_short_statements_costs_parser_stack_no_step_a_statement():
    # Each statement's offsets were compared in Python (about 40 steps a statement of a body of
    # 750,000 ``x = y;``); a body whose statements are all short is told in C loops, only its last
    # statement walked.  The findings stay (tests/test_reading_work.py, test_check_parser_stack.py).
    from dtracepy.checks import CheckOptions, check_program, parser_stack

    text = "BEGIN\n{\n" + "x = y;\n" * 20_000 + "}\n"
    program = parser.parse(text, "d.d")
    steps = _opcodes(lambda: check_program(program, CheckOptions(), source=text), parser_stack.__file__)
    assert steps < 3_000


def test_an_assignment_to_a_name_costs_the_rules_no_call_to_find_its_root():
    # refusals asked _root() of every assignment's target and aggregation-value _agg_of(): a call
    # each, for a target that is a plain name (its own root, no aggregation).
    from dtracepy.checks import CheckOptions, check_program, rules

    text = "BEGIN\n{\n" + "x = y;\n" * 2_000 + "@a[x] = count(); z[1] = 2; @b = sum(1);\n}\n"
    program = parser.parse(text, "d.d")
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event == "call" and frame.f_code in (rules._root.__code__, rules._agg_of.__code__):
            calls += 1

    sys.setprofile(profile)
    try:
        findings = check_program(program, CheckOptions(), source=text)
    finally:
        sys.setprofile(None)
    assert calls <= 10
    assert not [f for f in findings if f.check in ("aggregation-value", "assigned-read-only")]
