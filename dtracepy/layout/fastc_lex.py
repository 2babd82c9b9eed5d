"""The fast reader's tokens (:mod:`.fastc`): one compiled regular expression (``findall``: a
list of token strings), the line markers taken out (any other directive, or a '#' inside a line,
is pycparser's to judge), and the place pycparser gives each struct and union (its tag or '{'),
the key of the attributes the prepass found; the token classes and depth costs the reader shares."""

from __future__ import annotations

import itertools
import re

from pycparser.c_parser import Coord


class Unsupported(Exception):
    """Outside the reader's subset (or not C at all): pycparser reads the text instead.  ``at``:
    the index of the token of the text (the prelude's not counted) where the reader gave way;
    ``tokens``: how many the text has (what pycparser's work grows with)."""

    at = 0
    tokens = 0
    toks = None  # the tokens of the text, where the reader had them


class Refused(Exception):
    """What gcc refuses where pycparser's path would not, in gcc's words (``message``), at the
    token ``at`` (of the text: the prelude's not counted, as :class:`Unsupported`'s)."""

    def __init__(self, message: str, at: int, input_location: bool = False):
        super().__init__(message)
        self.message, self.at = message, at
        self.input_location = input_location  # (at gcc's input_location there: alignas.input_column)


# (the punctuators that begin no longer token are tried second: every other alternative fails on them)
_TOKEN = re.compile(
    r"[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|[(){}\[\];,?~:]|[0-9][A-Za-z0-9_.]*|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|#[^\n]*"
    r"|<<=|>>=|[-+*/%&^|]=|<<|>>|<=|>=|==|!=|&&|\|\||->|\+\+|--|\.\.\.|.|\Z)")
_WHOLE_TOKEN = re.compile(_TOKEN.pattern.replace("]*(", "]*(?:", 1))  # (findall: the blanks too)
_DIRECTIVE_LINE = re.compile(r"^[ \t]*#", re.M)
_DIRECTIVE_TOKENS = re.compile(r"^[ \t]*(#[^\n]*)", re.M)  # (each directive line's token)
_LINE_MARKER = re.compile(r'#[ \t]*(?:line[ \t]+)?([0-9]+)(?:[ \t]+"([^"\\\n]*)")?[ \t]*')
# each struct/union keyword with the tag or '{' after it (pycparser's position of the record),
# and the line markers that set the file and line
_RECORDS = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?([0-9]+)(?:[ \t]+"([^"\\\n]*)")?[^\n]*'
                      r"|\b(?:struct|union)\b[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|\{)?"
                      r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"", re.M | re.A)
# _RECORDS' matches, found where each begins with a character of its own ('#', 's', 'u', a quote):
# the search skips to those in C (a pattern whose every branch may begin anywhere, as ^ and \b do,
# is tried at each character: 320 M instructions a MB).  The '#' of a line marker is taken where
# _RECORDS' ^[ \t]* would have begun at its line's start (record_matches() checks it); \b before
# struct and union is the look-behind after their first letter (ASCII words, as re.A's).
_RECORD_STARTS = re.compile(r'#[ \t]*(?:line[ \t]+)?([0-9]+)(?:[ \t]+"([^"\\\n]*)")?[^\n]*'
                            r"|s(?<![A-Za-z0-9_]s)truct\b[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|\{)?"
                            r"|u(?<![A-Za-z0-9_]u)nion\b[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|\{)?"
                            r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"", re.A)
# the same for each _Static_assert: its keyword, and the blanks and '(' before its expression
_ASSERTS = re.compile(_RECORDS.pattern.replace(r"\b(?:struct|union)\b[ \t\n]*([A-Za-z_][A-Za-z0-9_]*|\{)?",
                                               r"\b(_Static_assert)\b([ \t]*\([ \t]*(?=[^\s]))?"), re.M | re.A)
_INTEGER = re.compile(r"(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)"
                      r"(?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?")
