"""``parser-stack`` (review 9, finding 5): an expression nested deeper than dtrace's bison stack
holds ("memory exhausted").  Each case stands at the last length dtrace 2.0 accepts (found by
bisection against it) and one more: check passes the first and flags the second, at the line of
the chain's innermost operand, and the real dtrace judges both the same way."""

from __future__ import annotations

import pytest

from dtracepy.checks import check_program, parser_stack
from dtracepy.parser import parse

NOT = "!"


def _chain(n):
    return "".join(f"x{i} = " for i in range(n))


# name -> (script of n, the largest n dtrace 2.0 accepts)
CASES = {
    "prefix operators": (lambda n: "BEGIN\n{\n\tx = " + NOT * n + "1;\n}\n", 9992),
    "minus signs": (lambda n: "BEGIN\n{\n\tx = " + "- " * n + "1;\n}\n", 9992),
    "in a predicate": (lambda n: "BEGIN\n/" + NOT * n + "1/\n{\n}\n", 9994),
    "an expression statement": (lambda n: "BEGIN\n{\n\ttrace(" + NOT * n + "1);\n}\n", 9992),
    "casts": (lambda n: "BEGIN\n{\n\tx = " + "(int)" * n + "1;\n}\n", 3330),
    "assignments": (lambda n: "BEGIN\n{\n\t" + _chain(n) + "1;\n}\n", 4997),
    "conditionals, second statement": (lambda n: "BEGIN\n{\n\ty = 1;\n\tx = " + "y ? 1 : " * n + "2;\n}\n", 2497),
    "second statement": (lambda n: "BEGIN\n{\n\ty = 1;\n\tx = " + NOT * n + "1;\n}\n", 9990),
    "second clause": (lambda n: "BEGIN\n{\n}\n\nBEGIN\n{\n\tx = " + NOT * n + "1;\n}\n", 9991),
    "after a declaration": (lambda n: "int y;\n\nBEGIN\n{\n\tx = " + NOT * n + "1;\n}\n", 9991),
    "right of a binary operator": (lambda n: "BEGIN\n{\n\tx = 1 + " + NOT * n + "1;\n}\n", 9990),
    "a later argument": (lambda n: 'BEGIN\n{\n\tprintf("%d %d", 1, ' + NOT * n + "1);\n}\n", 9990),
    "an index": (lambda n: "BEGIN\n{\n\tx[" + NOT * n + "1] = 1;\n}\n", 9992),
}


def _stack_findings(text):
    return [f for f in check_program(parse(text, "s.d"), source=text) if f.check == "parser-stack"]


@pytest.mark.parametrize("name", CASES)
def test_check_flags_one_past_the_deepest_chain_dtrace_accepts(name):
    make, largest = CASES[name]
    assert _stack_findings(make(largest)) == []
    found = _stack_findings(make(largest + 1))
    assert len(found) == 1 and found[0].severity == "error", found
    assert "memory exhausted" in found[0].message
    text = make(largest + 1)
    assert found[0].pos.line == text.count("\n") - 1 - (name == "in a predicate") * 1, found[0].pos


def test_the_real_dtrace_stops_where_check_does():
    from real_dtrace import judge_scripts

    jobs = {}
    for name, (make, largest) in CASES.items():
        jobs[f"{name}/ok"] = {"text": make(largest)}
        jobs[f"{name}/over"] = {"text": make(largest + 1)}
    verdicts = judge_scripts(jobs)
    for name in CASES:
        assert verdicts[f"{name}/ok"] is None, (name, verdicts[f"{name}/ok"])
        assert "memory exhausted" in (verdicts[f"{name}/over"] or ""), (name, verdicts[f"{name}/over"])


def test_redundant_parentheses_are_not_counted_so_what_is_flagged_dtrace_refuses():
    # 100 parentheses around 9,892 '!': dtrace's limit (each '(' is a state); the tree has no
    # parentheses, so check counts 9,895 and passes it: a lower bound, never a false error
    text = "BEGIN\n{\n\tx = " + "(" * 100 + NOT * 9893 + "1" + ")" * 100 + ";\n}\n"
    assert _stack_findings(text) == []


def test_the_message_is_located_at_the_chain_from_the_command_line(tmp_path, capsys):
    from dtracepy.cli import main

    path = tmp_path / "deep.d"
    path.write_text("BEGIN\n{\n\ttrace(1);\n\tx = " + "- " * 10000 + "1;\n}\n")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4:" in err and "[parser-stack]" in err and "Traceback" not in err


