"""Helper cpp28 (issue 8): ``check -C`` of a name spliced over 1.4 million lines (4 MB of ``a\\``
and a newline) took 11.5 CPU s and 937 MB: pcpp made a token of each piece of the one logical
line and of each splice, 2.8 million tokens.  The reduction (``preprocess._reduced``) now gives
pcpp such a line as one placeholder standing for the line joined, which is what pcpp wrote for it
(each splice follows a token, so its ``write()`` deletes it and nothing else; the line's tokens
are copied, since none is a macro's name nor in a macro's arguments): 0.75 CPU s and 238 MB.  The
line is written at its first line, and the line after it at its own number (a line marker, or
blank lines), as pcpp wrote them (and gcc -E: ``aaa;`` at line 2, ``z;`` after it at its own).

What comes out must be what pcpp made of the whole text, for any text: the same text and line
map, or the same located error, and the same ``#warning``s (the whole text is the path before
this change, which the reduction did not touch then: every line of a spliced line was pcpp's).
The first two tests fail on the code before it (2c2c3db): pcpp was given every piece."""

from __future__ import annotations

import random
import subprocess

import pytest

from tests.child_peak import dtracepy_argv, read_peak_kb
from tests.pythonpath import env_with

from conftest import REPO
from cpp_results import cpp_results
from dtracepy import preprocess as pp
from dtracepy.errors import DTracePyError


def _spliced_name(count: int, piece: str = "a\\\n") -> str:
    """benchmarks/bench_robust.py's check-cpp-lines case, with ``count`` lines of ``a\\``."""
    return "BEGIN { x = 1; }\n" + piece * count + ";/* __ */\n"


def _made(monkeypatch, text, reduce, defines=(), dirs=()):
    monkeypatch.setattr(pp, "REDUCE_FROM", 0 if reduce else 1 << 62)
    warnings: list = []
    try:
        out, line_map = pp.preprocess(text, "x.d", include_dirs=dirs, defines=defines, warnings=warnings,
                                      in_place=True)
        made = ("text", out, list(line_map), pp.same_lines(line_map, "x.d"))
    except DTracePyError as err:
        made = ("error", err.render())
    return made, [(str(pos), message) for pos, message in warnings]


def test_pcpp_is_given_a_line_spliced_over_lines_as_one_placeholder(monkeypatch, pcpp_given):
    text = _spliced_name(20_000)
    made = _made(monkeypatch, text, True)
    assert len(pcpp_given) == 1 and len(pcpp_given[0]) < 200, len(pcpp_given[0])  # (was 60 KB)
    out = made[0][1].split("\n")
    assert out[1] == "a" * 20_000 + ";/* __ */" and out[2:] == [""]  # (at its first line)
    assert made == _made(monkeypatch, text, False)