# a plain decimal literal below 10**18 (ASCII digits only: str.isdigit() takes '²' and '٣' too)
_PLAIN_DECIMAL = re.compile(r"(?:[1-9][0-9]{0,17}|0)\Z")
_CHAR = re.compile(r"'(?:[ -&(-\[\]-~]|\\[ntvbrfa\\'\"]|\\[0-7]{1,3}|\\x[0-9a-fA-F]{1,2})'")

_BASE = frozenset({"signed", "unsigned", "char", "short", "int", "long", "float", "double", "_Bool", "void",
                   "__int128"})
_QUALS = frozenset({"const", "volatile", "restrict"})  # (glibc spells it __restrict, blanked)
_PREC = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
         "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}
_PREFIX = frozenset({"-", "+", "~", "!"})
_UNARY = frozenset({"&", "*", "+", "-", "~", "!"})
_ASSIGN = frozenset({"=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|="})
_STORAGE = frozenset({"typedef", "extern", "static"})
# pycparser's lexer's floating constants (decimal, no sign in the exponent: 1e+3 is three tokens
# here) and strings (its escapes)
_FLOAT = re.compile(r"(?:[0-9]*\.[0-9]+|[0-9]+\.|[0-9]+(?=[eE]))(?:[eE][0-9]+)?[fFlL]?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\[ntvbrfa\\\'"?]|\\[0-7]{1,3}|\\x[0-9a-fA-F]+)*"')
# what one level of nesting costs pycparser, in this reader's depth (see _MAX_DEPTH): a statement
# or a parenthesis of a full expression recurses through more of its functions than a constant's
_STATEMENT_DEPTH = 3
_PAREN_DEPTH = 2
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_MAX_DEPTH = 100  # nested parentheses, records, prefix operators, type names; deeper goes to pycparser
_TYPENAME_DEPTH = 3


def _reserved() -> frozenset:
    """Every word pycparser's lexer may make a keyword (C23's too): never a name here."""
    from pycparser import c_lexer

    words = set(getattr(c_lexer, "_keyword_map", {})) | set(getattr(c_lexer, "_c23_keywords", {}))
    words |= {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
              "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
              "offsetof", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
              "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "__int128",
              "_Bool", "_Complex", "_Noreturn", "_Thread_local", "_Static_assert", "_Atomic",
              "_Alignof", "_Alignas", "_Pragma", "__builtin_va_arg", "_Generic", "__auto_type"}
    words |= _TYPEOF
    # C23's words that gcc's default (gnu17) and pycparser's (legacy) both take as names
    return frozenset(words - _C23_NAMES)


_TYPEOF = frozenset({"typeof", "__typeof__", "__typeof"})  # GNU's, gcc's default takes them
_C23_NAMES = frozenset({"bool", "true", "false", "alignas", "alignof", "static_assert", "thread_local",
                        "nullptr", "constexpr", "typeof_unqual", "_BitInt"})


_RESERVED = _reserved()
_NO = ()  # shared, empty: attributes, storage ... (pycparser makes a list for each; layout reads none)


def _tokens(text: str) -> list[str]:
    """The tokens of ``text``, without its line markers and without the empty one at the end."""
    plain = _plain_tokens(text)
    if plain is not None:
        return plain
    return _matched_tokens(text)