@pytest.mark.parametrize("times, refused", [(9990, False), (10000, True)])
def test_compile_refuses_a_tracer_whose_d_dtraces_parser_cannot_hold(tmp_path, capsys, times, refused):
    from dtracepy.cli import main

    path = tmp_path / "deep.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n    v = arg0\n"
                    f"    for _ in range({times}):\n        v = ~v\n    trace(v)\n")
    status = main(["compile", str(path), "-o", str(tmp_path / "deep.d")])
    err = capsys.readouterr().err
    if refused:
        assert status == 1 and f"{path}:8: error: this expression nests" in err and "[parser-stack]" in err, err
        assert not (tmp_path / "deep.d").exists()
    else:
        assert status == 0, err


def test_a_thousand_chained_else_ifs_are_walked_without_recursion():
    text = ("BEGIN\n{\n\tif (arg0 == 0) { trace(0); }\n"
            + "".join(f"\telse if (arg0 == {i}) {{ trace({i}); }}\n" for i in range(1, 1000))
            + "\telse { x = " + NOT * 9990 + "1; }\n}\n")
    found = _stack_findings(text)
    assert len(found) == 1 and found[0].pos.line == 1003, found


def test_compile_measures_a_shared_value_once(tmp_path, capsys):
    """The DSL shares subtrees: arg0 given 7,999 times, x = x + x doubling; each is walked once
    (a KeyError, then, for the shared argument)."""
    from dtracepy.cli import main

    path = tmp_path / "shared.py"
    path.write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef b():\n    x = arg0\n"
                    "    for _ in range(16):\n        x = x + x\n    trace(x)\n"
                    "    printf('%d' * 7999, *([arg0] * 7999))\n")
    assert main(["compile", str(path), "-o", str(tmp_path / "shared.d")]) == 0, capsys.readouterr().err


def _pairs_tracer(tmp_path, pairs, deep=0):
    path = tmp_path / "pairs.py"
    path.write_text("from dtracepy import *\nt = Tracer(options={'quiet': True})\n"
                    f"for i in range({pairs}):\n"
                    "    @t.probe(f'syscall::f{i}:entry')\n    def _():\n        self.ts = timestamp\n"
                    "    @t.probe(f'syscall::f{i}:return', when=self.ts)\n    def _():\n        trace(timestamp - self.ts)\n"
                    "@t.probe('END')\ndef e():\n    v = arg0\n"
                    f"    for _ in range({deep}):\n        v = ~v\n    trace(v)\n")
    return path


@pytest.mark.parametrize("deep, walked", [(0, 0), (10000, 1)])
def test_compile_walks_only_the_clauses_long_enough_to_reach_the_limit(tmp_path, capsys, monkeypatch, deep, walked):
    """compile judges the D it prints as check judges a D file: a clause whose D is shorter than
    the shortest chain dtrace refuses is not walked (every clause of 20,000 pairs was: a tenth
    of compiling them); the one long clause still is, and refused at the tracer's line."""
    from dtracepy.checks import parser_stack
    from dtracepy.cli import main

    roots = []
    real = parser_stack._deepest
    monkeypatch.setattr(parser_stack, "_deepest", lambda expr, *rest: roots.append(expr) or real(expr, *rest))
    path = _pairs_tracer(tmp_path, 300, deep)
    status = main(["compile", str(path), "-o", str(tmp_path / "pairs.d")])
    err = capsys.readouterr().err
    if deep:
        assert status == 1 and f"{path}:14: error: this expression nests" in err, err
    else:
        assert status == 0, err
    assert len(roots) == walked, len(roots)


def test_the_printed_items_spans_are_those_check_measures_in_the_printed_text():
    """to_d's offsets of the items give parser_stack the spans check finds in the same D's lines
    (line items together, clauses and declarations apart, a pragma between clauses)."""
    from dtracepy.checks.context import Context
    from dtracepy.checks import CheckOptions
    from dtracepy.printer import to_d

    text = ("#pragma D option quiet\n#pragma D option bufsize=8m\n\nint y;\n\nBEGIN\n{\n\tx = 1;\n}\n\n"
            "#pragma D option switchrate=10hz\nsyscall::read:entry\n/arg0/\n{\n\tself->t = "
            + NOT * 300 + "1;\n}\n\ninline int z = 3;\n\nEND\n{\n\ttrace(x);\n}\n")
    program = parse(text, "s.d")
    starts: list = []
    printed = to_d(program, starts)
    assert len(starts) == len(program.items)
    for item, start in zip(program.items, starts):
        assert printed[start:].startswith(to_d(item)), (item, start)
    again = parse(printed, "p.d")
    ctx = Context(again, CheckOptions(), printed.split("\n")[:-1])
    items = [item for item in again.items if isinstance(item, parser_stack._GRAMMAR_ITEMS)]
    from dtracepy.checks import parser_stack as ps

    assert ps._printed_spans(program.items, [i for i in program.items if isinstance(i, ps._GRAMMAR_ITEMS)],
                             starts, len(printed)) == ps._spans(items, ctx.lines, "p.d")
