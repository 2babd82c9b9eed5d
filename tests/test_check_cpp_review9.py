"""``check -C`` as ``dtrace -C`` reads it, within issue 8's budget (review 9, findings 2, 8, 9, 10).

- A text with nothing for the preprocessor to do (no directive, no name of a macro) is not given to
  pcpp: what pcpp makes of it is made in one pass (``preprocess._plain``), and it must give the same
  results (findings, messages, positions) as pcpp's.  Dense D of 4 MiB took 55 s and 577 MB in pcpp,
  a 4 MB comment 2.1 GB.  (Budgets are measured in benchmarks/bench_robust.py --only check-cpp.)
- ``F(F(F(...)))`` nested 100,000 deep took pcpp over 60 s and 1.6 GB (dtrace -C's cpp did not finish
  10,000 levels in 100 s): more than ``MAX_PAREN_NESTING`` levels of ``(`` is a located error, read
  before pcpp runs; fewer are expanded, as dtrace -C expands them.
- pcpp dropped every Unicode space at a line's end: ``#pragma D option quiet<U+00A0>`` passed
  ``check -C``; dtrace -C refuses it ("failed to set option 'quiet '").
- ``%:`` is the digraph of ``#`` (``%:%:`` of ``##``): dtrace -C honours ``%:pragma`` and ``%:define``.
- dtrace -C gives cpp the script through /dev/stdin: a quoted header beside the script is not found
  without ``-I``.
"""

from __future__ import annotations

import glob
import os

import pytest

from dtracepy import preprocess as pp
from dtracepy.cli import main

from cpp_results import cpp_results
from real_dtrace import judge_scripts

DENSE = ('syscall::read:entry\n/pid == $target && self->ts == 0/\n{\n\tself->ts = timestamp;  // start\n'
         '\t@a[execname, probefunc] = count();\n\tprintf("%d %s\\n", pid, copyinstr(arg0));\n}\n\n')


CRAFTED = [
    "BEGIN {}", "BEGIN {}\n\n\n\n\n\n\n\n\n\n\nEND {}\n", "BEGIN { x = 1 +   \t\n}\n", " \t \nBEGIN\n{\n}\n",
    'BEGIN { x = "a//b"; // c\n}\n', "BEGIN /* a   \n b */ { y = 'c'; }  \n", "BEGIN { x = 1; }\n// c",
    "BEGIN { trace(1) }\n\n\n", "\n\n\n", "", "BEGIN {\n  // only a comment\n}\n", "BEGIN { x = \"\\\"//\"; }\n",
    "BEGIN\n{\n\ttrace(walltimestamp);\n\n\n\n", "BEGIN { x = 1;\n", "/* dtracepy: disable[self-leak] */\n" + DENSE,
    DENSE * 3, "BEGIN { é = 1; }\n", "BEGIN { x = 1; }\t\t\n\n  \n",
]


@pytest.mark.parametrize("text", CRAFTED)
def test_the_plain_path_gives_what_pcpp_gives(monkeypatch, text):
    assert pp._plain(text) is not None
    fast = cpp_results(text.encode(), "x.d")
    monkeypatch.setattr(pp, "_plain", lambda *args, **kwargs: None)
    assert cpp_results(text.encode(), "x.d") == fast


def test_the_plain_path_gives_what_pcpp_gives_on_the_corpus(monkeypatch):
    corpus = os.environ.get("DTRACEPY_CORPUS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")
    files = sorted(glob.glob(os.path.join(corpus, "**", "*.d"), recursive=True))
    if not files:
        pytest.skip("no corpus")
    plain = []
    for path in files:
        data = open(path, "rb").read()
        text = data.decode("utf-8", "surrogateescape")
        if "\0" not in text and not text.startswith("\ufeff") and pp._plain(text) is not None:
            plain.append((path, data))
    assert len(plain) > 300, len(plain)  # (811 of 3,122 on 2026-12-01)
    fast = [cpp_results(data, path) for path, data in plain[::4]]
    monkeypatch.setattr(pp, "_plain", lambda *args, **kwargs: None)
    assert [cpp_results(data, path) for path, data in plain[::4]] == fast


