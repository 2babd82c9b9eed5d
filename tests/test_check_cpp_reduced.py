"""``check -C`` of a large text that needs the preprocessor (session 10, issue 8).

One ``#define`` sent the whole text through pcpp, about 5 s a MiB of dense D.  pcpp is now given
only the lines it could do something with, each run of the others as one placeholder line
(``dtracepy.preprocess._reduced``), which comes back as the lines it stands for.  What comes out
must be what pcpp made of the whole text: the same text and line map, or the same located error,
and the same ``#warning``s.  Each comparison runs :func:`preprocess` with the reduction from the
first byte (``REDUCE_FROM = 0``) and without it.

Also here: ``$``, ``@`` and `````` (D's characters that C has not) cost pcpp's lexer no copying
(they were refused as "stray" in 1 MiB of dense D with a ``#define``); the output keeps each line
at its number when it can (``in_place``: the parser then needs no line map); the scans that find
what pcpp must read skip the rest at C speed.
"""

from __future__ import annotations

import glob
import os
import random

import pytest

from dtracepy import parser
from dtracepy import preprocess as pp
from dtracepy.cli import main
from dtracepy.errors import DTracePyError

from cpp_results import cpp_results

# (benchmarks/bench_robust.py's dense D)
CLAUSE = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;\n'
          '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')
_PREPROCESS = pp.preprocess
CORPUS = os.environ.get("DTRACEPY_CORPUS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")


def _preprocessed(monkeypatch, text, reduce, defines=(), dirs=()):
    monkeypatch.setattr(pp, "REDUCE_FROM", 0 if reduce else 1 << 62)
    warnings: list = []
    try:
        out, line_map = pp.preprocess(text, "x.d", include_dirs=dirs, defines=defines, warnings=warnings)
        made = ("text", out, list(line_map))
    except DTracePyError as err:
        made = ("error", err.render())
    return made, [(str(pos), message) for pos, message in warnings]


def _same(monkeypatch, text, defines=(), dirs=()):
    """What the reduced text gives, which must be what the whole text gives."""
    reduced = _preprocessed(monkeypatch, text, True, defines, dirs)
    assert reduced == _preprocessed(monkeypatch, text, False, defines, dirs), text
    return reduced


def test_pcpp_is_given_only_the_lines_it_could_change(tmp_path, capsys, monkeypatch, pcpp_given):
    given = pcpp_given
    text = "#define N 1\n" + CLAUSE * 2_000 + "BEGIN\n{\n\ttrace(N);\n}\n" + CLAUSE * 2_000  # (700 KB)
    (tmp_path / "x.d").write_text(text)
    assert main(["check", "-C", str(tmp_path / "x.d")]) == 0, capsys.readouterr().err
    assert len(given) == 1 and len(given[0]) < 300, given[0][:1000]  # (the #define, the lines about trace(N))
    assert "trace(N)" in given[0] and CLAUSE not in given[0]
    # what it gave back is what pcpp made of the whole text
    warnings = capsys.readouterr().err
    monkeypatch.setattr(pp, "REDUCE_FROM", 1 << 62)
    # (the whole text, the path before the reduction, is more tokens than a run may make since
    # cppmacro28: preprocess.MAX_CPP_TOKENS, lifted for this reference run)
    monkeypatch.setattr(pp, "MAX_CPP_TOKENS", 1 << 40)
    assert main(["check", "-C", str(tmp_path / "x.d")]) == 0
    assert capsys.readouterr().err == warnings
    assert len(given) == 2 and given[1] == text


def test_the_reduced_text_gives_what_the_whole_gives_on_the_corpus(monkeypatch):
    files = sorted(glob.glob(os.path.join(CORPUS, "**", "*.d"), recursive=True))
    if not files:
        pytest.skip("no corpus")
    texts, reduced = [], 0
    for path in files:
        data = open(path, "rb").read()
        text = data.decode("utf-8", "surrogateescape")
        text = text[1:] if text.startswith("\ufeff") else text
        if "\0" not in text and pp._plain(text) is None:
            texts.append((path, data))
            reduced += pp._reduced(pp._prepared(text, path)[0], pp._known_names(())) is not None
    assert len(texts) > 2_000 and reduced > 2_000, (len(texts), reduced)  # (2,313 and 2,311 on 2026-12-01)
    for path, data in texts:
        _same(monkeypatch, data.decode("utf-8", "surrogateescape").removeprefix("\ufeff"))
    monkeypatch.setattr(pp, "REDUCE_FROM", 0)
    fast = [cpp_results(data, path) for path, data in texts[::4]]
    monkeypatch.setattr(pp, "REDUCE_FROM", 1 << 62)
    assert [cpp_results(data, path) for path, data in texts[::4]] == fast


