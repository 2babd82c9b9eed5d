"""The fast clause parser (dtracepy/parser.py: _clause_parser) against the LALR automaton alone.

The parser reads clauses first with a hand-written recursive-descent parser and leaves to the
automaton whatever that parser gives up on.  These tests parse the same text both ways and demand
the same result: equal trees with equal positions on every node, or the same error at the same
place.  Inputs: every file of the D corpus, trees drawn by hypothesis (tests/strategies.py), and
seeded mutations of corpus files (token soup spliced in, tokens dropped), which drive the fast
parser into the error paths it must hand back.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings

import strategies
from dtracepy import parser as P
from dtracepy import tree
from dtracepy.errors import DSyntaxError
from dtracepy.printer import to_d


def _outcome(text: str, fast: bool):
    """(tree, every node's (class, pos)) or ("error", message) for one way of parsing."""
    saved = P.FAST_CLAUSES
    P.FAST_CLAUSES = fast
    try:
        program = P.parse(text, "x.d")
    except DSyntaxError as err:
        return ("error", str(err))
    finally:
        P.FAST_CLAUSES = saved
    return [_flat(n) for n in program.walk()]


def _flat(node):
    """A node without recursion: its class, position, number of children and other fields (the
    pre-order list of these is the whole tree; ``==`` on a 3,000-deep tree would recurse)."""
    fields = []
    # (its class as dtracepy reads it, node.__class__: type() of a name may be a hidden class, as
    # tree._ScopedIdent, tree.shifted_ident)
    for name in tree._field_names(node.__class__):
        value = getattr(node, name)
        if isinstance(value, tree.Node):
            continue
        if isinstance(value, tuple):
            value = tuple(x for x in value if not isinstance(x, tree.Node))
        fields.append((name, value))
    return node.__class__.__name__, node.pos, sum(1 for _ in node.children()), tuple(fields)


def _same(text: str) -> None:
    fast, slow = _outcome(text, True), _outcome(text, False)
    assert fast == slow, text[:2000]


def _used_fast(text: str) -> int:
    """How many clauses of ``text`` the fast parser read (to see that the tests exercise it)."""
    from dtracepy.lexer import Lexer

    lexer = Lexer(text, "x.d")
    fast = P._clause_parser(lexer.position_function())
    try:
        return sum(1 for toks in lexer.items() if toks[0][0] == "PDESC" and fast(toks) is not None)
    except DSyntaxError:
        return 0


def _corpus_texts(root):
    out = []
    for line in (root / "MANIFEST.tsv").read_text().splitlines()[1:]:
        path = root / line.split("\t", 1)[0]
        out.append((path.name, path.read_bytes().decode("utf-8", "replace").replace("\0", " ")))
    return out


def test_corpus_same_trees_and_errors(corpus):
    texts = _corpus_texts(corpus)
    fast_clauses = 0
    for name, text in texts:
        _same(text)
    fast_clauses = sum(_used_fast(text) for _, text in texts[::10])
    assert fast_clauses > 500  # the fast parser does read most clauses of real scripts


def test_mutated_corpus_same_errors(corpus):
    texts = _corpus_texts(corpus)
    rng = random.Random(8)
    soup = ["(", ")", "{", "}", "[", "]", ";", ",", "/", "=", "==", "?", ":", "->", ".", "++", "x",
            "1", '"s"', "if", "else", "(int)", "sizeof", "self->", "@a", "$1", "&&", "*", "-", "!"]
    for _ in range(400):
        name, text = rng.choice(texts)
        if not text:
            continue
        pieces = text.split(" ")
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(pieces))
            if rng.random() < 0.5:
                pieces.insert(at, rng.choice(soup))
            else:
                del pieces[at]
                if not pieces:
                    pieces = [""]
        _same(" ".join(pieces))