def test_a_plain_text_is_not_given_to_pcpp(tmp_path, capsys, monkeypatch):
    import pcpp

    ran = []
    parse = pcpp.Preprocessor.parse

    def counted(self, *args, **kwargs):
        ran.append(1)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(pcpp.Preprocessor, "parse", counted)
    (tmp_path / "x.d").write_text("/*" + "a" * 100_000 + "*/\n" + DENSE * 50 + 'BEGIN { x = "' + "b" * 100_000 + '"; }\n')
    assert main(["check", "-C", str(tmp_path / "x.d")]) == 0, capsys.readouterr().err
    assert ran == []
    # what needs the preprocessor still gets it: a directive, a macro's name (-D, predefined), a digraph
    for text, argv in [("#define N 1\nBEGIN { trace(N); }\n", []), ("BEGIN { trace(N); }\n", ["-D", "N=1"]),
                       ("BEGIN { trace(__SUNW_D); }\n", []), ("%:define N 1\nBEGIN { trace(N); }\n", []),
                       ("BEGIN { x = 1; } \\\n\n", [])]:
        (tmp_path / "y.d").write_text(text)
        ran.clear()
        assert main(["check", "-C", *argv, str(tmp_path / "y.d")]) == 0, capsys.readouterr().err
        assert ran == [1], text


def test_macro_arguments_nested_past_the_limit_are_a_located_error(tmp_path, capsys):
    deep = pp.MAX_PAREN_NESTING + 1
    (tmp_path / "n.d").write_text("#define F(x) (x)\nBEGIN { y = " + "F(" * 2 * deep + "1" + ")" * 2 * deep + "; }\n")
    assert main(["check", "-C", str(tmp_path / "n.d")]) == 1
    err = capsys.readouterr().err
    col = len("BEGIN { y = ") + 2 * deep  # the (MAX + 1)th (
    assert err.startswith(f"{tmp_path / 'n.d'}:2:{col}: error: nested too deeply for the C preprocessor: more than "
                          f"{pp.MAX_PAREN_NESTING:,} levels of ("), err


def test_macro_arguments_nested_up_to_the_limit_are_expanded(tmp_path, capsys):
    # (pcpp recursed past Python's limit at about 400 levels: "nested too deeply" at 1:1)
    n = pp.MAX_PAREN_NESTING
    text = "#define F(x) x\nBEGIN { y = " + "F(" * n + "1" + ")" * n + "; exit(0); }\n"
    (tmp_path / "n.d").write_text(text)
    assert main(["check", "-C", str(tmp_path / "n.d")]) == 0, capsys.readouterr().err
    assert judge_scripts({"deep": {"text": text, "flags": "C"}})["deep"] is None


def test_a_no_break_space_after_a_pragma_word_is_refused_under_c_as_dtrace_does(tmp_path, capsys):
    text = "#pragma D option quiet\u00a0\nBEGIN { trace(1); exit(0); }\n"
    (tmp_path / "p.d").write_text(text)
    assert main(["check", "-C", str(tmp_path / "p.d")]) == 1
    assert f"{tmp_path / 'p.d'}:1:1: error: 'quiet\\xa0' is not an option name [pragma]" in capsys.readouterr().err
    verdict = judge_scripts({"nbsp": {"text": text, "flags": "C"}})["nbsp"]
    assert verdict and "Invalid option name" in verdict, verdict


DIGRAPHS = {  # text -> the destructive finding's line:col, or None (allowed)
    "%:pragma D option destructive\nBEGIN { system(\"true\"); exit(0); }\n": None,
    "  %:  pragma D option destructive\nBEGIN { system(\"true\"); exit(0); }\n": None,
    "%:define S system\nBEGIN { S(\"true\"); exit(0); }\n": "2:9",
    "%:define S(x) sys %:%: x\nBEGIN { S(tem)(\"true\"); exit(0); }\n": "2:9",
}


@pytest.mark.parametrize("text", DIGRAPHS)
def test_the_digraph_of_hash_is_a_directive_under_c(tmp_path, capsys, text):
    (tmp_path / "d.d").write_text(text)
    status = main(["check", "-C", str(tmp_path / "d.d")])
    err = capsys.readouterr().err
    if DIGRAPHS[text] is None:
        assert (status, err) == (0, "")
    else:
        assert status == 1 and err.startswith(f"{tmp_path / 'd.d'}:{DIGRAPHS[text]}: error: system() is a "
                                              "destructive action"), err