BODY = "x = y + z;\ntrace(arg0);\n@a[execname] = count();\n"
CRAFTED = [
    # a macro's arguments across lines, its ( on a later line, through another name, after comments
    "#define F(x, y) ((x) + (y))\n" + BODY + "a = F(1,\n2 + (3),\n4);\n" + BODY,
    "#define F(x) [x]\n#define G F\n" + BODY + "a = G\n\n/* c */\n(5);\n" + BODY + "b = G;\n(6);\n" + BODY,
    "#define F(x) [x]\n#define ID(x) x\n" + BODY + "a = ID(F)(7,\n8);\n" + BODY,
    "#define F(x, y) x\n" + BODY + 'a = F(")",\n9);\n' + BODY + "b = F(')', /* ) */\n10);\n" + BODY,
    # a replacement whose parentheses do not nest opens arguments that run on: the whole text
    "#define F(x, y) [x y]\n#define OPEN F(\n" + BODY + "OPEN 1,\n2)\n" + BODY,
    # lines pcpp drops, in #if 0 or a comment; __LINE__ after them; #line
    "#define N 1\n#if 0\n" + BODY * 3 + "#endif\nv = __LINE__;\n" + BODY + "/*\n" + BODY + "*/ w = __LINE__;\n",
    "#define N 1\n" + BODY + "#line 100\n" + BODY + "u = __LINE__ + N;\n" + BODY,
    # blank lines: six and seven between runs (pcpp writes a line marker after more than six)
    "#define N 1\n" + BODY + "\n" * 6 + BODY + "\n" * 7 + BODY + "\n" * 30 + "t = N;\n" + BODY + "\n\n",
    # splices, trigraphs, line comments, a string across lines, a comment left open
    "#define N 1\n" + BODY + "k = a \\\n+ N;\n" + BODY + "m = 1 ??! 2;\n??=define M 2\nq = M;\n" + BODY,
    "#define N 1\n" + BODY + "x = 1; // c \\\n" + BODY + 's = "a\\\nb";\n' + BODY + "/* open\n" + BODY,
    "#define N 1\n" + BODY + "k = a \\\n",
    # names pcpp makes tokens of inside words, predefined names, the digraph
    "#define N 1\n" + BODY + "a = 1uN;\nb = xN;\n" + BODY + "c = __COUNTER__ + __COUNTER__;\n%:define K 3\nd = K;\n",
    # what cpp says, and where
    "#define N 1\n" + BODY + "#warning look here\n" + BODY + "#error stop " + "here\n" + BODY,
    "#define N 1\n" + BODY + '#include "nothere.h"\n' + BODY,
    "#define N 1\n" + BODY + '_Pragma("D option quiet") x = 1;\n' + BODY + "z = _Pragma(1);\n",
    # only a comment among the lines (blank to pcpp), at the top before an include guard
    "/* one */\n/* two */\n#ifndef G\n#define G\n" + BODY + "#endif\n",
    "#define N 1\n" + BODY + "é = 1;\n" + BODY + "x = \x01;\n" + BODY,
]


@pytest.mark.parametrize("text", CRAFTED)
def test_the_reduced_text_gives_what_the_whole_gives(monkeypatch, text):
    _same(monkeypatch, text)
    _same(monkeypatch, text, defines=("N=2", "F(x)=x"))


@pytest.fixture
def headers(tmp_path):
    (tmp_path / "h1.h").write_text("#define HM 5\n#define HF(x) (x)\n")
    (tmp_path / "h2.h").write_text("#define HOPEN HF(\n")
    (tmp_path / "h3.h").write_text("#define HP _dtracepy_inert_0\nint _dtracepy_inert_1;\n")
    (tmp_path / "h4.h").write_text("#define HG HF\n#warning in a header\nx = HM;\n")
    return str(tmp_path)


def test_a_macro_a_header_defines_has_the_lines_read_again(monkeypatch, headers):
    reduced = []
    reduce = pp._reduced

    def spied(*args):
        reduced.append(reduce(*args))
        return reduced[-1]

    monkeypatch.setattr(pp, "_reduced", spied)
    text = '#include "h1.h"\n#include "h4.h"\n' + BODY * 3 + "a = HM;\nb = HG\n(1 +\n2);\n" + BODY * 3 + "#warning at the end\n"
    made, warnings = _same(monkeypatch, text, dirs=[headers])
    assert len(reduced) == 2 and {"HM", "HF", "HG"} <= reduced[1].names and "a = 5;" in made[1]
    assert "b = (1 +" in made[1]  # (HG is HF, which takes its argument from the lines after)
    assert [message for _, message in warnings] == ["#warning in a header", "#warning at the end"]  # (once each)
    # a header with the placeholders' prefix in it, and one with a replacement that does not nest
    _same(monkeypatch, '#include "h3.h"\n' + BODY + "e = HP;\n" + BODY, dirs=[headers])
    _same(monkeypatch, '#include "h1.h"\n#include "h2.h"\n' + BODY + "c = HOPEN 1,\n2);\n" + BODY, dirs=[headers])


