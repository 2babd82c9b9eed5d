"""Reading a clause whose text came before (session 16, issue 8: dense D at 1 MB/s, any input
under 4 MiB within 5 s): the lexer gives its tokens again without a scan (lexer.MAX_REST) and
the parser makes its tree with a function written for the text (parser._maker).  Counted, never
timed; the tokens, parts, trees, positions and errors are those of the lexer and parser without
either (the caches off: ``REST_MISSES = 0``, ``REMAKE_AFTER`` past any count).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest

from dtracepy import lexer, parser, tree
from dtracepy.errors import DSyntaxError
from test_lexer_work import _count
from test_reading_speed import DENSE, _opcodes


class _Counted:
    """A token pattern whose scans' matches are counted (``lexer._TOKEN_RE`` and the others)."""

    def __init__(self, pattern, seen: list):
        self.pattern = pattern
        self.seen = seen

    def finditer(self, text, pos=0):
        for m in self.pattern.finditer(text, pos):
            self.seen.append(m)
            yield m

    def __getattr__(self, name):
        return getattr(self.pattern, name)


def _matches(text: str, monkeypatch) -> int:
    seen: list = []
    with monkeypatch.context() as m:
        for name in ("_TOKEN_RE", "_BODY_TOKEN_RE", "_BODY_PLAIN_RE"):
            m.setattr(lexer, name, _Counted(getattr(lexer, name), seen))
        for _ in lexer.Lexer(text).items(parser.CLAUSE_PART):
            pass
    return len(seen)


def _read(text: str, chunk=None):
    """Everything the lexer gives of ``text``: its items (and ``more``, ``resume``), or the error
    and the tokens before it; the top-level nodes, typedefs and ``semis``."""
    lex = lexer.Lexer(text, "r.d")
    out = []
    try:
        for item in lex.items(chunk):
            out.append((list(item), lex.more, lex.resume))
    except DSyntaxError as err:
        out.append(("error", err.render(), list(lex.partial)))
    return out, [repr(n) for n in lex.toplevel], sorted(lex.typedefs), lex.semis


def _dump(x, out):
    """A node's class, position and fields, depth first (positions are no part of ``==``)."""
    if isinstance(x, tree.Node):
        out.append((type(x).__name__, x.pos))
        for name in tree._field_names(type(x)):
            _dump(getattr(x, name), out)
    elif isinstance(x, (tuple, list)):
        out.append(len(x))
        for y in x:
            _dump(y, out)
    else:
        out.append(x)
    return out


def _parsed(text: str):
    try:
        return _dump(parser.parse(text, "r.d"), [])
    except DSyntaxError as err:
        return err.render()