def _matched_tokens(text: str) -> list[str]:
    """:func:`_tokens` by :data:`_TOKEN` (any text)."""
    toks = _TOKEN.findall(text)
    while toks and toks[-1] == "":
        toks.pop()
    if "#" in text:
        lines = _directive_tokens(text)
        if text.count("#") == len(lines):  # each '#' a directive line's: each a token, found by
            # list.index in order (no list of every token's first character, twice: 0.1 s a 4 MB)
            out, at = [], 0
            for d in lines:
                k = toks.index(d, at)
                if not _LINE_MARKER.fullmatch(d):
                    raise _before(Unsupported(f"directive {d[:20]!r}"), toks, k)
                out += toks[at:k]
                at = k + 1
            if not out:  # (the common case: one line marker first)
                return toks[at:]
            out += toks[at:]
            return out
        directives = [t for t in toks if t[:1] == "#"]
        if directives:
            # a '#' not first on its line is pycparser's to judge
            if len(directives) != len(_DIRECTIVE_LINE.findall(text)):
                raise _before(Unsupported("a '#' inside a line"), toks, _stray_hash(text))
            for d in directives:
                if not _LINE_MARKER.fullmatch(d):
                    raise _before(Unsupported(f"directive {d[:20]!r}"), toks, toks.index(d))
            toks = [t for t in toks if t[:1] != "#"]
    return toks


def _plain_tokens(text: str) -> "list[str] | None":
    """:func:`_tokens` of a plain text, without a match a token: None unless each '#' of ``text``
    begins a line marker (only blanks before it on its line) and the rest holds only words,
    blanks and one-character punctuators that make no longer token together (no quote, no '.',
    no ``->``, ``==``, ``<<`` ...).  There every token :data:`_TOKEN` finds is a whole run of word
    characters (a name, or a number: ``[0-9][A-Za-z0-9_.]*`` with no '.') or one punctuator, so
    the tokens are the words once a blank is put on each side of each punctuator.  (Each match of
    ``findall`` costs sre a malloc and a free of its stack, over 1 KB, besides the match: 1,470
    machine instructions a token, 770 M a MB of declarations; this is about 150 M.)"""
    if "#" in text:
        pieces, at = [], 0
        for m in _HASH_TO_EOL.finditer(text):
            q = m.start()
            if text[text.rfind("\n", 0, q) + 1:q].strip(" \t") or not _LINE_MARKER.fullmatch(m.group()):
                return None  # (a '#' inside a line, another directive: _matched_tokens judges them)
            pieces.append(text[at:q])
            at = m.end()
        pieces.append(text[at:])
        text = " ".join(pieces)  # (each line marker's token out: what _matched_tokens leaves out)
    if _PLAIN_TEXT.fullmatch(text) is None:
        return None
    for first, pairs in _OPERATOR_PAIRS:
        if first in text:
            for pair in pairs:
                if pair in text:
                    return None
    spaced = text.encode("ascii")  # (bytes: their replace finds a character by memchr, str's by a loop)
    for punctuator, blanked in _PUNCTUATOR_BYTES:
        if punctuator in spaced:
            spaced = spaced.replace(punctuator, blanked)
    return spaced.decode("ascii").split()


# what a plain text (_plain_tokens) holds: words, the blanks _TOKEN skips, one-character punctuators
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_ \t\n(){}\[\];,?~:*=+\-/%&^|<>!]*")
_PUNCTUATOR_BYTES = [(c.encode(), f" {c} ".encode()) for c in "(){}[];,?~:*=+-/%&^|<>!"]
# the first two characters of each of _TOKEN's longer punctuators (but '...': no '.' is plain), by
# the first: none of them is in a plain text
_OPERATOR_PAIRS = [("<", ("<<", "<=")), (">", (">>", ">=")), ("=", ("==",)), ("!", ("!=",)),
                   ("&", ("&&", "&=")), ("|", ("||", "|=")), ("+", ("++", "+=")), ("-", ("--", "-=", "->")),
                   ("*", ("*=",)), ("/", ("/=",)), ("%", ("%=",)), ("^", ("^=",))]


def _directive_tokens(text: str) -> list:
    """``_DIRECTIVE_TOKENS.findall(text)``: each line's '#' and the rest of it, where only blanks
    stand before it; found from each line's first '#' (a search for '#' runs in C, where ^ in a
    pattern is tried at every character: 80 M instructions a MB)."""
    out = []
    for m in _HASH_TO_EOL.finditer(text):
        q = m.start()
        if not text[text.rfind("\n", 0, q) + 1:q].strip(" \t"):
            out.append(m.group())
    return out


