"""perf24b (session 23, issue 8): ``check`` (without -C) of 4 MiB of ``#define Mi i`` lines.

What was made cheaper, each compared with the path it skips (switched off or kept here as it was)
on generated and malformed inputs, never timed:
- the lexer reads a plain '#' line (``lexer._PLAIN_LINE_RE``) in one match, not by the general
  path (``Lexer._directive_read``), and makes its node by its builder, untested;
- ``Directive`` takes a plain text (``tree._PLAIN_DIRECTIVE_TEXT``) without its whole test;
- the printer prints a directive after a '#' line in a shorter loop (``DPrinter.visit_Program``);
- ``cpp-directive`` makes its message once per directive name (one string shared by its findings);
- ``render_located`` shows a message said again as it showed it the time before;
- ``Context.defined_macros`` matches by one compiled pattern.
"""

from __future__ import annotations

import random

import pytest

from dtracepy import errors as E
from dtracepy import lexer as L
from dtracepy import parser as P
from dtracepy import printer as PR
from dtracepy import tree as t
from dtracepy.checks import CheckOptions, Finding, check_program
from dtracepy.checks import preprocessor
from dtracepy.errors import DSyntaxError
from dtracepy.facts.directives import DIRECTIVES

# --- generated '#' lines ----------------------------------------------------------------------------

_NAMES = sorted(DIRECTIVES - {""}) + ["pragma", "bogus", "Define", "define2", "_x", "", " define", "\tline"]
_PIECES = [" ", "\t", "  ", "X", "M1", "1", "(x)", "(x, y)", " (x)", "x+1", "\"a\"", "'c'", "<a.h>", "/", "*",
           "/*", "*/", "/* c */", "//", "\\", "??/", "?", "??", "#", "##", "%:", "\r", "\x0b", "\x0c", "\x01",
           "\x7f", "é", "\u202e", "\u2028", "\udcff", "~", "[", "]", "{", "}", "$", "@", "`", ";", ",", "5",
           "08", "0x10", "\"a*/b\"", "D option quiet", "D option destructive", "!", "define"]


_PLAIN_NAMES = ["define", "define", "define", "undef", "line", "ident", "ifdef", "ifndef", "endif", "warning",
                "include", "assert", "sccs"]
_PLAIN_PIECES = [" ", "\t", "X", "M1", "1", "(x)", "(x, y)", "x+1", "\"a\"", "<a.h>", "*", "?", "~", "5", "system"]


def _line(rng: random.Random, risk: float) -> str:
    if rng.random() >= risk:  # (most texts well-formed: an error ends the comparison of a text)
        name = rng.choice(_PLAIN_NAMES)
        rest = "".join(rng.choice(_PLAIN_PIECES) for _ in range(rng.randint(0, 4)))
        sep = rng.choice([" ", "\t", "  ", " \t "])
    else:
        name = rng.choice(_NAMES)
        rest = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 5)))
        sep = rng.choice(["", " ", "\t", "  ", " \t "])
    return "#" + rng.choice(["", "", " ", "\t"]) + name + (sep + rest if rest or rng.random() < 0.3 else "")


_OTHERS = ["BEGIN { trace(1); }", "BEGIN /x/\n#line 9", "/* c */", "syscall::read:entry { system(\"id\"); }",
           "#define T system", "BEGIN { T(\"id\"); }", "#pragma D option quiet", "#pragma D option destructive",
           "int x;", "#!/usr/sbin/dtrace -s", "#if 1", "#endif", "#error stop", "#define F(x) x", "#undef X",
           "BEGIN { F(1); M3; }", "", "   #define Z 1", "#define E1 1", "#define M1 x", "BEGIN { X; }"]
_RISKY = ["BEGIN\n#define X 1\n{ x = 1; }", "BEGIN { x = 1;\n#define Y 2\n}", "#line 5 \\", "#line 5\r",
          "#define C 1 \\\n2"]


def _text(rng: random.Random) -> str:
    risk = rng.choice([0, 0, 0, 0.02, 0.1, 0.5])
    lines = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.7:
            lines.append(_line(rng, risk))
        else:
            lines.append(rng.choice(_RISKY if rng.random() < risk else _OTHERS))
    return "\n".join(lines) + rng.choice(["\n", "\n", "", "\nBEGIN {}\n", "\r\n" if risk else "\n"])


