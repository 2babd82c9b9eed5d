"""Review 26 (helper hostile26; issue 8): a hostile look at session 24's code (parser._shaped,
checks.said and rendered, run/printa_scan.py, source.LineMarks, the layout fast reader's new
shapes).  What the review found wrong (/work/review26.md), each test failing on the code before
it (c2bf519), and the controls beside them.  Work is counted, never timed."""

from __future__ import annotations

import random

import pytest

from dtracepy import cli
from dtracepy.run import printa_scan
from dtracepy.run.aggregations import FormatDecoder
from dtracepy.source import shown_name


# --- printa: a string's ends among blanks or digits read the numbers after it once ---------------

def _runs(monkeypatch) -> list:
    """A list that gets an item each time the scanner reads a run of numbers."""
    calls = []
    real = printa_scan.PrintaScanner._run

    def counted(self, *args):
        calls.append(1)
        return real(self, *args)

    monkeypatch.setattr(printa_scan.PrintaScanner, "_run", counted)
    return calls


def test_a_key_of_many_blanks_is_read_in_work_linear_in_it(monkeypatch):
    """Each blank of a ``%s`` key is an end whose ``%@d`` after it was read to the key's next
    character again: 8,000 blanks took 0.9 s (time k squared), as the old expression's did."""
    calls = _runs(monkeypatch)
    key = "a" + " " * 3000 + "b"
    assert list(FormatDecoder("%s %@d\n").entries(f"{key} 5\n")) == [((key,), [5])]
    assert len(calls) < 20, len(calls)


def test_a_key_of_many_digits_is_read_in_work_linear_in_it(monkeypatch):
    """The literal after a ``%s`` is a digit: each digit of the key an end whose ``%d`` read the
    key's digits again to where they fail (16,000 digits: 0.75 s)."""
    calls = _runs(monkeypatch)
    key = "a" + "1" * 3000 + "x"
    assert list(FormatDecoder("%s1%d|%@d\n").entries(f"{key}15|7\n")) == [((key, 5), [7])]
    assert len(calls) < 20, len(calls)


def test_ends_among_blanks_before_a_string_are_read_once(monkeypatch):
    """A number then blanks then a string: the string's earlier starts each read the numbers
    after it from the blanks again (``%d %s%@d`` over 4,000 blanks: 0.4 s)."""
    calls = _runs(monkeypatch)
    with pytest.raises(ValueError, match="does not match"):
        list(FormatDecoder("%d %s%@d\n").entries("1" + " " * 3000 + "x\n"))
    assert len(calls) < 50, len(calls)


_CONVERSIONS = ["%s", "%d", "%x", "%X", "%p", "%o", "%f", "%@d", "%u", "%5s", "%-3s", "%k", "%c"]
_SEPARATORS = ["", " ", "x", "0", "1", "f", "0x", ":", "\n", "  ", "-", ".", "e", "value"]
_ALPHABET = " 0123456789abcdefxX-+.e:\n\tvalue"
_VALUES = {"d": ["1", "-12", "  3", "0"], "u": ["7", "10"], "x": ["1f", "0x1f", "ff0"], "X": ["1F", "0X2A"],
           "p": ["0x1f", "ff"], "o": ["17", "0"], "f": ["1.500000", "-2.000000", "1e5", "inf"],
           "c": ["65", "9"], "k": ["\n  mod`f+0x1\n", "\n  a\n  b\n"]}


def _decoded(fmt: str, text: str):
    try:
        return list(FormatDecoder(fmt).entries(text))
    except ValueError as err:
        return type(err).__name__, str(err)


def test_what_is_known_to_fail_is_what_reading_again_finds(monkeypatch):
    """The runs known to fail (``PrintaScanner._tail``) against reading each again: the same
    entries, refusals and messages on 3,000 formats and outputs of blanks, digits, hex (``f0x1``:
    read from the 0 a hex runs on), floats, stacks and tables' words."""
    rng = random.Random(26)
    cases = []
    for _ in range(3000):
        output = rng.random() < 0.5  # (an output of the format: each conversion a value of its kind or noise)
        parts = [(rng.choice(_SEPARATORS[1:] if output else _SEPARATORS), rng.choice(_CONVERSIONS))
                 for _ in range(rng.randint(1, 5))]
        fmt = "".join(text + conv for text, conv in parts) + rng.choice(_SEPARATORS) + "\n"
        if output:
            text = "".join(sep + rng.choice(_VALUES.get(conv[-1], ["a", " b ", "  ", "1 2"]) if rng.random() < 0.85
                                            else ["  ", "f0x1", "7", "1" * 30, " " * 30]) for sep, conv in parts) + fmt[len("".join(s + c for s, c in parts)):-1]
            if "@" not in fmt:
                text += rng.choice([" 5", "5", "  12", ""])
            text += "\n"
        else:
            text = "".join(rng.choice(_ALPHABET) if rng.random() < 0.7 else rng.choice(
                ["0x1f", "  ", "123", "f0x", "-0", "1e5", "\n"]) for _ in range(rng.randint(1, 80))) + "\n"
        cases.append((fmt, text * rng.choice((1, 1, 2))))
    known = [_decoded(fmt, text) for fmt, text in cases]
    monkeypatch.setattr(printa_scan.PrintaScanner, "_tail", printa_scan.PrintaScanner._run)
    assert [_decoded(fmt, text) for fmt, text in cases] == known
    assert sum(1 for k in known if k.__class__ is list) > 100  # (some decode)


# --- #line: a long name is shown clipped; the name as dtrace names it ----------------------------

