"""Review 27 (helper hostile27; issue 8): hostile Python objects given to the DSL, and a hostile
dtrace for ``run``.  What the review found wrong (/work/review27.md), each test failing on the
code before it (09cf76d), and the controls beside them.  Work is counted, never timed."""

from __future__ import annotations

import enum
import os
import subprocess
import sys

import attrs
import pytest

from child_peak import OWN_PEAK
from dtracepy import (
    Tracer, agg, count, glob, hexint, lquantize, macro, printf, self, this, trace,
)
from dtracepy import tree as T
from dtracepy.dsl.values import D
from dtracepy.errors import DSLError
from dtracepy.parser import parse
from dtracepy.printer import to_d

SYSTEM = 'system("id")'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def destructive(text: str) -> bool:
    """Does the D text, read back, call an action nobody asked for?"""
    from dtracepy.facts.functions import DESTRUCTIVE

    return any(isinstance(n, T.Call) and n.name in DESTRUCTIVE for n in parse(text, "x.d").walk())


# --- a subclass of str answers for other characters than it holds ------------------------------

class Vouching(str):
    """Says it is an identifier, ASCII, digits, printable, whatever its characters are."""

    def isidentifier(self):
        return True

    def isascii(self):
        return True

    def isdigit(self):
        return True

    def isprintable(self):
        return True


class Disguised(Vouching):
    """... and says it is a plain str (``x.__class__ is str``: the tree's fast paths asked that)."""

    @property
    def __class__(self):
        return str


def _this_clause(name) -> str:
    t = Tracer()

    @t.probe("BEGIN")
    def b():
        this.__setattr__(name, 1)
        trace(this(name))

    return t.compile().text


@pytest.mark.parametrize("kind", [Vouching, Disguised])
def test_a_name_that_vouches_for_itself_is_read_for_its_characters(kind):
    """``this(x)`` with a str whose ``isidentifier()`` said True for ``x = 1; system("id");
    this->y``: compile exited 0 with system() in the D (no destructive option asked)."""
    name = kind(f"x = 1; {SYSTEM}; this->y")
    with pytest.raises(DSLError, match="not a D identifier"):
        _this_clause(name)


@pytest.mark.parametrize("make", [
    lambda n: glob(n),
    lambda n: self.__getattr__(n),
    lambda n: agg(n),
], ids=["glob", "self", "agg"])
def test_every_scope_reads_a_names_characters(make):
    name = Disguised(f"x; {SYSTEM}; y")
    with pytest.raises(DSLError, match="not a D identifier"):
        make(name)


def test_a_plain_name_of_a_str_subclass_is_taken_as_its_characters():
    """Control: an honest subclass (an ``enum.StrEnum``'s member, a library's str) is its text."""
    class Names(str, enum.Enum):
        COUNT = "count_"

    text = _this_clause(Names.COUNT)
    assert "this->count_ = 1;" in text and "Names" not in text


class Concatenating(str):
    """Prints as something else where the printer joins it: ``"#" + name``, ``f"{name}"``."""

    evil = f"*/ BEGIN {{ {SYSTEM}; }} /*"

    def __radd__(self, other):
        return str(other) + self.evil

    def __add__(self, other):
        return self.evil + str(other)

    def __format__(self, spec):
        return self.evil

    def __str__(self):
        return self.evil


def _with_item(item) -> str:
    t = Tracer()
    t.add(item)

    @t.probe("BEGIN")
    def b():
        trace(1)

    return t.compile().text


@pytest.mark.parametrize("make", [
    lambda: T.Comment(Concatenating(" hello ")),
    lambda: T.Directive(Concatenating("warning"), Concatenating("hello")),
    lambda: T.Pragma((Concatenating("D"), Concatenating("option"), Concatenating("quiet"))),
], ids=["comment", "directive", "pragma"])
def test_a_node_prints_the_characters_it_was_checked_on(make):
    """``t.add(tree.Comment(s))``: the comment was checked on ``s``'s characters and printed as
    ``"/*" + s``, which the subclass's ``__radd__`` made ``*/ BEGIN { system("id"); } /*``."""
    text = _with_item(make())
    assert "system" not in text and not destructive(text)


class Operator(str):
    """An operator that compares (and hashes) as ``+`` whatever it holds."""

    def __eq__(self, other):
        return other == "+"

    def __hash__(self):
        return hash("+")