@contextlib.contextmanager
def _uncached(monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(lexer, "REST_MISSES", 0)
        m.setattr(lexer, "CLAUSE_SHAPES", False)  # (perf23c's clauses of one shape: another cache)
        m.setattr(parser, "REMAKE_AFTER", 1 << 60)
        yield


def test_a_clause_read_before_costs_the_lexer_no_scan(monkeypatch):
    # Before: six scans and 41 matches a dense clause (3,600 steps: 87.5 a token); now its tokens
    # are the text's, kept from its second sighting: no match, ~225 steps.
    text = DENSE * 200
    assert _matches(text, monkeypatch) <= 2 * 41 + 5
    steps = _opcodes(lambda: [None for _ in lexer.Lexer(text).items(parser.CLAUSE_PART)], lexer.__file__)
    assert steps / 200 <= 400
    # a clause's predicate and body after other probe descriptions too
    text = "".join(f"syscall::f{i}:entry{DENSE[DENSE.index(chr(10)):]}" for i in range(200))
    assert _matches(text, monkeypatch) <= 2 * 40 + 5


def test_a_clause_read_often_costs_the_parser_no_call(monkeypatch):
    # Before: some 27 calls of the fast parser's functions a dense clause; now, once the text has
    # come REMAKE_AFTER times, its maker (one call, of code outside parser.py) and the driver's
    # settling of the automaton (4 calls a clause in all).
    text = DENSE * (parser.REMAKE_AFTER + 2 + 300)
    calls = _count(lambda: parser.parse(text), "call", parser.__file__)
    assert calls <= (parser.REMAKE_AFTER + 2) * 30 + 4 * 300


def test_distinct_clauses_cost_the_lexer_no_more_steps(monkeypatch):
    # A text is kept from its second sighting; after REST_MISSES first sightings more than texts
    # seen again, no text is looked up.
    text = "".join(f"syscall::f{i}:entry{{self->t{i} = timestamp;}}\n" for i in range(3_000))

    def steps():
        return _opcodes(lambda: [None for _ in lexer.Lexer(text).items(parser.CLAUSE_PART)], lexer.__file__)

    cached = steps()
    with _uncached(monkeypatch):
        assert cached <= 1.02 * steps()


EDGES = [
    DENSE,
    "BEGIN{x = (foo_t)y; z = (foo_t *)p;}\n",  # a typedef after it changes its tokens
    'BEGIN{printf("}"); x = 1;}\n',  # a '}' in a string: the text to the first '}' is no clause
    "BEGIN{/* } */ x = 1;}\n",
    'BEGIN{printf("#x %d", 1);}\n',
    "BEGIN\n{\n#pragma D option quiet\nx = 1;\n}\n",  # a top-level node made inside: never kept
    "BEGIN{;;; x;;}\n",  # SEMIS
    "BEGIN{if (x) {y = 1;} else {z = 2;}}\n",  # its first '}' is no clause's end
    "BEGIN /x/ {y = 1;}\n", "BEGIN /x/\n", "BEGIN /x/ ;\n",  # a predicate alone: no body
    "syscall::read:entry,\nsyscall::write:entry\n/pid == $1/\n{\n\t@[probefunc] = count();\n}\n",
    "BEGIN{x = 10ul + 0x1F + 077 + $$1 + `k + genunix`kmem + 'a' + \"a\\n\\\"b\";}\r\n",
    "BEGIN{x = sizeof (int) + sizeof(x) + stringof(y) + offsetof(struct s, f); y = xlate<foo_t *>(x);}\n",
    "BEGIN{" + "x = y;" * 12 + "}\n",  # more tokens than a part of 7
    "BEGIN{x = 08;}\n", "BEGIN{x = 1.5;}\n", "BEGIN{x = 99999999999999999999;}\n",  # errors
    "BEGIN{x = \u00a0;}\n", "BEGIN{x = (;}\n", "BEGIN{x = y)}\n", "BEGIN{x = f(];}\n",
    "BEGIN{this->t = 1; self->t = this->t; @a[1] = quantize(self->t); trace(x->y.z); x++; --x;}\n",
]
TOPS = ["typedef int foo_t;\n", "static;\n", "self int t;\n", "int a[(;\n", "typedef\n", "/* c */\n",
        "#pragma D option quiet\n", "struct s { int f; };\n", "inline int N = 3;\n", "x:y:z:w /a/\n"]


@pytest.mark.parametrize("edge", EDGES)
def test_a_clause_read_again_has_the_tokens_and_tree_of_a_scan(edge, monkeypatch):
    # The text repeated past REMAKE_AFTER, with top-level items between some of its sightings (a
    # typedef, a declaration left open, comments, pragmas, a clause without a body), in one line
    # and with CRLF: the same items, parts and resumes, errors, top-level nodes, trees and
    # positions as the lexer and parser without their caches.
    texts = [edge * (parser.REMAKE_AFTER + 4)]
    for top in TOPS:
        texts.append(edge * 3 + top + edge * (parser.REMAKE_AFTER + 4) + top + edge * 2)
    texts.append(texts[-1].replace("\n", "\r\n"))
    texts.append(texts[1].replace("\n", " "))
    for text in texts:
        got = (_read(text), _read(text, 7), _read(text, parser.CLAUSE_PART), _parsed(text))
        with _uncached(monkeypatch):
            assert got == (_read(text), _read(text, 7), _read(text, parser.CLAUSE_PART), _parsed(text)), text[:300]


def test_a_tree_made_by_a_maker_is_the_parsers(monkeypatch):
    # Every node new and of its own class (no builder escapes), equal to the automaton's with its
    # positions; an empty statement after another is the same node, as the parser makes it.
    text = "BEGIN{x = 1;;; y[1, \"s\"] = -z ? f(a) : b->c; if (x) {@a = count();} else ;}\n" * (
        parser.REMAKE_AFTER + 10)
    made = []
    maker = parser._maker

    def counted(clause):
        made.append(maker(clause))
        return made[-1]

    monkeypatch.setattr(parser, "_maker", counted)
    program = parser.parse(text, "m.d")
    assert len(made) == 1 and made[0] is not False
    nodes = [n for item in program.items for n in item.walk()]
    assert all(type(n) in vars(tree).values() for n in nodes)
    assert len({id(n) for n in nodes}) == len(nodes) - len(program.items)  # (the two empty statements)
    last = program.items[-1].body
    assert last[1] is last[2] and last[1] is not program.items[-2].body[1]
    with pytest.raises(AttributeError):
        program.items[-1].probes[0].text = "x"  # (frozen)
    fast = _dump(program, [])
    monkeypatch.setattr(parser, "FAST_CLAUSES", False)
    assert fast == _dump(parser.parse(text, "m.d"), [])


def test_check_C_of_a_text_with_nothing_to_preprocess_does_not_import_pcpp(tmp_path):
    # pcpp, ply and what they import were some 90 M instructions of every `check -C` of dense D,
    # which never runs the preprocessor (preprocess._plain).
    code = ("import sys; from dtracepy.parser import parse_bytes; "
            "parse_bytes(b'BEGIN { x = 1; }\\n', 'x.d', cpp=True); "
            "parse_bytes(b'#define N 1\\nBEGIN { x = N; }\\n', 'y.d', cpp=False); "
            "print('pcpp' in sys.modules, 'ply' in sys.modules)")
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.split() == ["False", "False"]
