"""perf22l (session 21, issue 8's speed margins): the work ``layout`` does on its slowest 4 MB rows,
counted (no timing), and the places and texts it gives checked against the slower ways they were
computed.

- ``token_place`` of a refused header's last token walks no regular-expression match per token;
- the converter makes no ``Attrs()`` per record, no evaluation stack per plain array size, and lets
  each member's spec go once the engine placed it (a struct of 300,000 members peaked with them);
- the fast reader reads ``type name[N];`` members without a declaration's detour;
- ``blank_words`` blanks the same words as the ``\\b(word|...)\\b`` it replaced.
"""

from __future__ import annotations

import gc
import random
import re
import weakref

import pytest

from dtracepy.errors import LayoutError
from dtracepy.layout import cdecl, consts, engine, fastc, fastc_lex, parse_layouts, prepass


class _CountedPattern:
    """A compiled pattern whose ``finditer`` counts the matches it gives."""

    def __init__(self, pattern):
        self.pattern_object, self.matches = pattern, 0
        self.pattern = pattern.pattern

    def finditer(self, *args):
        for m in self.pattern_object.finditer(*args):
            self.matches += 1
            yield m

    def __getattr__(self, name):
        return getattr(self.pattern_object, name)


def _slow_token_place(text: str, at: int):
    """token_place as it was: a match at a time."""
    file, line, line_start, ref = None, 1, 0, 0
    k = 0
    for m in fastc_lex._TOKEN.finditer(text):
        t, q = m.group(1), m.start(1)
        if t[:1] == "#" and not text[text.rfind("\n", 0, q) + 1:q].strip():
            marker = fastc_lex._LINE_MARKER.fullmatch(t)
            if marker:
                end = text.find("\n", m.end())
                file = marker.group(2) or file
                line, line_start, ref = int(marker.group(1)[:9]), end + 1, end + 1
                if end < 0:
                    line_start = ref = len(text)
            continue
        if k == at or t == "":
            line += text.count("\n", ref, q)
            nl = text.rfind("\n", ref, q)
            if nl >= 0:
                line_start = nl + 1
            return line, q - line_start + 1, file
        k += 1
    return line, 1, file  # pragma: no cover


def test_token_place_walks_no_match_per_token(monkeypatch):
    text = '# 1 "x.h"\n' + "struct s { int a; long b; };\n" * 2000 + '# 7 "y.h"\n  typeof(int) last;\n'
    at = 2000 * 11  # (typeof: eleven tokens a line before it)
    counted = _CountedPattern(fastc_lex._TOKEN)
    monkeypatch.setattr(fastc_lex, "_TOKEN", counted)
    assert fastc_lex.token_place(text, at) == (7, 3, "y.h")
    assert counted.matches == 0  # (was 22,002: one per token up to it)


@pytest.mark.parametrize("stretch", [1, 3, 11, 1 << 16])
def test_token_place_is_the_slow_walks(stretch, monkeypatch):
    monkeypatch.setattr(fastc_lex, "_STRETCH", stretch)  # (a stretch cut after newlines: the same places)
    rng = random.Random(22)
    pieces = ["a", " ", "\n", "\t", "#", '# 3 "f.h"', "# 4", '"s#"', "'#'", "(", "1e", "\r", "x\n# 9 \"g.h\"\n",
              "\n  # line 12 \"k.h\" x\n", "#pragma q"]
    texts = ['# 1 "x.h"\nint a;\n# 9\nlong b;', "", "#", '# 1 "x.h"\nint a;\n# 9 "z.h"']
    texts += ["".join(rng.choices(pieces, k=rng.randint(0, 25))) for _ in range(600)]
    for text in texts:
        for at in range(30):
            assert fastc_lex.token_place(text, at) == _slow_token_place(text, at), (text, at)


def test_tokens_without_their_directives():
    """The directives taken out by list.index (each '#' a directive line's) give the tokens the
    filter of every token gave."""
    rng = random.Random(21)
    pieces = ["a", " ", "\n", "#", '# 3 "f.h"', "# 4", '"s#"', "'#'", "(", "#pragma x", "\n#define Q",
              "\n# 5 \"g.h\"\n", "x\n"]

    def slow(text):  # (as it was)
        toks = fastc_lex._TOKEN.findall(text)
        while toks and toks[-1] == "":
            toks.pop()
        directives = [t for t in toks if t[:1] == "#"]
        if directives:
            if len(directives) != len(fastc_lex._DIRECTIVE_LINE.findall(text)):
                return "inside", fastc_lex._before(fastc_lex.Unsupported(), toks, fastc_lex._stray_hash(text)).at
            for d in directives:
                if not fastc_lex._LINE_MARKER.fullmatch(d):
                    return "directive", fastc_lex._before(fastc_lex.Unsupported(), toks, toks.index(d)).at
            toks = [t for t in toks if t[:1] != "#"]
        return toks

    def quick(text):
        try:
            return fastc_lex._tokens(text)
        except fastc_lex.Unsupported as err:
            return "inside" if "inside" in str(err) else "directive", err.at

    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 14)))
        assert quick(text) == slow(text), text