def _read(text: str):
    """The lexer's tokens, top-level nodes (with positions) and error for ``text``."""
    lexer = L.Lexer(text, "x.d")
    items, error = [], None
    try:
        for item in lexer.items(P.CLAUSE_PART):
            items.append(list(item))
    except DSyntaxError as err:
        error = err.render()
    return items, [(repr(node), node.pos) for node in lexer.toplevel], error


def _checked(text: str, cpp: bool = False, fresh: bool = False):
    """The findings of ``check`` (the destructive check's expansion included), rendered (``fresh``:
    each with no message shown before), and the program printed; or the error."""
    try:
        program = P.parse_bytes(text.encode("utf-8", "surrogateescape"), "x.d", cpp=cpp)
    except Exception as err:  # noqa: BLE001 - what is raised is compared
        return type(err).__name__, str(err)
    options = CheckOptions(expand=P.expanded)
    found = []
    for finding in check_program(program, options, source=text):
        if fresh:
            E._LAST_SHOWN = (None, None)
        found.append(finding.render())
    return found, PR.to_d(program)


def _general(monkeypatch):
    """Every fast path of this change off: the lexer's plain line, the lexer's kept lines, the
    Directive's kept and plain texts, the cpp-directive messages' sharing, the shown message."""
    monkeypatch.setattr(L, "_PLAIN_LINE_RE", lambda line: None)
    monkeypatch.setattr(L, "MAX_LINES_READ", 0)
    monkeypatch.setattr(t, "_DIRECTIVES_SEEN", set())
    monkeypatch.setattr(t, "_PLAIN_DIRECTIVE_TEXT", lambda text: None)
    monkeypatch.setattr(preprocessor, "run", _preprocessor_run_before)


def _preprocessor_run_before(ctx):
    """preprocessor.run as it was before perf24b (a message made for each directive)."""
    from dtracepy.facts.directives import refused_without_cpp

    item, _, problems = ctx.shebang_reading
    for problem in problems:
        yield ctx.finding("shebang", item, f"run as a program, the script would not start: {problem}", "warning")
    if "C" in ctx.shebang_flags:
        return
    has_shebang = any(isinstance(item, t.Shebang) for item in ctx.program.items[:1])
    for item in ctx.items_of(t.Directive):
        if not refused_without_cpp(item.name):
            continue
        if has_shebang:
            message = (f"#{item.name} needs the C preprocessor, and the #! line runs dtrace without -C "
                       "(\"invalid control directive\"): add C to its flags (#!/usr/sbin/dtrace -Cs)")
            yield ctx.finding("cpp-directive", item, message, "error")
        else:
            message = (f"#{item.name} needs the C preprocessor: dtrace -s refuses it (\"invalid control "
                       "directive\"), dtrace -C -s reads it; check -C checks the script so (or give it "
                       "a #!/usr/sbin/dtrace -Cs line)")
            yield ctx.finding("cpp-directive", item, message, "warning")


@pytest.mark.parametrize("seed", range(80))
def test_a_plain_line_reads_as_the_general_path_reads_it(monkeypatch, seed):
    """Tokens, nodes, positions, errors, the findings (the expansion's included) and the printed
    program of generated texts of '#' lines, well-formed and malformed (continued, CRLF, comments,
    control and hidden characters, unknown names, #pragma, in clauses, at the end without a
    newline), with and without -C: the same with the fast paths as without them."""
    text = _text(random.Random(seed))
    fast = _read(text), _checked(text), _checked(text, cpp=True)
    with monkeypatch.context() as m:
        _general(m)
        general = _read(text), _checked(text, fresh=True), _checked(text, cpp=True, fresh=True)
    assert fast == general


def test_the_generated_texts_reach_the_fast_paths(monkeypatch):
    """(The comparison above is worth something: its texts have many plain lines, which the
    general path would have read, and findings of cpp-directive.)"""
    matched = []
    real = L._PLAIN_LINE_RE or L._plain_line_re()
    monkeypatch.setattr(L, "_PLAIN_LINE_RE", lambda line: (m := real(line)) and (matched.append(line) or m))
    warned = 0
    for seed in range(80):
        text = _text(random.Random(seed))
        _read(text)
        found = _checked(text)[0]
        warned += isinstance(found, list) and any("[cpp-directive]" in f for f in found)
    assert len(matched) > 300 and warned > 30, (len(matched), warned)