def test_an_operator_that_compares_as_another_is_read_for_its_characters():
    op = Operator(f"+ 1); {SYSTEM}; trace(1 +")
    t = Tracer()

    @t.probe("BEGIN")
    def b():
        with pytest.raises(DSLError, match="not a D binary operator"):
            trace(D(T.Binary(op, T.IntLit("1"), T.IntLit("2"))))
        trace(1)

    assert SYSTEM not in t.compile().text


def test_the_printer_refuses_a_str_subclass_set_around_the_constructor():
    """The last line of defence: a node whose text was swapped in after it was built (each
    ``_problem`` asks ``type(x) is str``, as the constructor's fast paths do)."""
    node = T.Comment("hello")
    object.__setattr__(node, "text", Concatenating("hello"))
    with pytest.raises(DSLError, match="comment's text is a str"):
        to_d(T.Program((node,)))
    node = T.ThisVar("x")
    object.__setattr__(node, "name", Vouching(f"x; {SYSTEM}; y"))
    with pytest.raises(DSLError):
        to_d(node)


# --- a subclass of int: D gets the number it holds -------------------------------------------------

class Int(int):
    """Says another number wherever it is asked for text or an index."""

    def __str__(self):
        return "99"

    __repr__ = __str__

    def __format__(self, spec):
        return "99"

    def __index__(self):
        return 98

    def __int__(self):
        return 97


def test_an_int_subclass_is_the_number_it_holds():
    """``trace(Int(3))`` printed ``trace(99)``: the value's ``str()``, not its number."""
    t = Tracer(options={"bufsize": Int(8)}, defines={"N": Int(5)})

    @t.probe("BEGIN")
    def b():
        trace(Int(3))
        trace(hexint(Int(3)))
        trace(macro(Int(1)))
        printf("%d\n", Int(-3))
        agg.q = lquantize(Int(4), Int(0), Int(10), Int(1))

    text = t.compile().text
    for wanted in ("trace(3);", "trace(0x3);", "trace($1);", 'printf("%d\\n", -3);',
                   "lquantize(4, 0, 10, 1)", "bufsize=8", "#define N 5"):
        assert wanted in text, (wanted, text)
    assert "99" not in text and "98" not in text and "97" not in text


def test_an_int_enum_member_is_its_number():
    """``class Sig(int, Enum)``: ``str(Sig.KILL)`` is ``Sig.KILL``, which was refused as "not a D
    integer constant"."""
    class Sig(int, enum.Enum):
        KILL = 9

    t = Tracer()

    @t.probe("BEGIN")
    def b():
        trace(Sig.KILL)
        agg.n[Sig.KILL] = count()

    text = t.compile().text
    assert "trace(9);" in text and "@n[9] = count();" in text


# --- run: a dtrace that answers -V or -e without end ----------------------------------------------

def _fake_dtrace(tmp_path, answer_bytes: int) -> str:
    path = tmp_path / "dtrace"
    path.write_text("#!/bin/sh\n"
                    f"head -c {answer_bytes} /dev/zero | tr '\\0' 'x'\n"
                    "exit 1\n")
    path.chmod(0o755)
    return str(path)


def _peak_of(call: str) -> tuple[int, str]:
    code = OWN_PEAK + f"""
import sys
sys.path.insert(0, {ROOT!r})
from dtracepy.run import dtrace_binary
print(repr({call}))
print(_own_peak_kb())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said, peak = done.stdout.splitlines()[-2:]
    return int(peak), said


@pytest.mark.parametrize("call", ["dtrace_binary.detect_dialect({path!r})",
                                  "dtrace_binary.unknown_types({path!r}, ['tcp_t'])"])
def test_a_dtrace_that_answers_without_end_is_read_to_a_bound(tmp_path, call):
    """``dtrace -V`` (asked by every ``run`` of a tracer) and ``dtrace -e`` were read whole: a
    program named as dtrace that printed 400 MB took 1.2 GB (and one that never stops, memory
    until the 30 s timeout)."""
    path = _fake_dtrace(tmp_path, 96 << 20)
    peak, said = _peak_of(call.format(path=path))
    assert said in ("None", "[]")
    assert peak < 80 * 1024, f"{peak} KB"


def test_a_real_answer_is_still_read(tmp_path):
    """Control: a short answer is read whole, stdout and stderr together."""
    path = tmp_path / "dtrace"
    path.write_text("#!/bin/sh\necho 'dtrace: Oracle D 2.0' >&2\nexit 0\n")
    path.chmod(0o755)
    from dtracepy.run.dtrace_binary import detect_dialect

    assert detect_dialect(str(path)) == "oracle"