_HASH_TO_EOL = re.compile(r"#[^\n]*")


def _before(err: Unsupported, toks: list, k: int) -> Unsupported:
    """``err`` placed at ``toks[k]`` (a directive), counted as the tokens before it that are not
    directives; ``tokens``: those of the text."""
    directives = sum(1 for t in toks if t[:1] == "#")
    err.at, err.tokens = k - sum(1 for t in toks[:k] if t[:1] == "#"), len(toks) - directives
    return err


def _stray_hash(text: str) -> int:
    """The index among the tokens of ``text`` of the first '#' not first on its line."""
    for k, m in enumerate(_TOKEN.finditer(text)):
        t, q = m.group(1), m.start(1)
        if t[:1] == "#" and text[text.rfind("\n", 0, q) + 1:q].strip():
            return k
    return 0  # pragma: no cover - the caller counted one


def token_place(text: str, at: int):
    """(line, column, file) of the ``at``-th token of ``text`` that is not a directive (the
    place pycparser's line markers give it; its last token's past the end)."""
    if text.count("#") == len(_DIRECTIVE_LINE.findall(text)):
        return _token_place_by_lines(text, at)
    file, line, line_start, ref = None, 1, 0, 0
    k = 0
    for m in _TOKEN.finditer(text):
        t = m.group(1)
        q = m.start(1)
        if t[:1] == "#" and not text[text.rfind("\n", 0, q) + 1:q].strip():
            marker = _LINE_MARKER.fullmatch(t)
            if marker:
                end = text.find("\n", m.end())
                file = marker.group(2) or file
                line, line_start, ref = int(marker.group(1)[:9]), end + 1, end + 1
                if end < 0:
                    line_start = ref = len(text)
            continue  # (another directive: not one of the reader's tokens)
        if k == at or t == "":
            line += text.count("\n", ref, q)
            nl = text.rfind("\n", ref, q)
            if nl >= 0:
                line_start = nl + 1
            return line, q - line_start + 1, file
        k += 1
    return line, 1, file  # pragma: no cover - the last match is the empty one at the end


def _token_place_by_lines(text: str, at: int):
    """:func:`token_place` where every '#' of ``text`` begins a directive line: no token spans a
    newline, so each '#' is a token's, and the tokens of a stretch that ends before one, or after
    a newline, are those ``findall`` gives of it.  So the tokens are counted and measured a stretch
    at a time, in C, instead of a match at a time (the place of the last of 1.5 million tokens
    took 0.6 s); a stretch is at most about 64 KB (its list of tokens, not the whole text's)."""
    file, line, line_start, ref = None, 1, 0, 0
    k = start = 0
    ends = [m.end() - 1 for m in _DIRECTIVE_LINE.finditer(text)]  # each directive's '#'
    q = None
    for p in ends + [len(text)]:
        while q is None:
            cut = p
            if p - start > _STRETCH:  # (cut after a newline: no token is split)
                cut = text.rfind("\n", start, start + _STRETCH) + 1 or text.find("\n", start + _STRETCH, p) + 1 or p
            whole = _WHOLE_TOKEN.findall(text, start, cut)  # (each with the blanks before it)
            n = len(whole)
            while n and not whole[n - 1].lstrip(" \t\n"):  # (the stretch's end, matched once or twice)
                n -= 1
            if k + n > at:
                j = at - k
                q = start + sum(map(len, itertools.islice(whole, j))) + len(whole[j]) - len(whole[j].lstrip(" \t\n"))
            elif cut == len(text):  # (past the end: the empty token there)
                q = len(text)
            k += n
            start = cut
            if cut == p:
                break
        if q is not None:
            break
        eol = text.find("\n", p)
        marker = _LINE_MARKER.fullmatch(text, p, len(text) if eol < 0 else eol)
        if marker:
            file = marker.group(2) or file
            line, line_start, ref = int(marker.group(1)[:9]), eol + 1, eol + 1
            if eol < 0:
                line_start = ref = len(text)
        start = len(text) if eol < 0 else eol
    line += text.count("\n", ref, q)
    nl = text.rfind("\n", ref, q)
    if nl >= 0:
        line_start = nl + 1
    return line, q - line_start + 1, file