def test_the_digraph_stringizes_as_dtrace_c_does(tmp_path, capsys):
    (tmp_path / "q.d").write_text("%:define Q(x) %:x\nBEGIN { printf(Q(a b)); exit(0); }\n")
    assert main(["check", "-C", str(tmp_path / "q.d")]) == 0, capsys.readouterr().err
    text, _ = pp.preprocess("%:define Q(x) %:x\nBEGIN { printf(Q(a b)); }\n", "q.d")
    assert 'printf("a b")' in text


def test_a_quoted_header_beside_the_script_needs_i_as_dtrace_c_does(tmp_path, capsys, monkeypatch):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "good.h").write_text("#define N 3\n")
    (tmp_path / "inc" / "g.d").write_text('#include "good.h"\nBEGIN { trace(N); exit(0); }\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-C", "inc/g.d"]) == 1
    assert capsys.readouterr().err.startswith(
        "inc/g.d:1:10: error: good.h: dtrace -C will not find it beside the script: it gives cpp the script "
        "through /dev/stdin, so cpp looks for a quoted header in /dev, then in the -I directories (add -I inc)")
    assert main(["check", "-C", "-I", "inc", "inc/g.d"]) == 0, capsys.readouterr().err
    monkeypatch.chdir(tmp_path / "inc")  # (nor in the working directory)
    assert main(["check", "-C", "g.d"]) == 1
    assert "(add -I .)" in capsys.readouterr().err
    verdicts = judge_scripts({"beside": {"path": str(tmp_path / "inc" / "g.d"), "flags": "C"}})
    assert verdicts["beside"] and "Preprocessor failed" in verdicts["beside"], verdicts


def test_long_comments_and_strings_are_held_out_of_pcpps_sight(tmp_path, capsys, monkeypatch, pcpp_given):
    """pcpp lexes a comment or a string a character at a time (2.1 GB for a 4 MB comment): one longer
    than HELD_LONGER_THAN is given to it as a few characters and put back in its output."""
    given = pcpp_given
    text = ("#define N 1\n/* " + "a" * 50_000 + "   \n" + "b" * 50_000 + " */ BEGIN { x = \"" + "c" * 100_000
            + "\"; trace(N); }\nBEGIN { y = 1 +; }\n")
    (tmp_path / "h.d").write_text(text)
    assert main(["check", "-C", str(tmp_path / "h.d")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path / 'h.d'}:4:16: error: syntax error near \";\""), err[:300]
    assert len(given[0]) < 1_000
    out, _ = pp.preprocess(text, "h.d")
    monkeypatch.setattr(pp, "HELD_LONGER_THAN", 10**9)
    assert pp.preprocess(text, "h.d")[0] == out


@pytest.mark.parametrize("text", [
    "#define N 1\n/* " + "a  \n" * 200 + "*/ BEGIN { trace(N); }\n",
    '#define Q(x) #x\nBEGIN { printf(Q("' + "q" * 300 + '")); }\n',
    "#define C /* " + "c" * 300 + " */ 1\nBEGIN { trace(C + C); }\n",
    "#pragma D option quiet /* " + "p" * 300 + " */\nBEGIN { }\n",
    "#warning /* " + "w" * 300 + " */ here\nBEGIN { }\n",
])
def test_what_is_held_out_comes_back_as_pcpp_writes_it(monkeypatch, text):
    held = pp.preprocess(text, "x.d", warnings=[])
    monkeypatch.setattr(pp, "HELD_LONGER_THAN", 10**9)
    assert pp.preprocess(text, "x.d", warnings=[]) == held


def test_a_held_comment_counts_at_its_length_in_the_output_limit(tmp_path, capsys):
    (tmp_path / "c.d").write_text("#define C /* " + "c" * 300_000 + " */\nBEGIN { " + "C " * 20 + "}\n")
    assert main(["check", "-C", str(tmp_path / "c.d")]) == 1
    assert "the preprocessed text is over 4 MiB" in capsys.readouterr().err