POOL = [
    "#define N 1", "#define F(x) ((x) + 1)", "#define G F", "#define H(a, b) a ## b", "#define S(x) #x",
    "#define OPEN F(", "#define E", "#undef N", "#if 0", "#if 1", "#endif", "#else", "#ifdef N", "#ifndef Q",
    "#define L __LINE__", "#pragma D option quiet", "/**/#pragma D option quiet", "#warning hey", "#error stop",
    "#line 40", '#include "nothere.h"', "#include <sys/vnode.h>", '#include "h1.h"', '#include "h2.h"',
    '#include "h3.h"', '#include "h4.h"', "a = HM;", "b = HF(", "c = HOPEN 1)", "d = HG", "e = HP;",
    "BEGIN", "{", "}", "z = F(2);", "z = F(", "2", ")", "w = G", "(3);", "u = L;", "v = __LINE__;",
    "c = __COUNTER__;", "s = S(hello);", "h = H(a, b);", "/* open", "close */", "// line comment",
    'p = "str (";', "q = ')';", 'r = "a\\', 'b";', "k = a \\", "+ b;", "m = ??= x;", "n = '??/",
    "_Pragma(\"D option flowindent\")", "x = $1 + `y;", "é = 1;", "x\x01y", "E F (1)", "F", "(5)",
    "#define P(x) x(", "P(F) 1)", "OPEN 7)", "a = (b", "+ c)", "%:define K 2", "y = K;",
    "#define SPLIT a \\", "  b", "SPLIT", "#if defined(N)", "#elif 1", "1uN", "", "   ", "\t",
]


def test_the_reduced_text_gives_what_the_whole_gives_on_generated_texts(monkeypatch, headers):
    rng = random.Random(10)
    for _ in range(400):
        lines: list[str] = []
        for _ in range(rng.randrange(1, 25)):
            pick = rng.random()
            if pick < 0.45:
                lines += [rng.choice(BODY.splitlines() + ['printf("%d\\n", pid);', "/* note */ x = 2;"])
                          for _ in range(rng.randrange(1, 12))]
            elif pick < 0.55:
                lines += [""] * rng.randrange(1, 12)
            else:
                lines.append(rng.choice(POOL))
        text = "\n".join(lines) + rng.choice(["\n", "", "\n\n"])
        monkeypatch.setattr(pp, "MAX_STRAY_COPIED", rng.choice([pp.MAX_STRAY_COPIED, 40, 200]))
        monkeypatch.setattr(pp, "MAX_EXPANSION", rng.choice([pp.MAX_EXPANSION, 30]))
        _same(monkeypatch, text, rng.choice([(), ("N=3",), ("HM=2",), ("F(x)=x",)]), [headers])


@pytest.mark.parametrize("text", ["BEGIN { trace(F(1)); }\n", "BEGIN { x = 1N; }\n", "BEGIN { x = N; }\n"])
def test_a_name_given_with_d_is_read_where_pcpp_reads_it(monkeypatch, text):
    # the fast path (no directive) missed a function-like -D (F(x)=x) and a name after a number
    made = pp.preprocess(text, "x.d", defines=["F(x)=x", "N=5"])
    monkeypatch.setattr(pp, "_plain", lambda *args: None)
    assert made == pp.preprocess(text, "x.d", defines=["F(x)=x", "N=5"])


def test_d_characters_that_c_has_not_cost_pcpp_no_copying(tmp_path, capsys, monkeypatch):
    # each one PLY could not read cost a copy of the rest of the text, and past the budget it was
    # refused as a binary file's: check -C of 1 MiB of dense D with one #define was refused so
    monkeypatch.setattr(pp, "MAX_STRAY_COPIED", 10_000)
    text = "#define N 1\n" + "syscall::read:entry\n/pid == $target/\n{\n\t@a[N] = count();\n\ttrace(`kmem_flags + N);\n}\n" * 300
    (tmp_path / "x.d").write_text(text)
    assert main(["check", "-C", str(tmp_path / "x.d")]) == 0, capsys.readouterr().err
    # a character PLY has no token for still is one, and costs a copy
    (tmp_path / "y.d").write_text("#define N 1\n" + "\x01\n" * 20 + "BEGIN { trace(N); }\n" * 300)
    assert main(["check", "-C", str(tmp_path / "y.d")]) == 1
    assert "y.d:3:1: error: stray '\\x01' in the input (is this a binary file?)" in capsys.readouterr().err