@pytest.mark.parametrize("piece, count", [("a\\\n", 350_000), ("a \\\n", 260_000), ("a\\\n\\\n", 210_000)])
def test_check_cpp_of_a_name_spliced_over_lines_is_small(tmp_path, piece, count):
    """The child's own peak (tests/child_peak.py) over 1 MB of ``a\\`` lines: 247 MB before
    (pcpp's 700,000 tokens), 72 MB now; of ``a \\`` lines (a blank before each splice, which pcpp
    cuts with it), 264 and 63 MB; of ``a\\`` and ``\\`` lines (a splice after a splice, which pcpp
    keeps as a blank), 223 and 60 MB.  A located error (the name is no clause)."""
    (tmp_path / "x.d").write_text(_spliced_name(count, piece))
    peak = tmp_path / "peak"
    proc = subprocess.run(dtracepy_argv(peak, "check", "-C", "x.d"), cwd=tmp_path, env=env_with(REPO),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and proc.stderr.startswith("x.d:2:") and ": error: " in proc.stderr.split("\n")[0] \
        and "Traceback" not in proc.stderr, proc.stderr[:500]  # (x.d:2:1: expected a predicate..., x.d:2:5: syntax error)
    assert read_peak_kb(peak) < 120 * 1024, read_peak_kb(peak)


# --- the same as pcpp made of the whole text ------------------------------------------------------

#: Lines to splice: D, directives, macros and what they take, strings, comments, _Pragma,
#: __LINE__, trigraphs, the digraph, characters pcpp's lexer has no token for.
_LINES = [
    "x = abc + def;", "trace(arg0);", 'printf("%d\\n", pid);', "/* c */ y = 2;", "y = 2; /* c */",
    "@a[execname] = count();", "BEGIN", "{", "}", "syscall::read:entry", "/pid == $target/", "x = `k + $1;",
    "// a line comment", "/* only a comment */", "/* c */ /* d */", "/* open", "close */ z = 1;",
    "#define N 1", "#define F(x) ((x) + N)", "#define AB 7", "#define G F", "#define E", "#undef N",
    "#if N", "#if 0", "#ifdef AB", "#else", "#endif", "#pragma D option quiet", "/**/#pragma D option x",
    "#warning look", "#line 40", "#error stop", '#include "nothere.h"', "#include <sys/vnode.h>",
    "z = F(2);", "z = F(", "3)", "w = G", "(4);", "u = AB + N;", "v = __LINE__;", "c = __COUNTER__;",
    's = "a string";', "q = 'x';", 'r = "a\\', 'b";', "n = '??/", "m = 1 ??! 2;", "??=define M 2", "k = M;",
    '_Pragma("D option quiet")', "x = _Pragma(1);", "%:define K 3", "y = K;", "é = 1;", "x\x01y",
    "1uN", "xN", "a = (b", "+ c)", "", "   ", "\t", "aaaa", "a", ";",
]

#: What splices a line: a plain one, blanks after the backslash (still a splice to pcpp and cpp),
#: a trigraph's ??/, two in a row, blanks before or after it.
_SPLICES = ["\\\n", "\\\n", "\\\n", "\\ \n", "\\\t \n", "??/\n", "\\\n\\\n", " \\\n", "\\\n ", " \\\n\t",
            "\\\n \\\n", "\t\\\n\\\n  ", " \\\n \\\n \\\n "]


def _spliced(rng: random.Random, line: str) -> str:
    """``line`` with splices put in at random places (in a name, a string, a comment, a directive)."""
    cuts = sorted(rng.randrange(len(line) + 1) for _ in range(rng.choice([1, 1, 2, 3, 6])))
    pieces, at = [], 0
    for cut in cuts:
        pieces += [line[at:cut], rng.choice(_SPLICES)]
        at = cut
    return "".join(pieces) + line[at:]


def _text(rng: random.Random) -> str:
    lines: list[str] = []
    for _ in range(rng.randrange(1, 20)):
        pick = rng.random()
        if pick < 0.15:
            lines += [""] * rng.randrange(1, 10)
        elif pick < 0.25:  # a name spliced over lines (benchmarks' check-cpp-lines)
            piece = rng.choice(["a\\\n", "a \\\n", "a\\\n\\\n", "\\\n a", " a \\\n "])
            lines.append(rng.choice(["", "x = ", "  "]) + piece * rng.randrange(1, 12) + rng.choice(["", ";", "b;"]))
        else:
            line = rng.choice(_LINES)
            lines.append(_spliced(rng, line) if rng.random() < 0.6 else line)
    return "\n".join(lines) + rng.choice(["\n", "", "\\\n", "\n\n", "a\\\n"])


def test_a_spliced_line_joined_gives_what_the_whole_gives_on_generated_texts(monkeypatch, tmp_path):
    (tmp_path / "h.h").write_text("#define HM 5\n#define HF(x) (x)\n")
    rng = random.Random(28)
    joined = 0
    reduce = pp._reduced

    def spied(*args):
        nonlocal joined
        made = reduce(*args)
        joined += made is not None and any(text not in made.whole for text in made.runs.values())
        return made

    monkeypatch.setattr(pp, "_reduced", spied)
    for _ in range(1_000):
        text = _text(rng)
        if rng.random() < 0.2:
            text = '#include "h.h"\n' + text
        defines = rng.choice([(), ("N=3",), ("AB=2",), ("F(x)=x",), ("a=b",)])
        assert _made(monkeypatch, text, True, defines, [str(tmp_path)]) == \
            _made(monkeypatch, text, False, defines, [str(tmp_path)]), text
    assert joined > 300, joined  # (the texts where a spliced line was joined: 511 when written)


def test_a_macros_name_before_a_splice_takes_the_arguments_after_it(monkeypatch):
    """The reduction read a line ending in a name and a splice as ending in no name: pcpp took
    ``(`` on a later line as the macro's arguments and the lines after it, which were left in a
    placeholder (``z = F(\n\n+ c)`` against pcpp's ``z = + c``); found by the generated texts."""
    for text in ["z = F\\\n(\n\n+ c)\nx;\n", "#define F(x) x\nz = F \\\n\\\n  (\n1,\n2)\ny;\n"]:
        for defines in ((), ("F(x)=x",)):
            assert _made(monkeypatch, text, True, defines) == _made(monkeypatch, text, False, defines), text


def test_findings_of_spliced_lines_are_where_they_were(monkeypatch):
    """What check -C finds in D with spliced lines, and where: the same with the lines joined."""
    rng = random.Random(2028)
    clause = "syscall::read:entry\n/pid == $target/\n{\n\tself->ts = timestamp;\n\ttrace(arg0);\n}\n"
    for _ in range(120):
        lines = [_spliced(rng, line) if rng.random() < 0.3 else line for line in clause.split("\n")]
        text = "\n".join(lines) + rng.choice(["", "BEGIN { x = 1 +; }\n", "BEGIN { y = z\\\nz; }\n",
                                              "#define N 1\nBEGIN { trace(N); x\\\n = 1; }\n"])
        data = text.encode()
        monkeypatch.setattr(pp, "REDUCE_FROM", 0)
        joined = cpp_results(data, "x.d")
        monkeypatch.setattr(pp, "REDUCE_FROM", 1 << 62)
        assert cpp_results(data, "x.d") == joined, text


def test_every_short_stretch_of_blanks_and_splices_is_written_as_pcpp_writes_it(monkeypatch, pcpp_given):
    """Each stretch of up to four pieces (a blank, two blanks, a splice) holding a splice, between
    two names, at a line's start and at its end: joined, and what pcpp made of the whole text."""
    import itertools

    count = 0
    for size in range(1, 5):
        for pieces in itertools.product([" ", " \t", "\\\n"], repeat=size):
            if "\\\n" not in pieces:
                continue
            gap = "".join(pieces)
            for line in ("a" + gap + "b;", gap + "b;", "a" + gap):
                text = "x;\n" + line + "\n\n" + "z;\n"
                del pcpp_given[:]
                made = _made(monkeypatch, text, True)
                assert "\\" not in pcpp_given[0], (text, pcpp_given[0])  # (joined)
                assert made == _made(monkeypatch, text, False), text
                count += 1
    assert count == 3 * (3 + 9 + 27 + 81 - (2 + 4 + 8 + 16))


@pytest.mark.parametrize("text, where", [
    ("#define X \\\n" + "a\\\n" * 1_001 + "\nBEGIN { x = 1; }\n", "x.d:1001:2"),  # a #define's
    ("#define N 1\nBEGIN {\n" + "N \\\n" * 1_001 + "; }\n", "x.d:1003:3"),  # a macro's name on each line
    ("#define N 1\nBEGIN {\n" + "x = N ??/\n" * 1_001 + "; }\n", "x.d:1003:7"),  # a trigraph's (at its ??/)
])
def test_more_splices_than_pcpp_may_read_are_a_located_error(monkeypatch, text, where):
    """pcpp made two tokens of each line spliced: a ``#define`` spliced over 1.4 million lines
    took 17 s and 1.5 GB, one with a macro's name on each 27 s and 1.3 GB; past
    ``MAX_SPLICES`` (100,000; here 1,000) it stops at the splice, saying why."""
    monkeypatch.setattr(pp, "MAX_SPLICES", 1_000)
    for reduce in (True, False):
        made, _ = _made(monkeypatch, text, reduce)
        assert made[0] == "error" and made[1].startswith(
            f"{where}: error: more than 1,000 lines spliced (a \\ at a line's end) for the C preprocessor to read"), made


def test_a_spliced_line_pcpp_does_not_read_is_not_counted(monkeypatch):
    monkeypatch.setattr(pp, "MAX_SPLICES", 1_000)
    made, _ = _made(monkeypatch, _spliced_name(5_000, "a \\\n") + "#define N 1\nBEGIN { trace(N); }\n", True)
    assert made[0] == "text" and "trace(1)" in made[1]