def test_distinct_define_lines_take_one_match_each(monkeypatch):
    """1,000 distinct `#define Mi i` lines: none read by the general path but the first (at
    offset 0), none given Directive's whole test (before: 1,000 of each)."""
    text = "".join(f"#define M{i} {i}\n" for i in range(1000)) + "BEGIN {}\n"
    reads, tests = [], []
    real_read = L.Lexer._directive_read
    monkeypatch.setattr(L.Lexer, "_directive_read", lambda self, *a: reads.append(1) or real_read(self, *a))
    real_line = t._line_problem
    monkeypatch.setattr(t, "_line_problem", lambda *a, **k: tests.append(1) or real_line(*a, **k))
    program = P.parse(text, "x.d")
    assert [item.text for item in program.items[:3]] == ["M0 0", "M1 1", "M2 2"]
    assert [item.pos.line for item in program.items[998:1001]] == [999, 1000, 1001]
    assert {type(item) for item in program.items} == {t.Directive, t.Clause}  # (no builder left)
    PR.to_d(program)
    assert len(reads) == 1
    assert tests == []


def test_the_lexers_plain_line_holds_what_the_directive_takes_untested():
    """The lexer makes a plain line's node without Directive's test (by its builder): the
    characters its pattern lets stand in a line's text are those _PLAIN_DIRECTIVE_TEXT lets pass
    (which pass the whole test: test_a_plain_directive_text_is_one_the_whole_test_passes)."""
    plain_line = L._PLAIN_LINE_RE or L._plain_line_re()
    for code in [*range(0x80), 0xA0, 0xE9, 0x2028, 0x202E, 0xDCFF, 0xFEFF]:
        ch = chr(code)
        if ch == "\n":
            continue
        in_line = plain_line("#define A" + ch + "B") is not None
        assert in_line == (t._PLAIN_DIRECTIVE_TEXT("A" + ch + "B") is not None), repr(ch)
    for name in L._NAMED_DIRECTIVES:
        assert t.Directive(name, "x").name == name  # (a name it makes a node of: one Directive takes)


@pytest.mark.parametrize("seed", range(20))
def test_a_plain_directive_text_is_one_the_whole_test_passes(monkeypatch, seed):
    """Directive's plain-text acceptance says None only where the whole test does (any name,
    random texts of the characters that matter to it)."""
    rng = random.Random(seed)
    chars = " \t/\\*?\"'#!x1_(),.\r\n\x00\x0b\x7fé\u202e~[]{}"
    for _ in range(300):
        name = rng.choice(sorted(DIRECTIVES))
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 8)))
        node = object.__new__(t.Directive)
        t._POS_SLOT.__set__(node, None)
        object.__setattr__(node, "name", name)
        object.__setattr__(node, "text", text)
        fast = node._problem()
        with monkeypatch.context() as m:
            m.setattr(t, "_PLAIN_DIRECTIVE_TEXT", lambda text: None)
            general = node._problem()
        assert fast == general, (name, text)


def test_the_printer_still_tests_each_directive(monkeypatch):
    """The printer's shorter loop for a directive after a '#' line still refuses one whose test
    fails (the last line of defence), at that directive."""
    program = P.parse("#define A 1\n#define B 2\n#pragma D option quiet\n#define C 3\nBEGIN {}\n", "x.d")
    seen = []
    monkeypatch.setattr(t.Directive, "_problem", lambda self: seen.append(self.text) or
                        ("no" if self.text == "C 3" else None))
    with pytest.raises(DSyntaxError) as err:
        PR.to_d(program)
    assert seen[-2:] == ["B 2", "C 3"]  # (the first item's test: visit()'s, found by its cached dispatch)
    assert err.value.pos.line == 4