_STRETCH = 1 << 16


def _record_positions(text: str, builtin: str, file: "str | None" = None, pattern=_RECORDS) -> list:
    """(tag or '{', Coord) of each struct/union keyword of ``text``, in order; the coordinates are
    pycparser's (the line set by the last line marker, the column counted from 1; ``file`` before
    the first).  With ``pattern`` :data:`_ASSERTS`: ('_Static_assert', its Coord, its expression's
    Coord or None) of each _Static_assert."""
    out = []
    line, line_start, ref = 1, 0, 0
    records = pattern is _RECORDS
    for m in record_matches(text) if records else pattern.finditer(text):
        if m.group(1) is not None:  # a line marker: the next line is number N
            end = text.find("\n", m.end())
            if m.group(2) is not None:
                file = m.group(2)
                if file == builtin:
                    raise Unsupported("a line marker naming the prelude's file")
            line, line_start, ref = int(m.group(1)), end + 1, end + 1
            if end < 0:
                line_start = ref = len(text)
            continue
        if m.group()[:1] in "'\"":  # a character constant or a string: no keyword in it
            continue
        tag = 3 if not records or m.group()[0] == "s" else 4  # (_RECORD_STARTS: union's tag is group 4)
        q = m.start(tag)
        if q < 0 or file is None:
            out.append((None, None))
            continue
        nl = text.rfind("\n", ref, q)
        if nl >= 0:
            line += text.count("\n", ref, q)
            line_start = nl + 1
        ref = q
        coord = Coord(file, line, q - line_start + 1)
        if records:
            out.append((m.group(tag), coord))
        else:
            after = m.group(4)
            out.append((m.group(3), coord, after and Coord(file, line, m.end(4) - line_start + 1)))
    return out


def record_matches(text: str):
    """``_RECORDS.finditer(text)``'s matches, as :data:`_RECORD_STARTS` finds them: a line
    marker's where its '#' has only blanks before it on its line and that line's start is not
    inside the match before (there ``^[ \t]*`` begins); else the scan goes on after the '#', as
    _RECORDS' does.  (A line marker's match starts at its '#', not at its line's start: the
    positions read are its groups and its end.)"""
    search = _RECORD_STARTS.search
    pos = 0
    lo, at_start = 0, True  # where the line start before a '#' is looked for (after the match
    # before; or after a '#' refused: a line start before it has that '#' between); may it be 0
    while True:
        m = search(text, pos)
        if m is None:
            return
        q = m.start()
        if text[q] == "#":
            nl = text.rfind("\n", lo, q)
            if nl < 0 and not at_start or text[nl + 1:q].strip(" \t"):
                pos = lo = q + 1
                at_start = False
                continue
        yield m
        pos = m.end()
        lo, at_start = pos - 1, False


class TokenCoord(Coord):
    """pycparser's Coord of one token of the text, its place found only when asked (linear in the
    text: :func:`token_place`): given to the nodes of what gcc refuses, whose place the converter
    reads once, to say where (a million such coordinates made at once would cost a pass each)."""

    __slots__ = ("_text", "_at", "_place")

    def __init__(self, text: str, at: int):  # (not Coord's: its fields are this class's properties)
        self._text, self._at, self._place = text, at, None

    def _found(self):
        if self._place is None:
            self._place = token_place(self._text, self._at)
        return self._place

    @property
    def file(self):
        return self._found()[2]

    @property
    def line(self):
        return self._found()[0]

    @property
    def column(self):
        return self._found()[1]