def _check(tmp_path, capsys, text: str, *flags):
    (tmp_path / "l.d").write_text(text, encoding="utf-8", errors="surrogateescape")
    status = cli.main(["check", *flags, str(tmp_path / "l.d")])
    return status, capsys.readouterr().err


def test_a_long_line_name_is_not_printed_in_every_finding(tmp_path, capsys):
    """A 1 MB name in a ``#line`` before 3,000 findings was printed in each prefix: 3 GB of
    output, 780 MB of memory, 41 s (under -C too: there such a name is refused now, below)."""
    name = "a" * 100_000
    text = f'#line 5 "{name}"\n' + "".join(f"BEGIN {{ self->x{i} = 1; }}\n" for i in range(20))
    status, err = _check(tmp_path, capsys, text)
    lines = err.splitlines()
    assert status == 0 and len(lines) == 20, err[:300]
    assert all(len(line) < 300 for line in lines), max(map(len, lines))
    assert lines[0].startswith("a" * 40 + "... (100,000 characters):"), lines[0][:100]


def test_a_name_is_shown_whole_up_to_path_max():
    assert shown_name("b" * 4096) == "b" * 4096
    assert shown_name("b" * 4097) == "b" * 40 + "... (4,097 characters)"
    assert shown_name("\x1b" * 5000).startswith("\\x1b" * 40 + "...")


def test_a_line_name_whose_last_quote_is_escaped_is_refused(tmp_path, capsys):
    """``#line 5 "a\\"``: dtrace reads the name on past the escaped quote to the line's end
    ("newline encountered in string literal"); check passed it, exit 0."""
    status, err = _check(tmp_path, capsys, '#line 5 "a\\"\nBEGIN { exit(0); }\n')
    assert status == 1 and 'is not closed' in err and "l.d:1:1:" in err, err


@pytest.mark.parametrize("name, shown", [
    ('a\\"b', 'a"b'), ("a\\\\b", "a\\b"), ("a\\101b", "aAb"), ("a\\tb", "a\\tb"), ("a\\0b", "a"),
    ("a\\qb", "a\\qb"), ("a\\\\", "a\\"),
])
def test_a_line_name_is_named_as_dtrace_names_it(tmp_path, capsys, name, shown):
    """dtrace decodes the name's escapes as a string's (``"a\\101b"`` is aAb, to its first NUL);
    check named the file with the escapes as written (a tab is then shown escaped, as any)."""
    status, err = _check(tmp_path, capsys, f'#line 5 "{name}"\nBEGIN {{ x = ; }}\n')
    assert status == 1 and err.startswith(f"{shown}:6:13: error: syntax error"), err


# --- -C: a name longer than any file's in a directive is refused before pcpp reads it -------------

@pytest.mark.parametrize("directive", ['#line 5 "{}"', '# 5 "{}"', '#include "{}"'])
def test_under_cpp_a_directive_naming_a_file_longer_than_path_max_is_refused_at_it(tmp_path, capsys, directive):
    """pcpp's lexer held a frame per character of the name: ``#line 5 "<4 MB>"`` took 8.9 s and
    1.39 GB (``#include`` 4.3 s); a name of PATH_MAX characters is still read."""
    status, err = _check(tmp_path, capsys, directive.format("a" * 5000) + "\nBEGIN { exit(0); }\n", "-C")
    assert status == 1 and "a quoted name of 5,000 characters in a directive" in err, err[:300]
    assert err.startswith(f"{tmp_path / 'l.d'}:1:{directive.index('{') }:"), err[:200]


def test_under_cpp_a_line_name_of_path_max_characters_is_read(tmp_path, capsys):
    status, err = _check(tmp_path, capsys, f'#line 5 "{"a" * 4096}"\nBEGIN {{ x = ; }}\n', "-C")
    assert status == 1 and err.startswith("a" * 4096 + ":5:"), err[:200]  # (cpp's #line: the next line is 5)


# --- a long quoted word in a #pragma: no backtracking frame per character --------------------------

def test_a_pragma_of_a_long_quoted_word_is_read_in_bounded_memory(tmp_path):
    """``#pragma D option "<4 MB>"``: each of the three patterns that split and judge a pragma's
    words (facts.options.pragma_words, tree._PRAGMA_WORD, tree._QUOTED) held a backtracking frame
    per character of the word: 500 MB each, 517 MB and 5.9 s in all (now 46 MB, 1.1 s).  The
    child's own peak memory (tests/child_peak.py)."""
    import subprocess
    import sys

    from conftest import REPO
    from tests.child_peak import OWN_PEAK
    from tests.pythonpath import env_with

    (tmp_path / "p.d").write_text('#pragma D option "' + "a" * 4_000_000 + '"\nBEGIN { exit(0); }\n')
    # (the child's own peak: its ru_maxrss would start from pytest's, see tests/child_peak.py)
    measured = (OWN_PEAK + "from dtracepy import cli\nstatus = cli.main(['check', 'p.d'])\n"
                "print('peak', _own_peak_kb(), status)\n")
    result = subprocess.run([sys.executable, "-c", measured], cwd=tmp_path, capture_output=True, text=True,
                            env=env_with(REPO), timeout=300)
    assert "is not an option name" in result.stderr, result.stderr[:300]
    _, peak, status = result.stdout.split()
    assert status == "1" and int(peak) < 200 * 1024, peak  # (KB)
    from dtracepy.facts.options import pragma_words  # (the same words as before)

    assert pragma_words('D option "a\\" b" c "d') == ["D", "option", '"a\\" b"', "c", '"d']
