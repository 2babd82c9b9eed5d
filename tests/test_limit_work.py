"""The work ``check`` and ``import`` do at the 4 MiB limit with a finding on every clause (session
17, issue 8: any input under 4 MiB answered in 5 s).  ``one_line_entries(85_000)`` (each clause
sets its own thread-local: 170,000 findings) and ``distinct_pairs(34_000)`` (each pair reads its
thread-local where it may be unset: 34,000) are the inputs; every clause is distinct, so nothing
of the lexer's or the parser's memory of repeated clauses applies.  Counted (Python lines run,
calls), never timed; the findings stay what they were (compared over the corpus by hand, see
docs/PERFORMANCE.md, and by the check tests).
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter

import pytest

from dtracepy import errors, lexer
from dtracepy import tree as t
from dtracepy.checks import CheckOptions, check_program, context, parser_stack
from dtracepy.errors import clipped
from dtracepy.lexer import Lexer
from dtracepy.parser import parse


def one_line_entries(n: int) -> str:
    return "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(n))


def distinct_pairs(n: int) -> str:
    return "".join(f"syscall::f{i}:entry\n{{\n\tself->t{i} = timestamp;\n}}\n"
                   f"syscall::f{i}:return\n{{\n\ttrace(self->t{i});\n\tself->t{i} = 0;\n}}\n" for i in range(n))


def _lines_run(fn, *args):
    """(fn's result, the Python lines run during the call, by file and function)."""
    counts: Counter = Counter()

    def tracer(frame, event, arg):
        code = frame.f_code
        key = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"

        def lines(frame, event, arg):
            if event == "line":
                counts[key] += 1
            return lines
        return lines

    sys.settrace(tracer)
    try:
        result = fn(*args)
    finally:
        sys.settrace(None)
    return result, counts


@pytest.mark.parametrize("make, clauses, findings, most", [
    (one_line_entries, 600, 1200, 360),   # main c0f7d5d: 436 lines a clause; now 319
    (distinct_pairs, 300, 300, 820),      # main c0f7d5d: 933 lines a pair; now 738
])
def test_the_checks_of_a_clause_with_its_own_thread_local_run_few_lines(make, clauses, findings, most):
    text = make(clauses)
    program = parse(text, "x.d")
    found, counts = _lines_run(check_program, program, CheckOptions(), text)
    assert len(found) == findings
    per_clause = sum(counts.values()) / clauses
    assert per_clause <= most, (per_clause, counts.most_common(12))


def test_a_thread_local_written_under_few_descriptions_gets_no_description_index(monkeypatch):
    # read-unset asked whether an earlier clause sets the thread-local through an index of the
    # descriptions of the clauses that set it, made for every name: two descriptions each
    added = 0
    original = context.DescIndex.add

    def counting(self, text, value):
        nonlocal added
        added += 1
        return original(self, text, value)

    monkeypatch.setattr(context.DescIndex, "add", counting)
    text = distinct_pairs(200)
    found = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert sum(f.check == "self-read-unset" for f in found) == 200
    assert added == 0


def test_earlier_writes_answers_as_its_index_does():
    # a name set under more descriptions than _FEW_WRITES gets the index; fewer are tried one by
    # one: the same answers, for descriptions that match and do not, globs both ways, odd ones
    descs = ["syscall::read:entry", "syscall::read*:entry", "syscall:::entry", "syscall::read:return",
             "fbt::f:entry", "fbt:m:f:entry", "BEGIN", "a:b:c:d:e", ":::", "syscall::re[a-z]d:entry",
             "sys*::read:entry", "profile-97", "fbt::*:return"]
    rng = random.Random(17)
    for trial in range(300):
        clauses = [" , ".join(rng.sample(descs, rng.randint(1, 3))) + " { " +
                   ("self->x = 1; " if rng.random() < 0.5 else "trace(self->x); ") + "}\n"
                   for _ in range(rng.randint(1, 12))]
        program = parse("".join(clauses), "x.d")
        ctx = context.Context(program, CheckOptions())
        per_clause = ctx.clause_accesses(t.SelfVar)
        earlier = context.EarlierWrites(ctx.clauses, per_clause)
        reference = context.DescIndex()
        for index, (clause, acc) in enumerate(zip(ctx.clauses, per_clause)):
            if any(a.kind != "read" for a in acc):
                for d in clause.probes:
                    reference.add(d.text, index)
        for index in range(len(ctx.clauses) + 1):
            for desc in descs:
                expected = any(j < index for j in reference.matching(desc))
                assert earlier.before(index, "x", desc) == expected, (clauses, index, desc)


def test_rendering_a_message_of_words_searches_no_long_word(monkeypatch):
    # clipped() ran its regular expression over every message longer than MAX_WORD (all of
    # them): half of rendering a finding
    class Counting:
        n = 0

        def sub(self, *args):
            Counting.n += 1
            return _LONG.sub(*args)

    _LONG = re.compile(r"[A-Za-z0-9_$`]{%d,}" % (errors.MAX_WORD + 1))
    monkeypatch.setattr(errors, "_LONG_WORD", Counting())
    text = one_line_entries(300)
    found = check_program(parse(text, "x.d"), CheckOptions(), text)
    assert all(len(f.message) > errors.MAX_WORD for f in found if f.check == "self-leak")
    rendered = [f.render() for f in found]
    assert Counting.n == 0
    assert rendered[0] == ("x.d:1:19: warning: self->t0 is assigned at syscall::f0:entry but never zeroed, "
                           "so it leaks dynamic-variable space on every firing; zero it at "
                           "syscall::f0:return [self-leak]")


def test_clipped_is_what_its_regular_expression_says():
    long_word = re.compile(r"[A-Za-z0-9_$`]{%d,}" % (errors.MAX_WORD + 1))

    def expected(message):
        if len(message) <= errors.MAX_WORD:
            return message
        return long_word.sub(lambda m: f"{m[0][:40]}... ({len(m[0]):,} characters)", message)

    rng = random.Random(3)
    alphabet = "ab_$`.:-\t\n\u00a0 "
    clipped_some = 0
    for _ in range(20_000):
        message = "".join(rng.choice(alphabet if rng.random() < 0.5 else "aaaaaaaa ")
                          for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.4:
            at = rng.randint(0, len(message))
            message = message[:at] + "x" * rng.randint(78, 84) + message[at:]
        assert clipped(message) == expected(message), repr(message)
        clipped_some += clipped(message) != message
    assert clipped_some > 1000
    for width in (79, 80, 81, 82):
        for message in ("x" * width, " " + "x" * width, "x" * width + " ", "a " * 50 + "x" * width):
            assert clipped(message) == expected(message)


def test_parser_stack_measures_clauses_without_a_line_and_column_each(monkeypatch):
    asked = 0
    original = parser_stack.line_and_column

    def counting(*args):
        nonlocal asked
        asked += 1
        return original(*args)

    monkeypatch.setattr(parser_stack, "line_and_column", counting)
    text = one_line_entries(400)
    check_program(parse(text, "x.d"), CheckOptions(), text)
    assert asked == 0
    # a text whose lines are not the file's (preprocessed, say): measured as before, a line each
    program = parse(text, "x.d")
    check_program(program, CheckOptions(), text.replace("\n", " \n"))
    assert asked == 400


def _tokens(text: str, chunk=None):
    lex = Lexer(text, "x.d")
    out = []
    try:
        for item in lex.items(chunk):
            out.append((list(item), lex.more, lex.resume))
    except errors.DSyntaxError as err:
        out.append(("error", str(err)))
    return out, [repr(node) for node in lex.toplevel]


_HEADS = [
    "syscall::f{i}:entry{{self->t{i} = timestamp;}}\n", "syscall::f{i}:entry {{ trace(self->t{i}); }}\n",
    "syscall::f{i}:entry\n{{\n\tself->t{i} = 0;\n}}\n", "int:x:y:z{{ trace(1); }}\n", "self:x:y{{ trace(1); }}\n",
    "fbt:mod`x:f:entry{{ trace(1); }}\n", "a`b:c:d:e{{ trace(1); }}\n", "pid$target:libc.so.1:mal*:entry{{ x = 1; }}\n",
    "syscall::f{i}:entry /* c */ {{ x = 1; }}\n", "syscall::f{i}:entry, syscall::g{i}:entry {{ x = 1; }}\n",
    "syscall::f{i}:entry /pid == {i}/ {{ x = 1; }}\n", "syscall::f(x):entry{{ x = 1; }}\n",
    "syscall::f{i}:entry\n#pragma D option quiet\n{{ x = 1; }}\n", "typedef int foo{i}_t;\n",
    "foo_t:a:b{{ x = (foo_t)1; }}\n", "typedef int\n", "uint8_t:a:b{{ x = 1; }}\n", "BEGIN{{ x{i} = 1; }}\n",
    "x:y:z:w{{}}\n", "syscall::f{i}:entry\t\r\n\v\f{{ x = \"}}\"; }}\n", "/* c */ syscall::f{i}:entry{{ x = 1; }}\n",
    "inline int q{i} = 3;\n", "syscall:::{{ x = 1; }}\n", "syscall::f{i}:entry{{", "syscall::f{i}:entry{{ x = 1; }}}}\n",
    "syscall::f{i}:entry{{ x = 08; }}\n", "#pragma D option quiet\n", "syscall::f{i}:entry{{ ;;; x = 1;;; }}\n",
]


def test_a_clause_head_read_in_one_match_gives_the_tokens_of_the_state_machine(monkeypatch):
    # past REST_MISSES first sightings the lexer reads `provider:...{` in one match: the same
    # tokens, parts, resumes, top-level nodes and errors as the state machine (which it reads
    # with the lookups never given up, so that it never takes the short cut)
    rng = random.Random(5)
    prefix = one_line_entries(lexer.REST_MISSES)
    shortcut = 0
    for trial in range(120):
        text = prefix + "".join(rng.choice(_HEADS).format(i=rng.randint(0, 99999)) for _ in range(rng.randint(1, 25)))
        if rng.random() < 0.5:
            text += prefix
        for chunk in (None, 5, 4096):
            fast = _tokens(text, chunk)
            monkeypatch.setattr(lexer, "REST_MISSES", 10**9)
            slow = _tokens(text, chunk)
            monkeypatch.undo()
            assert fast == slow, (text[-600:], chunk)
        shortcut += 1
    assert shortcut == 120


def test_a_distinct_clause_past_the_lookups_takes_few_lexer_lines():
    # (main c0f7d5d: 180 lines a clause of one_line_entries; the head in one match: 150)
    text = one_line_entries(3000)
    lex = Lexer(text, "x.d")
    _, counts = _lines_run(lambda: sum(1 for _ in lex.items(4096)))
    assert counts["lexer.py:_lex"] / 3000 <= 155, counts
