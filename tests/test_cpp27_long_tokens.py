"""Review 26's M5 (helper cpp27; issue 8): under ``check -C`` a long string, character constant or
comment that ``preprocess._prepared`` does not hold out of pcpp's sight (a ``_Pragma`` anywhere in
the text, a backslash in the string, a header's, a constant's, one left open) cost pcpp's lexer a
backtracking frame per character: 1.4 GB and 5 s for a 4 MB string, 2 GB for a 4 MB comment.
Its rules are now matched in runs (``preprocess.bound_token_patterns``), and so are dtracepy's own
patterns that found such pieces before pcpp ran (``_PIECES_RE``, ``_INERT_RE``).  Each test fails
on the code before it (09cf76d); memory is the child's own peak (tests/child_peak.py) or what
tracemalloc counts in this process (re's backtracking stack is allocated through it)."""

from __future__ import annotations

import random
import tracemalloc

import pytest
from tests.child_peak import check_in_child

from dtracepy import preprocess

BIG = 4 * 1024 * 1024 - 4096


def _traced_peak(work) -> int:
    """The peak of the memory tracemalloc counts while ``work()`` runs, in bytes."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _lexer(bounded: bool):
    from pcpp.parser import default_lexer

    lexer = default_lexer()
    if bounded:
        preprocess.bound_token_patterns(lexer)
    return lexer


def _tokens(lexer, text: str) -> list:
    lexer.input(text)
    lexer.lineno = 1
    out = []
    while (tok := lexer.token()) is not None:
        out.append((tok.type, tok.value, tok.lexpos, tok.lineno))
    return out


_LONG_TOKENS = {
    "a string": '"' + "a" * 1_000_000 + '"',
    "a string of escapes": '"' + "\\n" * 500_000 + '"',
    "a string spliced over lines": '"' + "a\\\n" * 300_000 + '"',
    "a character constant": "'" + "a" * 1_000_000 + "'",
    "a comment": "/*" + "a" * 1_000_000 + "*/",
    "a comment of lines and stars": "/*" + "*a\n" * 300_000 + "**/",
}


@pytest.mark.parametrize("name", sorted(_LONG_TOKENS))
def test_pcpp_lexer_reads_a_long_token_without_a_frame_per_character(name):
    """1 MB: 130 MB of backtracking frames before, none now; the same one token."""
    text = _LONG_TOKENS[name]
    lexer = _lexer(bounded=True)
    found = []
    peak = _traced_peak(lambda: found.extend(_tokens(lexer, text)))
    assert [tok[:2] for tok in found] == [(found[0][0], text.replace("\\\n", ""))], found[:3]
    assert peak < 20 * 1024 * 1024, peak


def test_the_bounded_lexer_makes_the_tokens_pcpps_own_makes():
    """Control: 30,000 random texts of quotes, backslashes, newlines, stars and slashes (where the
    rules may end otherwise) make the same tokens, positions and lines with either lexer."""
    rng = random.Random(27)
    old, new = _lexer(bounded=False), _lexer(bounded=True)
    assert new.lexre[0][0].pattern != old.lexre[0][0].pattern  # (pcpp's rules were found and replaced)
    for _ in range(30_000):
        text = "".join(rng.choice("\"'\\\n/*aL x") for _ in range(rng.randint(0, 16)))
        assert _tokens(new, text) == _tokens(old, text), repr(text)


@pytest.mark.parametrize("pattern", ["_PIECES_RE", "_INERT_RE"])
def test_dtracepys_own_patterns_read_a_string_of_escapes_without_a_frame_per_escape(pattern):
    """What finds the pieces of the text before pcpp runs: a string of 2 million escapes (or
    splices) cost 270 MB (180 MB) of frames.  (_INERT_RE skips a string within a line.)"""
    regex = getattr(preprocess, pattern)
    texts = ['x "' + "\\n" * 1_000_000 + '" y\n', 'x "' + "a\\\n" * 700_000 + '" y\n']
    for text in texts[pattern == "_INERT_RE":]:
        spans = []
        peak = _traced_peak(lambda text=text: spans.extend(m.span(1) for m in regex.finditer(text)))
        assert (2, len(text) - 3) in spans, spans[:4]
        assert peak < 20 * 1024 * 1024, peak


def _check_cpp(tmp_path, files: dict, *args):
    """``check -C`` of ``x.d`` among ``files`` in a child under a 1.5 GB address space (the old
    code fails there, rather than eating the machine): (status, stderr, its own peak in KB)."""
    return check_in_child(tmp_path, files, "-C", *args)


_SHAPES = {
    # review 26's: a _Pragma anywhere keeps _prepared from holding the string (1.4 GB, 5.1 s)
    "a string, _Pragma in a comment": ({"x.d": 'BEGIN { x = "' + "a" * BIG + '"; } /* _Pragma */\n'}, 0, ""),
    "a comment, _Pragma in another": ({"x.d": "/*" + "a" * BIG + "*/\nBEGIN { _Pragma(\"D option quiet\") }\n"},
                                      0, ""),
    # a string with a backslash is never held (a macro's # would escape it): 1.5 GB
    "a #define's string with an escape": ({"x.d": '#define S "\\n' + "a" * BIG + '"\nBEGIN { x = S; }\n'}, 0, ""),
    # a header's text is not held: 2 GB
    "a header's comment": ({"x.d": '#include "h.h"\nBEGIN { x = 1; }\n', "h.h": "/*" + "a" * BIG + "*/\n"}, 0, ""),
    # a comment left open is pcpp's to read: 2 GB
    "a comment left open": ({"x.d": "BEGIN { x = 1; } /*" + "a" * BIG + "\n__x\n"}, 1, "1:18: error: unterminated comment"),
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_check_cpp_reads_a_long_piece_pcpp_sees_in_bounded_memory(tmp_path, shape):
    """4 MB each: 1.4 to 2 GB before (MemoryError here), about 80 MB and a second now."""
    files, status, said = _SHAPES[shape]
    got, stderr, peak = _check_cpp(tmp_path, files, "-I", str(tmp_path))
    assert got == status and said in stderr and "Traceback" not in stderr, (got, stderr[:300])
    assert peak is not None and peak < 200 * 1024, peak  # (KB)


# --- splices: pcpp's write() took each out of the line's list, time the square of their count ------

def test_pcpp_write_is_handed_a_line_of_splices_with_them_taken_out(monkeypatch):
    """``a\\`` on 1.4 million lines (one name spliced, 4 MB): 235 s, as write() deleted each
    splice from a list of the line's 2.8 million tokens; now 38 s (pcpp's time per token)."""
    import pcpp

    seen = []
    write = pcpp.Preprocessor.write

    def watched(self, out):
        token = self.token

        def counted():
            tok = token()
            seen.append(tok.type if tok is not None else None)
            return tok

        self.token = counted
        return write(self, out)

    monkeypatch.setattr(pcpp.Preprocessor, "write", watched)
    out, _ = preprocess.preprocess("BEGIN { x = 1; }\n" + "a\\\n" * 20_000 + ";/* __ */\n", "x.d", in_place=True)
    assert out.split("\n")[1] == "a" * 20_000 + ";/* __ */"
    assert "CPP_LINECONT" not in seen


# what pcpp made of these (09cf76d): blanks on either side of a splice, splices in a row, at a
# line's start, at the text's end, in a macro's arguments and its replacement
_SPLICED = [
    ("a \\\n b\n", "a b\n"), ("a\\\n\\\nb\n", "ab\n"), ("x \\\n\\\n y\n", "x y\n"), ("x\\\n \\\n z\n", "x z\n"),
    ("\\\n\\\n \n", ""), ("a \\\n", "a \\\n"), ("F(1, \\\n 2) \\\n x\n", "F(1, 2) x\n"),
    ("#define F(x) x \\\n + 1\nF(2) \\\n\\\n ;\n", "\n\n2 + 1 ;\n"), ("a /**/ \\\n /**/ b\n", "a /**/ /**/ b\n"),
    (" \\\n\\\n\\\n a \\\n\n", "  a\n"),
]


@pytest.mark.parametrize("text, made", _SPLICED)
def test_splices_are_taken_out_as_pcpp_took_them_out(text, made):
    assert preprocess.preprocess(text, "f.d", in_place=True)[0] == made


# --- empty lines: pcpp took 10 us each (4 million: 40 s, 1.3 GB) ------------------------------------

def test_pcpp_is_given_seven_of_a_run_of_empty_lines(monkeypatch, pcpp_given):
    """Seven: pcpp writes a line marker after more than six, from the lines' own numbers, which
    the reduction keeps (``_Reduction.numbers``): the output and its map are as they were."""
    text = "#define N 1\nBEGIN { x = N; }\n" + "\n" * 100_000 + "BEGIN { y = N; }\n" + "\n" * 9 + "z\n"
    made = preprocess.preprocess(text, "x.d")
    assert len(pcpp_given) == 1 and pcpp_given[0].count("\n") < 100, pcpp_given[0].count("\n")
    monkeypatch.setattr(preprocess, "REDUCE_FROM", 1 << 62)
    assert made[0] == preprocess.preprocess(text, "x.d")[0] and list(made[1]) == list(preprocess.preprocess(text, "x.d")[1])


_AROUND_EMPTY = ["#define N 1", "x = N;", "y = 2;", "/* open", "close */", "#if 0", "#endif", "F(", "1)",
                 "#define F(x) x", "k = a \\", 'r = "a\\', 'b";', "v = __LINE__;", "#line 40", "#warning w",
                 "_Pragma(\"D option quiet\")", "/* c */"]


def test_runs_of_empty_lines_left_out_give_what_the_whole_gives(monkeypatch):
    """Control: 300 texts of runs of 1 to 30 empty lines among comments and strings across lines,
    #if 0, a macro's arguments, splices, __LINE__ and #line: the same output, map and warnings."""
    from dtracepy.errors import DTracePyError

    def made(text, reduce):
        monkeypatch.setattr(preprocess, "REDUCE_FROM", 0 if reduce else 1 << 62)
        warnings: list = []
        try:
            out, line_map = preprocess.preprocess(text, "x.d", warnings=warnings)
            return out, list(line_map), [(str(pos), message) for pos, message in warnings]
        except DTracePyError as err:
            return err.render()

    rng = random.Random(7)
    for _ in range(300):
        lines: list = []
        for _ in range(rng.randrange(1, 16)):
            lines += [""] * rng.randrange(1, 31) if rng.random() < 0.4 else [rng.choice(_AROUND_EMPTY)]
        text = "\n".join(lines) + rng.choice(["\n", "", "\n" * 12])
        assert made(text, True) == made(text, False), text