def _records(n: int) -> str:
    return "".join(f"struct s{i} {{ int a; long b; char c[4]; }};\nint f{i}(struct s{i} *p, int n);\n"
                   for i in range(n))


def test_no_attrs_made_per_record(monkeypatch):
    made = []

    class Counted(cdecl.Attrs):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(cdecl, "Attrs", Counted)
    layouts = parse_layouts(_records(300), filename="h.h")
    assert layouts["s299"].size == 24
    assert made == []  # (was one a record: 300)


def test_a_plain_array_size_is_no_evaluation(monkeypatch):
    calls = []
    typed = consts.ConstantEvaluator._typed_const

    def counted(self, node):
        calls.append(node)
        return typed(self, node)

    monkeypatch.setattr(consts.ConstantEvaluator, "_typed_const", counted)
    layouts = parse_layouts(_records(300) + "struct t { char x[2147483647]; char y[1+1]; int z[012]; };\n",
                            filename="h.h")
    assert layouts["struct t"].size == 2147483652 + 40  # (x, y, padding to 4, z: ten ints)
    assert len(calls) == 2  # y's and z's (was one an array: 303)


def test_the_reader_reads_a_plain_array_member_itself(monkeypatch):
    calls = []
    declaration = fastc._Reader.declaration

    def counted(self, member):
        calls.append(member)
        return declaration(self, member)

    monkeypatch.setattr(fastc._Reader, "declaration", counted)
    parse_layouts(_records(300), filename="h.h")
    assert calls.count(True) == 0  # (was one a struct: 300)


@pytest.mark.parametrize("text, message, pos", [
    ("struct a { char x[4]; char x[2]; };\n", "duplicate member 'x' in struct a", "h.h:1:28"),
    ("struct a { T x[4]; };\n", "unknown type name 'T'", "h.h:1:12"),
    ("struct a { char x[0x]; };\n", None, None),
])
def test_plain_arrays_refused_as_before(text, message, pos, monkeypatch):
    """The reader's own array member, and where it gives way, against pycparser's path."""
    out = []
    for fast in (False, True):
        monkeypatch.setattr(cdecl, "FAST_READER", fast)
        with pytest.raises(LayoutError) as info:
            parse_layouts(text, filename="h.h")
        out.append((info.value.message, str(info.value.pos)))
    assert out[0] == out[1]
    if message is not None:
        assert out[1][0].startswith(message) and out[1][1] == pos


def test_each_spec_let_go_once_placed(monkeypatch):
    specs = []
    made = engine.MemberSpec

    def spec(*args, **kwargs):
        s = made(*args, **kwargs)
        specs.append(weakref.ref(s))
        return s

    alive = []
    member = engine.Member

    def counted(*args, **kwargs):
        alive.append(sum(1 for s in specs if s() is not None))
        return member(*args, **kwargs)

    monkeypatch.setattr(cdecl, "MemberSpec", spec)
    monkeypatch.setattr(engine, "Member", counted)
    collecting = gc.isenabled()
    gc.disable()  # (as parse_layouts: nothing freed but by its last reference)
    try:
        layout = parse_layouts("struct a {" + "".join(f" int m{i};" for i in range(300)) + " };\n",
                               filename="h.h")["a"]
    finally:
        if collecting:
            gc.enable()
    assert layout.size == 1200 and len(alive) == 300
    assert alive[0] == 300 and alive[-1] <= 2  # (was all 300 to the last)


def test_too_large_a_record_located_at_its_last_member():
    with pytest.raises(LayoutError) as info:
        parse_layouts("struct a { char x[1]; char y[6000000000000000000]; char z[6000000000000000000];\n"
                      " char w[6000000000000000000]; char v[6000000000000000000]; };\n", filename="h.h")
    assert info.value.message.startswith("struct a is too large") and str(info.value.pos) == "h.h:2:36"


def test_blank_words_as_the_word_boundaries_gave():
    words = sorted(prepass._BLANK_WORDS | set(prepass._RESPELLED), key=len, reverse=True)
    before = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|\b(' + "|".join(words) + r")\b")

    def slow(text):
        def replace(m):
            word = m.group(1)
            if word is None:
                return m.group()
            return prepass._RESPELLED[word].ljust(len(word)) if word in prepass._RESPELLED else " " * len(word)
        return before.sub(replace, text)

    rng = random.Random(8)
    pieces = words + ["x", "_", " ", "\n", '"', "'", "\\", "é", "1", "(", '"__inline"', "'a'", "ٳ"]
    for _ in range(5000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 12)))
        assert prepass.blank_words(text).text == slow(text), repr(text)