@pytest.mark.parametrize("text", [
    "BEGIN { x = 1 }",  # the last statement without ';'
    "BEGIN { x = 1; ; { y = 2; } }",
    "BEGIN { if (a) if (b) x = 1; else y = 2; else z = 3; }",
    "BEGIN { if (a) { } else if (b) ; else { x++; } }",
    "a:b:c:d, e:f:g:h, { }",  # a comma after the last description: an error
    "a:b:c:d, e:f:g:h { }",
    "a:b:c:d,\ne:f:g:h,\n/x/ { }",
    "BEGIN /x/",
    "BEGIN /a, b/ { c = d, e; }",
    "BEGIN { a = b = c += d; x = a ? b : c ? d : e; }",
    "BEGIN { x = a + b * c - d / e % f << 1 >> 2 & 3 | 4 ^ 5 && 6 || 7 ^^ 8 == 9 != 10 < 11 > 12 <= 13 >= 14; }",
    "BEGIN { x = -~!*&y; ++x; x--; sizeof x; sizeof(y)[1]; stringof(z); stringof z->p; }",
    "BEGIN { f(); g(1, 2, h(3)); a[1, 2] = b[c][d]; x = y->z.w->v; self->a = this->b + this->int; }",
    "BEGIN { `kmem_flags = genunix`x + 'a' + \"s\\n\" + $1 + $$2 + $target + @a + @; }",
    # what the fast parser leaves to the automaton
    "BEGIN { x = (int)y; z = sizeof (int); w = offsetof(struct s, a); v = xlate <psinfo_t *>(p); }",
    "BEGIN { x = (uint64_t)y; }",
    "BEGIN { a + b = c; }",
    "BEGIN { (a) = 1; -a = 2; a ? b : c = d; }",
    "BEGIN { x = ; }",
    "BEGIN { x = 1 y = 2; }",
    "BEGIN { if x; }",
    "BEGIN { if (x) }",
    "BEGIN { f(1,); }",
    "BEGIN { f(1 }",
    "BEGIN / x",
    "BEGIN /x/ { y = 1; } int z; END { }",
    "int x; BEGIN { x = 1; } inline int y = 2; tick-1s /y/ { exit(0); }",
    "BEGIN { x = " + "(" * 200 + "1" + ")" * 200 + "; }",
    "BEGIN { x = " + "-" * 3000 + "1; }",
    "BEGIN { x = 1" + " + 1" * 3000 + "; }",
    "BEGIN {\n" + "if (x)\n" * 989 + "y = 1;\n}\n",
    "BEGIN {\n\tif (x == 0) { y = 0; }\n" + "".join(f"\telse if (x == {i}) {{ y = {i}; }}\n" for i in range(1, 1000)) + "}\n",
    "BEGIN { ;;; x;; ;\n; if (x) ;; else ;/**/; { ; ;} ;}",  # runs of ';' (lexer.SEMIS)
    "BEGIN { ;; (int)y;;; if (x) ; else ;; }",  # the same read by the automaton
    "BEGIN { x = ;; }",
    "BEGIN /x;;/ { }",
    "int x;; BEGIN { }",
    "BEGIN { x = 08; }",  # a lexing error inside a clause
    "BEGIN { x = = 08; }",  # a syntax error before it wins
    "BEGIN { x = 1; }\nEND { y = \"unterminated; }",
    "BEGIN { self->x = 1; } syscall::read:entry, syscall::write:entry /self->x/ { @[probefunc] = count(); }",
])
def test_cases(text):
    _same(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.programs())
def test_generated_programs(program):
    _same(to_d(program))


def test_fast_parser_used_for_plain_clauses():
    assert _used_fast("BEGIN { x = 1; } syscall::read:entry /pid == $target/ { @a[execname] = count(); }") == 2
    assert _used_fast("BEGIN { x = (int)y; }") == 0


def test_positions_follow_the_tables_builder(monkeypatch):
    # The automaton's callbacks belong to the builder its tables were made with; a parser swapped
    # back in (as tests/test_parser_tables.py does) must still place nodes in the text parsed now.
    P.parse("BEGIN { }")
    old = P._parser
    monkeypatch.setattr(P, "_parser", None)
    P.parse("\n\n\n\n\n\n\n\nBEGIN { }")  # a new parser and builder
    monkeypatch.setattr(P, "_parser", old)
    program = P.parse("int x;\nBEGIN { y = (int)x; }\n", "x.d")
    assert [str(n.pos) for n in program.items] == ["x.d:1:1", "x.d:2:1"]
    assert str(program.items[1].body[0].expr.value.pos) == "x.d:2:13"


def test_the_fast_parsers_token_sets_are_the_grammars():
    """The fast parser tells the usual case (an operand with nothing after it) by set lookups
    before its comparisons: the sets must be what d.lark says may follow."""
    import re
    from pathlib import Path

    grammar = (Path(P.__file__).parent.parent / "grammar" / "d.lark").read_text()
    postfix = set()  # what follows postfix_expr in its own alternatives: the first word, or (A | B)
    for after in re.findall(r"\|\s*postfix_expr\s+(\([^)]*\)|\w+)", grammar):
        postfix.update(re.findall(r"[A-Z_]+", after))
    assert postfix == P._POSTFIX_TOKENS
    assign_ops = re.search(r"\?assign_op:(.*?)\n(?!\s*\|)", grammar, re.S).group(1)
    assert set(re.findall(r"[A-Z_]+", assign_ops)) == P._ASSIGN_TOKENS
    assert P._AFTER_OPERAND_TOKENS == P._ASSIGN_TOKENS | P._BINOP_TOKENS | {"QUESTION"}