class _PrinterBefore(PR.DPrinter):
    """DPrinter.visit_Program as it was before perf24b."""

    def visit_Program(self, node):
        import attrs

        T = t
        out = []
        previous = None
        items = node.items
        starts = self.item_starts
        record, known = self.item_record, self.known_items
        others = 0
        length = 0
        for index, item in enumerate(items):
            if previous is not None:
                together = isinstance(previous, PR._LINE_ITEMS) and isinstance(item, PR._LINE_ITEMS)
                out.append("\n" if together else "\n\n")
                if starts is not None:
                    length += 1 if together else 2
            braced = False
            if isinstance(item, T.Clause) and item.body is None and not PR.bodyless_is_d(items, index):
                item = attrs.evolve(item, body=())
                braced = True
            if index == 0 and isinstance(item, T.Directive) and item.name == "" and item.text.startswith("!"):
                out.append("# " + item.text)
            elif known is not None and index and not isinstance(item, T.Comment) and known[others][1] is braced:
                out.append(known[others][0])
            else:
                out.append(self.visit(item))
            if not isinstance(item, T.Comment):
                if record is not None:
                    record.append((out[-1], braced))
                others += 1
            if starts is not None:
                starts.append(length)
                length += len(out[-1])
            previous = item
        return "".join(out) + "\n" if out else ""


@pytest.mark.parametrize("seed", range(40))
def test_the_printer_prints_as_before(seed):
    """to_d of parsed programs of '#' lines, comments, clauses and declarations, with the items'
    offsets and the record of their texts: as the printer before printed them."""
    rng = random.Random(seed)
    pieces = ["#define M{} {}", "#line {}", "#pragma D option quiet", "# {} \"f.d\"", "#if {}", "#endif",
              "/* c{} */", "BEGIN {{ trace({}); }}", "BEGIN", "int x{};", "#undef M{}", "#ident \"v{}\"",
              "#!/usr/sbin/dtrace -s", "#define F{}(x) (x + {})"]
    lines = []
    for _ in range(rng.randint(1, 30)):
        piece = rng.choice(pieces)
        lines.append(piece.format(*[rng.randint(0, 9)] * piece.count("{}")))
    text = "\n".join(lines) + "\n"
    try:
        program = P.parse(text, "x.d")
    except DSyntaxError:
        return
    ran = []
    for cls in (PR.DPrinter, _PrinterBefore):
        printer = cls()
        printer.item_starts, printer.item_record = [], []
        ran.append((printer.visit(program), printer.item_starts, printer.item_record))
    assert ran[0] == ran[1]


def test_cpp_directive_shares_one_message_per_name():
    """1,000 `#define` lines and 10 `#undef` lines: two messages, not 1,010 copies (60 MB for
    190,000 lines), the same words as before."""
    text = "".join(f"#define M{i} {i}\n" for i in range(1000)) + "#undef M1\n" * 10 + "BEGIN {}\n"
    program = P.parse(text, "x.d")
    found = [f for f in check_program(program, CheckOptions(), source=text) if f.check == "cpp-directive"]
    assert len(found) == 1010
    assert len({id(f.message) for f in found}) == 2
    assert found[0].message.startswith("#define needs the C preprocessor: dtrace -s refuses it")
    assert found[-1].message.startswith("#undef needs the C preprocessor")


def test_a_message_said_again_is_shown_as_the_first_time():
    """render_located's last message, kept: the same text for messages in any order, a long word
    clipped, a control character escaped, each severity its own."""
    from dtracepy.source import Pos

    rng = random.Random(1)
    messages = ["a", "b " + "x" * 200, "c \x1b[2J", "d \udcff", "", "a", "e \u202e"]
    for _ in range(500):
        message, severity = rng.choice(messages), rng.choice(["error", "warning"])
        pos = rng.choice([None, Pos("x.d", 3, 1), Pos("x\udcff.d", 1)])
        line = rng.choice([None, "BEGIN { x = 1; }", "\tx\r"])
        kept = E.render_located(severity, message, pos, line)
        E._LAST_SHOWN = (None, None)
        assert kept == E.render_located(severity, message, pos, line)
        finding = Finding(severity, message, "cpp-directive", pos, line)
        kept = finding.render(), finding.render(with_context=True)
        E._LAST_SHOWN = (None, None)
        assert kept[0] == finding.render()
        E._LAST_SHOWN = (None, None)
        assert kept[1] == finding.render(with_context=True)