def test_shallow_parentheses_are_counted_at_c_speed(monkeypatch):
    walked = []
    deepened = pp._deepened

    def spied(*args):
        walked.append(args[1:3])
        return deepened(*args)

    monkeypatch.setattr(pp, "_deepened", spied)
    text = "#define N 1\n" + CLAUSE * 2_000  # (12,000 parentheses)
    pp._prepared(text, "x.d")
    assert walked == []
    with pytest.raises(DTracePyError, match="nested too deeply"):
        pp._prepared("#define F(x) (x)\nBEGIN { y = " + "F(" * 1_001 + "1" + ")" * 1_001 + "; }\n", "x.d")
    assert walked


def test_the_scans_stop_only_where_there_is_something_to_read():
    text = "/* a comment */\n" + CLAUSE * 100 + 'BEGIN { x = "a // b"; } // a line comment\n'
    assert [m.group(1) for m in pp._PLAIN_RE.finditer(text) if m.start(1) >= 0] == ["// a line comment"]
    text = "#define N 1\n" + text
    assert [m.group(1) for m in pp._INERT_RE.finditer(text) if m.start(1) >= 0] == ["#", "// a line comment"]


def test_lines_are_kept_in_place_and_the_parser_needs_no_map(monkeypatch):
    maps = []
    parse = parser._parse

    def spied(text, filename, line_map=None):
        maps.append(line_map)
        return parse(text, filename, line_map=line_map)

    monkeypatch.setattr(parser, "_parse", spied)
    data = ("#define N 1\n\n" + CLAUSE * 3 + "\n" * 9 + "BEGIN { trace(N); }\n").encode()
    kept = cpp_results(data, "x.d")
    assert maps == [None]
    text, line_map = pp.preprocess(data.decode(), "x.d", in_place=True)
    assert pp.same_lines(line_map, "x.d") and text.split("\n")[-2] == "BEGIN { trace(1); }"
    assert len(text.split("\n")) == data.decode().count("\n") + 1
    # what it finds where it finds it is what it found with a map
    monkeypatch.setattr(pp, "preprocess", _with_a_map)
    assert cpp_results(data, "x.d") == kept and maps[-1] is not None


def _with_a_map(*args, in_place=False, **kwargs):
    return _PREPROCESS(*args, **kwargs)


@pytest.mark.parametrize("given", ["./x.d", "x.d", "{tmp}/x.d", "{tmp}/./x.d"])
def test_the_file_is_named_as_given(tmp_path, capsys, monkeypatch, given):
    # pcpp names it relative to the working directory: "./x.d" was "x.d" (its lines then had a map)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.d").write_text("#define N 1\nBEGIN { trace(N); }\nBEGIN { x = 1 +; }\n")
    assert main(["check", "-C", given.format(tmp=tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(given.format(tmp=tmp_path) + ":3:16: error: syntax error")


@pytest.mark.parametrize("text", [
    "#define N 1\n#line 3\nBEGIN { trace(N); }\nBEGIN { x = ; }\n",  # a #line back: a map
    "#define N 1\n#line 900\nBEGIN { trace(N); }\nBEGIN { x = ; }\n",  # past the end: a map
    '#define N 1\n_Pragma("D option quiet") BEGIN { x = ; }\n',
    "#define N 1\n\n\n\n\n\n\n\n\n\nBEGIN { x = ; }\n",
])
def test_findings_are_where_they_were_with_a_map(monkeypatch, text):
    kept = cpp_results(text.encode(), "x.d")
    monkeypatch.setattr(pp, "preprocess", _with_a_map)
    assert cpp_results(text.encode(), "x.d") == kept


def test_output_is_taken_a_segment_at_a_time_as_a_line_at_a_time():
    outputs = [
        '#line 1 "x.d"\nBEGIN\n{\n}\n\n#line 20 "x.d"\nEND\n',
        '#line 3 "x.d"\n#pragma /* c */ D option quiet\n/* c */#pragma D option x\n#line 1 "h.h"\nint x;\n'
        '#line 9 "x.d"\ny\n',
        "", "\n", "x", '#line 1 "x.d"', '#line 1 "x.d"\n', "# 5\na\n#line 99999999999 \"x.d\"\nb",
        '#line 2 "x.d"\n/* pragma */ x\n#pragma a /* b */\n',
    ]
    for written in outputs:
        assert pp._mapped(written, (), "x.d") == pp._mapped_lines(written, (), "x.d"), written


def test_the_text_is_not_held_once_preprocessed():
    # (the run's classes held its lines in reference cycles, through the parser's peak: 30 MB of 4 MiB)
    import gc

    text = "#define N 1\n" + CLAUSE * 500 + "BEGIN { trace(N); }\n"
    count = len(text.splitlines())
    gc.disable()
    try:
        pp.preprocess(text, "x.d", in_place=True)
        held = [o for o in gc.get_objects() if isinstance(o, list) and len(o) == count and o[0] == "#define N 1"]
    finally:
        gc.enable()
    assert held == []
