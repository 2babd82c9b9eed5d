"""The D lexer: D text -> tokens for the LALR parser in :mod:`dtracepy.parser`.

D cannot be tokenised without context, so the lexer keeps a small state machine, as the real
compilers' ``dt_lex.l`` does:

* ``TOP``: between top-level items.  Comments and ``#`` lines become top-level nodes (collected in
  :attr:`Lexer.toplevel`; the parser splices them in by position).  A word here starts either a
  declaration (a keyword such as ``int``/``inline``/``translator``, or a plain name followed by a
  name or ``*``: ``tcp_t *p;``) or a clause, whose probe descriptions are lexed whole
  (``pid$target:libc.so.1:mal*:entry``, ``profile-997``).
* ``AFTER_DESC``: after a description only ``,`` ``/`` ``{`` may follow.
* ``PRED``: expression tokens; a ``/`` at nesting depth 0 closes the predicate when the next
  non-blank character is ``{``, ``;``, ``/`` or the end of input, otherwise it divides.
* ``BODY`` / ``DECL``: expression tokens until the clause's ``}`` or the declaration's ``;``.

Type names.  The parser needs a ``TYPE_NAME`` token for names that are types (casts, ``sizeof``,
declarations), which the real compiler learns from kernel CTF data.  dtracepy has none, so a name
is a type name when

1. it stands where declaration specifiers begin and no type has been named yet (start of a
   top-level declaration or struct member, a parameter of a provider probe or function declarator,
   after ``translator`` / ``translator ... <``, ``xlate <``, ``offsetof (``);
2. it is a standard typedef (``uint16_t``, ``size_t``, ``caddr_t`` ...) or was typedef'd earlier in
   the file (and is not a member name after ``.``/``->`` or a tag after ``struct``);
3. it follows a ``(`` that is not a call's, ``if``'s or ``stringof``'s and is followed by
   ``*``... ``)`` (``(tcp_t **)x``: no expression looks like that), or by ``)`` and then either an
   operand start (a name, literal, ``(``, ``~``, ``!``) or - for names ending in ``_t`` - anything
   (``(conn_t)-1``);
4. after ``sizeof (``: rule 2, a ``_t`` suffix, or ``*``... ``)``.

Nesting of ``( [ {`` deeper than :data:`MAX_NESTING` is refused with a located error, so
pathological input cannot exhaust memory or the stack of the passes that walk the tree.
"""

from __future__ import annotations

import re
from array import array
from itertools import islice
from operator import itemgetter

from dtracepy import tree
from dtracepy.facts import escapes as _escapes
from dtracepy.facts.escapes import char_length as _char_len, decode_string
from dtracepy.errors import DSyntaxError
from dtracepy.facts import directives as _directives
from dtracepy.facts import keywords as _kw
from dtracepy.facts.functions import MOST_CALL_ARGUMENTS as _most_call_arguments
from dtracepy.source import LineMarks, Pos, bisect_right, follow_marks, register_text  # (bisect's C function: see there)
from _bisect import bisect_left

MAX_NESTING = 256
# One expression of a predicate or clause body may hold at most MAX_OPERATORS operators (the
# binary, assignment, conditional and prefix operators at one level of brackets, and a ( or [
# right after a ) or ]; a ',' or ';' starts the count again; member accesses are not counted), and
# one list (a call's arguments, a subscript's keys, a comma expression) at most MAX_ITEMS items:
# dtrace cannot run more.  Oracle D 2.0 for Linux (``dtrace -s``, its default 8 MiB stack; measured
# 2026-12-01) runs ``BEGIN{x=1;trace(x+x+...+x);exit(0);}`` of 15,000 operators and crashes
# (SIGSEGV) on 20,000 (and on 50,000 to 1,500,000); it refuses a printf of 8,000 arguments
# ("could not enable tracing: failed to create BPF map 'mem': Too big"; 4,000 run) and an
# aggregation key of 10,000 ("Insufficient tuple registers to generate code"), and takes 75 s
# only to compile (``-e``) a call of 100,000 (its argument list grows by walking it: quadratic).
# Counted as the lexer goes, the limits refuse such input at the operator or comma past them,
# before its tokens and nodes are made: a 3 MB ``x+x+...`` or argument list took dtracepy 640 to
# 780 MB and 6 to 10 s to read whole.  Declarations are counted against bounds of their own (below).  A chain of member accesses
# (``p->n->n->...``, ``s.a.a...``: no other operator, ',' or ';' between them at its level of
# brackets) is one expression nested as deep: it may hold at most MAX_OPERATORS of them (Oracle D 2.0 compiles, ``dtrace -e``, one of
# 16,000 ``->`` and crashes, SIGSEGV, on 20,000 and 60,000; review 28: check of a 4 MB chain took
# 7 to 9 s and 546 to 582 MB).
MAX_OPERATORS = 20_000
MAX_ITEMS = _most_call_arguments + 1     # 8,000: see facts/functions.py
# A declaration is counted so too, with bounds of dtracepy's own (session 27, decl28): dtrace -e
# compiles ``int x,x,...,x;`` and ``int x[1+1+...+1];`` of 100,000, 500,000 and 2 million
# declarators or terms (4 MB: 1.7 and 2.5 s, 71 and 508 MB; measured 2026-12-04), where dtracepy
# held each declarator's or term's tokens and node (``check`` of 4 MB: 4.8 s and 631 MB; 23 s and
# 759 MB).  Past these it refuses, at the operator or comma past them, saying the bound is its own:
# 100,000 operators in one expression or declarator (a declarator's '*' counts, as a '[' after a
# ']' does: 0.9 s and 48 MB at the bound) and 250,000 items in one list (declarators, members,
# enumerators or parameters: 0.8 s and 88 MB).
MAX_DECL_OPERATORS = 100_000
MAX_DECL_ITEMS = 250_000

# The lexer's keyword tokens: every word any dialect reserves (dtracepy.facts.keywords).
KEYWORDS = {kw: "K_" + kw.upper() for kw in sorted(_kw.ALL_KEYWORDS)}
STORAGE_QUAL = _kw.STORAGE_QUALIFIERS
TYPE_KEYWORDS = _kw.TYPE_KEYWORDS
STANDARD_TYPES = _kw.STANDARD_TYPES

# States
# (the states that lex whole probe descriptions or look ahead at the top level come first, so the
# expression states are ``state >= PRED``)
TOP, AFTER_DESC, DESC, AFTER_PRED, PRED, BODY, DECL = range(7)

_PUNCT = {
    "<<=": "SHL_ASSIGN", ">>=": "SHR_ASSIGN", "...": "ELLIPSIS",
    "->": "ARROW", "++": "INC", "--": "DEC", "<<": "LSHIFT", ">>": "RSHIFT", "<=": "LE",
    ">=": "GE", "==": "EQ", "!=": "NE", "&&": "ANDAND", "||": "OROR", "^^": "XORXOR",
    "+=": "ADD_ASSIGN", "-=": "SUB_ASSIGN", "*=": "MUL_ASSIGN", "/=": "DIV_ASSIGN",
    "%=": "MOD_ASSIGN", "&=": "AND_ASSIGN", "^=": "XOR_ASSIGN", "|=": "OR_ASSIGN",
    "+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH", "%": "PERCENT", "&": "AMP", "|": "BOR",
    "^": "XOR", "~": "TILDE", "!": "BANG", "<": "LT", ">": "GT", "=": "ASSIGN", "?": "QUESTION",
    ":": "COLON", ";": "SEMI", ",": "COMMA", ".": "DOT", "(": "LPAREN", ")": "RPAREN",
    "[": "LBRACK", "]": "RBRACK", "{": "LBRACE", "}": "RBRACE",
}

# One token of a predicate, body or declaration: the match is the token, whose first character
# says its kind.  A comment and a string constant are whole tokens when they are well formed;
# otherwise the alternative matches their first characters only (``/*``, ``"``) and the lexer's
# own code finds the error.  The last alternative takes a character no token starts with (an
# error), and no alternative starts with a blank, so a scan (``finditer``: a search) skips blanks
# only: where the pattern stops matching, only blanks are left.  No group, not one per kind: the
# engine's cost grows with the groups it must track (a group around the token, after a leading
# ``[ \t\r\f\v\n]*``, cost 370 machine instructions a token more: its marks, ``m.start(1)``).
# A comment's and a string's loops are possessive: the engine kept a frame per repetition of a
# loop it might backtrack into, 250 MB for a string of 2 million escapes; nothing they take could
# be given back to what follows them (a string's runs end where a quote or a backslash is next, a
# comment's stars where a character not a star is), so they match what they matched before.
_TOKEN_RE = re.compile(
    r"""
    (?:
      [A-Za-z_`][A-Za-z0-9_`]*                      # a name (a keyword, a module`symbol)
    | [(),;\[\]{}?:~]                               # punctuators, each the longest it can be:
    | -[->=]? | ==? | [!*%]=? | &[&=]? | \|[|=]? | \^[\^=]? | \+[+=]?
    | <(?:<=?|=)? | >(?:>=?|=)? | \.(?:\.\.)?
    | /(?:\*(?:[^*]*+\*++(?:[^/*][^*]*+\*++)*+/)?|=)?  # / /= or a comment (or its opening only)
    | [0-9][A-Za-z0-9_$.]*                          # a number, suffixes and mistakes included
    | "(?:[^"\\\n]*+(?:\\[^\n][^"\\\n]*+)*+")?       # a string constant (or its opening quote)
    | '                                             # a character constant's opening quote
    | \$\$?[0-9]+|\$[A-Za-z_][A-Za-z0-9_]*          # a macro variable
    | @[A-Za-z_][A-Za-z0-9_]*|@                     # an aggregation
    | \#
    | [^ \t\r\f\v\n]                                # anything else: not a token (an error)
    )
    """,
    re.VERBOSE,
)
# The same inside a clause body, where a run of ``;`` (white space between them) is one token: a
# body of 3,000,000 empty statements is one scan step and one token, not 3,000,000 (dtrace reads
# such a body in a second and 70 MB; as 3,000,000 tokens and nodes it took dtracepy 7 s and
# 850 MB).  The lexer hands the run over as ``SEMI`` and one ``SEMIS`` token (see :data:`SEMIS`).
#
# A ``;`` there also takes the simple statement that follows it, when one does (session 15): the
# text up to the statement's own ``;`` (not taken: the next match's) when it holds only blanks and
# the characters of names (not module-scoped), decimal constants and operators but
# ``( [ { ) ] } / ,`` (``x = y``, ``self->ts = timestamp``, ``x``).  Its tokens are then made
# without a match each, once a text (see :func:`_simple_statement`): one match a statement of
# ``BEGIN{x=y;x=y;...}``, not four.  The match ends where a token ends (before the ``;``), and
# :func:`_simple_statement` reads the statement with :data:`_TOKEN_RE` itself, so its tokens are
# those of a scan token by token; a statement it cannot take (``x = 1.5``, ``struct s``...) is
# scanned again token by token.  (A run of blanks alone is the ``;`` run's, before it.)
_SIMPLE_TEXT = r"[ \t\r\f\v\nA-Za-z0-9_$.+\-*%&|^!~<>=?:]++(?=;)"
_SIMPLE_STATEMENT = r";(?:" + _SIMPLE_TEXT + r")?+"
# (a body's first statement, when simple: what follows its '{')
_SIMPLE_FIRST_RE = re.compile(_SIMPLE_TEXT).match
_BODY_TOKEN_RE = re.compile(_TOKEN_RE.pattern.replace(
    r"[(),;\[\]{}?:~]", r";[; \t\r\f\v\n]*;|" + _SIMPLE_STATEMENT + r"|[(),;\[\]{}?:~]", 1), re.VERBOSE)
assert _BODY_TOKEN_RE.pattern != _TOKEN_RE.pattern
# The same without the simple statements: a body scanned token by token (the lexer's, once a text
# has shown it many simple statements seen once only: see _lex).
_BODY_PLAIN_RE = re.compile(_BODY_TOKEN_RE.pattern.replace(_SIMPLE_STATEMENT + "|", "", 1), re.VERBOSE)
assert _BODY_PLAIN_RE.pattern != _BODY_TOKEN_RE.pattern
#: How many simple statements the lexer scans again token by token (seen once, or not simple)
#: before it stops looking for them in the text (a text of distinct statements gains nothing).
SIMPLE_MISSES = 256
#: A clause whose text was read before is not scanned again (session 16): its tokens are kept by
#: its text, from the clause's first character (looked up at the top level) and from the ``/`` or
#: ``{`` after its probe descriptions (its predicate and body: looked up there, for a clause of
#: other probes), to the ``}`` that ends it; where the same text comes again they are added,
#: offsets shifted, with no match at all (a dense clause: 41 matches and ~3,600 steps before,
#: ~225 steps now).  A text is kept when it was read to its ``}`` as the clause's end, from a
#: state nothing before it changes (no ``(`` left open, no typedef waiting for its name, no
#: declaration specifier pending), with no top-level node made on the way (a ``#pragma`` inside):
#: its tokens are then those the text makes whatever comes before or after it, since the lexer
#: reads nothing past a clause's closing ``}``, and before the text only a ``#``'s line (which
#: makes a top-level node or an error).  A typedef empties the texts kept (a name's token may
#: change).  A text is looked up by its first ``}``: one that goes on past it (a block, a ``}``
#: in a string) is kept by its whole text, the texts to each of its first ``}`` (at most
#: MAX_BRACES more) marked as the start of a longer one.  A text is kept from its second sighting
#: (keeping costs more than a scan: a text seen once is not worth it), if at most MAX_REST
#: characters; at 4,096 texts the lexer starts anew; after REST_MISSES more first sightings than
#: texts seen again, it looks no text up (a file of distinct clauses gains nothing).
MAX_REST = 4096
REST_MISSES = 256
#: With a chunk asked of :meth:`Lexer.items`, a declaration is handed over in parts once its list
#: holds this many tokens, at a name or a comma (session 27, margins28): the parser's automaton
#: reads it token by token, so it never needs it whole, and a declaration of millions of tokens
#: that fails at its second (``x`` on 2 million lines, under ``-C`` after a ``__``) was held
#: whole as tokens before the parse (265 MB).  The parser runs the automaton's states over the
#: first part only (see parser._declaration_parts): 2.4 ms for this many tokens, 38 ms for 65,536
#: (6 % more instructions for 200,000 declarators `int x,x,...;`, which are gathered whole).
DECL_PART = 4096
MAX_BRACES = 16
#: How many texts of '#' lines the lexer keeps the nodes' fields of (see Lexer._directive).
MAX_LINES_READ = 4096
#: A '#' line (below the first, at the top level, its text to its newline) that :meth:`Lexer._directive`
#: reads in one match: ``#``, blanks, a directive's name, blanks, then printable ASCII and tabs
#: without a backslash or a slash (no continuation, carriage return, control character, comment
#: or ``??/``).  Its node is ``Directive(name, the rest stripped of blanks)``, as the general path
#: reads it, for a name of :data:`_NAMED_DIRECTIVES` (``#pragma`` and the rest go that path), and
#: its text passes the Directive's test at once (``tree._PLAIN_DIRECTIVE_TEXT``).  Possessive:
#: a long name followed by a slash must not be tried at each length.  Compiled on first use.
_PLAIN_LINE_RE = None
# (each name, as the one string every node of its lines shares: a string each was 10 MB at 4 MiB)
_NAMED_DIRECTIVES = {name: name for name in _directives.DIRECTIVES - {""}}


def _plain_line_re():
    global _PLAIN_LINE_RE
    _PLAIN_LINE_RE = re.compile(r"#[ \t]*+([A-Za-z_][A-Za-z0-9_]*+)[ \t]*+([\t -.0-\[\]-~]*+)").fullmatch
    return _PLAIN_LINE_RE


_LONGER = object()  # (the entry of a text that a longer text kept begins with: see _keep_rest)
#: The token type of the ``;`` after the first of a run in a clause body (each one an empty
#: statement): its value is the run's text from its second ``;`` on, its offset that ``;``'s.
#: :func:`semicolons` gives the single ``SEMI`` tokens it stands for (the automaton reads those).
SEMIS = "SEMIS"
# The token of a name that is a keyword ("K_..."), or "TYPE_NAME" for a standard type that is not.
_KNOWN_WORDS = {**{name: "TYPE_NAME" for name in STANDARD_TYPES}, **KEYWORDS}
# The first characters of names (the tokens :data:`_TOKEN_RE` reads as names).
_IDENT_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_`")
# (the repetition possessive, `*+`: its two kinds of piece start with different characters, so
# giving one back never helps, and re kept a backtracking point a character otherwise: 470 MB
# for a 4 MB description)
_PSPEC_RE = re.compile(
    r"(?:[-$:A-Za-z_.?*\\\[\]!]|\([^()\n{}/]*\))(?:[-$:0-9A-Za-z_.`?*\\\[\]!]|\([^()\n{}/]*\))*+")
# A clause's start at the top level, to its body's '{': a first word and a ':' after it, the rest
# of a probe description (_PSPEC_RE's characters but '(': nothing else), blanks (see _lex); or a
# word alone (`BEGIN {`, `END {`: a word not a keyword with a '{' after it is a clause's whole
# description, as the state machine reads it; 110,000 distinct BEGIN clauses took the machine's
# steps each, 1.5 times a `provider:...` clause).
_CLAUSE_HEAD_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?::[-$:0-9A-Za-z_.`?*\\\[\]!]*)?)[ \t\r\f\v\n]*\{").match
_NL_RE = re.compile("\n")


def _newline_offsets(text: str) -> "list | array":
    """The offsets of ``text``'s newlines: a list, or for a text of many lines an array of 8-byte
    integers (a list was 36 bytes a line, an int and its pointer: 144 MB, kept for the whole
    check, for a file of 4 million empty lines; an array costs 300 machine instructions a line
    more to fill, a dense file's lines are few).  Bisection reads an array as it reads a list."""
    found = _NL_RE.finditer(text)
    first = [m.start() for m in islice(found, _ARRAY_LINES)]
    if len(first) < _ARRAY_LINES:
        return first
    offsets = array("q", first)
    offsets.extend(m.start() for m in found)  # (no list of them all)
    return offsets


_ARRAY_LINES = 100_000  # (a list of them: 3.6 MB)


_IDENT_RE = re.compile(r"[A-Za-z_`][A-Za-z0-9_`]*")
# A name at the top level and the white space after it (what decides declaration or clause).
_WORD_RE = re.compile(r"([A-Za-z_`][A-Za-z0-9_`]*)[ \t\r\f\v\n]*")
_WS_RE = re.compile(r"[ \t\r\f\v\n]*")
_INT_RE = re.compile(r"(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?(?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU])$")
_STARS_CLOSE_RE = re.compile(r"[ \t\r\n]*(?:\*[ \t\r\n]*)+\)")
_CLOSE_RE = re.compile(r"[ \t\r\n]*\)[ \t\r\n]*(.?)", re.S)
_STR_SPECIAL_RE = re.compile(r'["\\\n]')
_OPERAND_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789'\"`$(~!@")
# A token before "(" that makes it a call's, if's ... parenthesis rather than a cast's.
# The token before "(" that makes it a condition's: a cast may follow its ")".
_COND_BEFORE = {"K_IF", "K_WHILE", "K_SWITCH", "K_FOR"}
# Words that, right after a "(" that is not a call's, make it a cast's.
_CAST_WORDS = {"void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
               "string", "struct", "union", "enum", "const", "volatile", "restrict", "userland"}
# The previous tokens after which a name is not lexed by the fast path of :meth:`Lexer.tokens`.
# Its value for such a previous token: "" (the general path decides), or the token a name takes
# after it (a member name after ``.`` and ``->``).
_NAME_AFTER = {"LPAREN": "", "K_STRUCT": "", "K_UNION": "", "K_ENUM": "", "DOT": "IDENT", "ARROW": "IDENT"}
# The punctuators the lexer's state machine looks at (nesting, predicates, declarations).
_SPECIAL_PUNCT = frozenset("([{)]}/;,<=")
_POSTFIX = frozenset(("ARROW", "DOT"))  # (counted as a chain: see MAX_OPERATORS)
_TOO_MANY_OPERATORS = (f"expression too long: more than {MAX_OPERATORS:,} operators in one expression "
                       f"(dtrace crashes running one of {MAX_OPERATORS:,})")
_TOO_LONG_CHAIN = (f"expression too long: more than {MAX_OPERATORS:,} member accesses (-> or .) in one "
                   f"chain (dtrace crashes compiling one of {MAX_OPERATORS:,})")
_TOO_MANY_ITEMS = (f"list too long: more than {MAX_ITEMS:,} items (arguments, keys or comma operands) "
                   f"in one list (dtrace cannot run a call of {MAX_ITEMS:,} arguments)")


def _too_long_declaration(what: str) -> str:
    """The message refusing a declaration past MAX_DECL_OPERATORS or MAX_DECL_ITEMS (read as it is
    refused: a test lowers them)."""
    if what == "operators":
        past = f"more than {MAX_DECL_OPERATORS:,} operators in one expression or declarator of a declaration"
    else:
        past = (f"more than {MAX_DECL_ITEMS:,} items (declarators, members, enumerators or parameters) "
                f"in one list of a declaration")
    return (f"declaration too long: {past} (a bound of dtracepy's own, not dtrace's, which keeps "
            f"dtracepy within 5 s and 300 MB on any input)")


_NOT_CAST_BEFORE = {"IDENT", "SCOPED", "RPAREN", "RBRACK", "K_IF", "K_STRINGOF", "K_SIZEOF",
                    "K_OFFSETOF", "MACRO", "AGG", "K_WHILE", "K_SWITCH", "K_FOR"}



_D_NAMES: frozenset | None = None  # D's function and built-in variable names, on first need


def _d_names() -> frozenset:
    global _D_NAMES
    if _D_NAMES is None:
        from dtracepy.facts import functions, variables

        _D_NAMES = frozenset(functions.FUNCTIONS) | frozenset(variables.BUILTINS)
    return _D_NAMES

# D has only /* */ comments; people who write C++ or copy from other tracers try // first.
NO_LINE_COMMENTS = "D has no // comments: write /* ... */"


def _invalid_character(ch: str) -> str:
    if ch == "\u00a0":
        # Scripts copied from web pages arrive indented with no-break spaces.
        return "invalid character U+00A0 (a no-break space, as pasted from a web page); D separates tokens with ASCII blanks only"
    if "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8 (see parser.parse_bytes)
        return (f"invalid byte 0x{ord(ch) - 0xDC00:02x} (not UTF-8 text; D takes such bytes only "
                "in strings, character constants and comments)")
    if ch.isprintable():
        return f"invalid character {ch!r}"
    return f"invalid character U+{ord(ch):04X}"

# A token for the parser is a plain tuple ``(type, value, start)``: ``type`` a terminal of
# grammar/d.lark, ``value`` its text (decoded for a string), ``start`` its offset in the lexer's
# text (:meth:`Lexer.pos_at` turns it into a position; most tokens never need one).  Tuples cost
# next to nothing to make, and a dense script has about 280,000 tokens per MB.
TYPE, VALUE, START = range(3)


# The control lines dtrace reads within a clause, a predicate or a list of probes too (its lexer reads
# them at a line's start wherever it is): #pragma, #line, #ident, a line marker (# 12 "file"), the
# null directive.  Any other (#define, #error ...) it refuses there, as check does.
_CLAUSE_CONTROL_RE = re.compile(r"#[ \t]*(?:(?:pragma|line|ident)\b|[0-9]|\r?$)", re.M)


def parse_pragma_words(text: str) -> list[str]:
    """Split a ``#pragma`` line's text into words: :func:`dtracepy.facts.options.pragma_words`."""
    from dtracepy.facts.options import pragma_words

    return pragma_words(text)


def _crlf_rejected(line: str) -> str | None:
    """For a directive line that ends in ``\\r`` (CRLF), the word dtrace reads with the ``\\r`` on
    it when that makes dtrace reject the line, else None.  dtrace's control-line lexer separates
    words by blanks other than ``\\r`` (dt_lex.l, state S3), so the last word takes the ``\\r``:
    ``#pragma D option quiet\\r`` sets the unknown option ``quiet\\r``; a ``#line``, ``# 12``, a
    null directive or ``#pragma`` alone is malformed; a pragma dtrace ignores (``#pragma ident``,
    a ``#pragma`` not of D) stays ignored (dt_pragma.c)."""
    words = line[1:].split()
    # (after a blank or a quoted string, the "\r" is a word of its own)
    last = "\r" if not words or line[-1] in " \t\f\v\"" else words[-1] + "\r"
    if not words or words[0] == "line" or words[0].isdigit():
        return last
    if words[0] == "pragma":
        if len(words) == 1 or words[1] == "line" or (words[1] == "D" and len(words) > 2 and words[2] != "ident"):
            return last
    return None


def semicolons(tokens):
    """``tokens`` with each ``SEMIS`` token replaced by the ``SEMI`` tokens it stands for."""
    for tok in tokens:
        if tok[0] == SEMIS:
            run, start = tok[1], tok[2]
            i = 0
            while i >= 0:
                yield ("SEMI", ";", start + i)
                i = run.find(";", i + 1)
        else:
            yield tok


def _simple_seen(tok: str, known, simple_statements: dict, word_kind):
    """What the lexer reads of the simple statement ``tok`` (see :func:`_simple_statement`) when
    its cache ``simple_statements`` holds no tokens for it (``known``: what it holds, or None):
    False the first time a text is seen (it is scanned token by token, as cheap as making its
    tokens from its text: a text seen once is not worth it), its tokens, made and kept, the
    second time.  Texts longer than 256 characters are not kept; at 4,096 the cache starts anew."""
    if known is True:
        known = simple_statements[tok] = _simple_statement(tok, word_kind)
        return known
    if known is None and len(tok) <= 256:
        if len(simple_statements) >= 4096:
            simple_statements.clear()
        simple_statements[tok] = True
    return False


def _simple_statement(tok: str, word_kind):
    """The tokens of the simple statement a body's ``;`` token ``tok`` holds after the ``;`` (see
    :data:`_SIMPLE_STATEMENT`), as ``(type, value, offset in tok)``, with the last one's type and
    the operators it counts (see MAX_OPERATORS); or False for a statement the lexer's state
    machine must read token by token.  Its tokens are those the state machine makes in a body
    after a ``;`` (``word_kind``: its lookup of a name's token): a name's is its keyword's,
    standard type's or typedef's token, or after ``.`` and ``->`` a member's name; the punctuators
    are operators that change no state but the count (``=`` and ``<`` too, after no ``xlate``)."""
    out = []
    prev = "SEMI"
    nops = chain = 0
    for m in _TOKEN_RE.finditer(tok, 1):
        value = m[0]
        c = value[0]
        if c in _IDENT_START:
            if "`" in value:
                return False
            ttype = "IDENT" if prev == "ARROW" or prev == "DOT" else word_kind(value, "IDENT")
            if ttype in _NAME_AFTER or ttype == "K_XLATE":  # (the next name's token depends on it)
                return False
        elif c in "0123456789":
            if not (value.isdigit() and len(value) < 19 and (c != "0" or len(value) == 1)):
                return False  # (the lexer's _number reads it, or says what is wrong)
            ttype = "INTLIT"
        else:
            ttype = _PUNCT.get(value)
            if ttype is None or value in _SPECIAL_PUNCT and value != "=" and value != "<":
                return False
            if ttype not in _POSTFIX:
                nops += 1
                chain = 0
            else:
                chain += 1
                if chain > MAX_OPERATORS:
                    return False    # (the lexer says where it is too long)
        out.append((ttype, value, m.start()))
        prev = ttype
    if not out or nops > MAX_OPERATORS:  # (blanks only; or the lexer says where it is too long)
        return False
    return tuple(out), prev, nops


def _simple_shaped(tok: str, simple_statements: dict, word_kind):
    """What the lexer reads of the simple statement ``tok``, a text it has not seen, made from
    the tokens of a text of the same shape (``self->v1 = 1``, ``self->v2 = 1`` ...: their digits
    1-9 made 1, the key of :func:`_decl_key`, kept in ``simple_statements`` beside the texts):
    their types, offsets and operators' count, each token holding a digit (a name's, a number's)
    cut from ``tok`` at the same offset; or None, when ``tok``'s shape was not seen twice, or it
    reads otherwise (a name with digits that is a typedef in one and not the other: each such
    name's token is looked up again, as :func:`_simple_statement` looks it up).  What a number's
    token is (a plain decimal: digits, fewer than 19, no leading 0) is the same in every text of
    a shape (its 0s are kept).  A 4 MiB body of ``self->vN = 1;`` statements, each text seen once,
    was read token by token, a step of the lexer's loop each."""
    if len(tok) > 256:
        return None
    key = tok.encode().translate(_DIGITS_ONE)
    shape = simple_statements.get(key)
    if shape is None or shape is True:
        if shape is None:  # (a first sighting: noted, as _simple_seen notes a text's)
            if len(simple_statements) >= 4096:
                simple_statements.clear()
            simple_statements[key] = True
            return None
        made = _simple_statement(tok, word_kind)
        if made is False:
            simple_statements[key] = False
            return None
        found = made[0]
        # the tokens holding a digit, and whether a name's token is looked up (not after -> or .)
        cut = []
        for k, (ttype, value, _) in enumerate(found):
            if not _DIGIT_CHARS.isdisjoint(value):
                cut.append((k, ttype != "INTLIT" and (k == 0 or found[k - 1][0] not in ("ARROW", "DOT"))))
        simple_statements[key] = (made, tuple(cut))
        return made
    if shape is False:
        return None
    made, cut = shape
    found, last, nops = made
    found = list(found)
    for k, looked_up in cut:
        ttype, value, offset = found[k]
        value = tok[offset : offset + len(value)]
        if looked_up and word_kind(value, "IDENT") != ttype:
            return None
        found[k] = (ttype, value, offset)
    return found, last, nops


_DIGIT_CHARS = frozenset("0123456789")


def _keep_rest(pending, buf, pos, parens, toplevel_len, rests, text) -> None:
    """At the end of an item, keep the tokens of the clause or predicate and body ``pending``
    names (its text's key, where it began and the key ended, the token list and where its tokens
    began in it, the top-level nodes then) in ``rests``, by their text, when the item read was
    that text to its end (see MAX_REST).  A text that went on past the ``}`` its key ends at (a
    clause with a block) is kept by its whole text, and its key and each longer one up to it say
    so (:data:`_LONGER`), at most MAX_BRACES of them."""
    key, start, end, began_buf, began, toplevel_was = pending
    if (end <= pos <= start + MAX_REST and buf is began_buf and buf[-1][2] == pos - 1
            and buf[-1][0] == "RBRACE" and buf[began][2] == start and not parens
            and toplevel_len == toplevel_was):
        if pos != end:
            if text.count("}", end, pos) > MAX_BRACES:
                return
            while end < pos:
                rests[text[start:end]] = _LONGER
                end = text.find("}", end) + 1
            key = text[start:pos]
        types, values, starts = zip(*buf[began:])
        rests[key] = (types, values, tuple(map((-start).__add__, starts)), SEMIS in types)


def _looked_up(text: str, pos: int, rests: dict):
    """``(key, end, entry)`` of the text from ``pos`` in ``rests`` (see MAX_REST): the tokens kept,
    True for a text seen once (its tokens are to be kept at its end: see _keep_rest), None for a
    first sighting (noted now), False for a text not kept (too long, or no ``}``)."""
    # (the search bounded as the key is: a file of declarations with no '}' searched to its end
    # from each, n**2/2 bytes for 4 MiB of typedefs)
    end = text.find("}", pos, pos + MAX_REST) + 1
    if not 0 < end - pos <= MAX_REST:
        return "", 0, False
    key = text[pos:end]
    known = rests.get(key)
    if known is _LONGER:
        key, end, known = _longer(text, pos, end, rests.get)
        if known is _LONGER:
            return "", 0, False
    if known is None:
        if len(rests) >= 4096:
            rests.clear()
        rests[key] = True
    return key, end, known


def _longer(text: str, pos: int, end: int, rests_get):
    """The key, end and entry of the longest text kept from ``pos`` (see _keep_rest), whose key
    up to ``end`` is :data:`_LONGER`: the entry of the first of the longer texts ``rests`` does
    not mark _LONGER (None, a first sighting, tokens), or _LONGER when the text has no more."""
    known = _LONGER
    while known is _LONGER:
        end = text.find("}", end, pos + MAX_REST) + 1
        if not 0 < end - pos <= MAX_REST:
            return "", 0, _LONGER
        known = rests_get(text[pos:end])
    return text[pos:end], end, known


# Declarations of one shape (session 22, perf23d).  4 MiB of ``struct sN { int a; char b; };``,
# ``typedef int tN;`` or a struct and a translator each is 120,000 to 210,000 declarations that
# differ only in their names' digits; the state machine reads each token of each (a DECL's
# tokens take its general path: ~1.4 us a token).  A top-level text that may be such a
# declaration (DECL_TEXT: names, numbers, blanks and a few punctuators, no '(' '[' '/' '#' quote
# or backquote, to its ';' outside braces, braces one deep) is keyed by its text with every
# digit but 0 a 1: the same tokens at the same offsets, read by the same steps of the machine,
# whose choices depend on a name's text only through whether it is a keyword (no name with a
# digit is one), a typedef or a standard type (asked of the text's names, below), and on a
# number's through the form a plain decimal has (digits only, fewer than 19, no leading 0: the
# key keeps it; a text with another number is not kept).  A key's first text is read by the
# machine; when it was one declaration, to the key's end, its tokens' types and offsets are kept
# (see _keep_decl) with what the machine's variables held at its end, and a text of the same key
# after it whose names are no typedef or standard type is its tokens at once: their values
# found by one scan in C (findall), no step of the machine.
DECL_TEXT_MAX = 512  # (longer texts are read by the machine; a clause's too: see _CLAUSE_BODY_RE)
#: Read clauses of a shape read before from its tokens (see _CLAUSE_BODY_RE; tests turn it off).
CLAUSE_SHAPES = True
DECL_MISSES = 256  # texts not seen again more than texts seen again, after which none is looked up
_DECL_TEXT_RE = re.compile(
    r"[A-Za-z_][-A-Za-z0-9_ \t\n*,<>=.]*+(?:\{[-A-Za-z0-9_ \t\n*,<>=.;]*+\}[-A-Za-z0-9_ \t\n*,<>=.]*+)*+;").match
_TOKENS_OF = _TOKEN_RE.findall
_DIGITS_ONE = bytes.maketrans(b"123456789", b"111111111")  # (bytes: str.translate is ten times slower)


def _decl_key(text: str, pos: int):
    """The end and key of the text from ``pos`` that may be a declaration of a shape seen
    before (see DECL_TEXT_MAX), or None."""
    m = _DECL_TEXT_RE(text, pos, pos + DECL_TEXT_MAX)
    if m is None:
        return None
    return m.end(), m[0].encode().translate(_DIGITS_ONE)


def _keep_decl(shapes: dict, seen, buf, pos: int, typedefs, text: str, kept) -> None:
    """At the end of an item, keep in ``shapes`` the tokens' types and offsets of the text
    ``seen`` names (its key, start and end, and how many typedefs there were then), when the
    item read was that text, one declaration, as the state machine read it (see DECL_TEXT_MAX),
    with ``kept``: the variables the machine leaves set.  Kept with them, the index of the one
    name a typedef declared (made a type name by a replay too: see Lexer._lex), or None."""
    key, start, end, typedefs_were = seen
    if pos != end or not buf or buf[0][0] == "PDESC" or buf[-1][2] != end - 1 or buf[0][2] != start:
        return
    types, values, starts = zip(*buf)
    if list(values) != _TOKENS_OF(text, start, end):  # (every token a match's text, as replayed)
        return
    for kind, value in zip(types, values):
        if kind == "INTLIT" and not (value.isdigit() and len(value) < 19 and (value[0] != "0" or len(value) == 1)):
            return  # (a number the machine reads by _number: its digits matter)
    declared = None
    if len(typedefs) != typedefs_were:
        names = [i for i, (kind, value) in enumerate(zip(types, values)) if kind == "IDENT" and value in typedefs]
        if len(typedefs) != typedefs_were + 1 or len(names) != 1 or values.count(values[names[0]]) != 1:
            return  # (a name made a type where it comes again: the machine decides, as in a replay)
        declared = names[0]
    offsets = tuple(map((-start).__add__, starts))
    shapes[key] = (types, offsets, declared, kept, _values_getter(offsets, values))


# Clauses of one shape (session 22, perf23c): 110,000 ``BEGIN { speculate(s); trace(N); }``
# clauses differ only in their digits, and once 256 texts came once (REST_MISSES) no clause is
# looked up by its text.  Then a clause read by the one-match head (_CLAUSE_HEAD_RE) whose body
# to its first '}' is plain (_CLAUSE_BODY_RE: names, numbers, blanks and punctuators, no '{' '/'
# '#' '$' '@' quote or backquote) is keyed as a declaration is (every digit but 0 a 1: the same
# tokens at the same offsets), from a state nothing before it changes (as for a text kept by
# _keep_rest).  The machine's choices in such a body depend on a name's text only through
# whether it is a keyword (no name with a digit is one), a typedef or a standard type (asked of
# the text's names each time) and, after an open '(' (a cast's?), whether it is one of D's
# names (arg0 ... arg9): a body is kept only when each of its '(' is a call's (after an IDENT),
# so that no such question was asked; and a number's only through the form a plain decimal has
# (the key keeps it; a text with another number, or a run of ';', is not kept).  A key's first
# text is read by the machine and its tokens' types and offsets kept (_keep_clause); a text of
# the same key after it is its tokens at once, their values found by one scan in C.
_CLAUSE_BODY_RE = re.compile(r"[-A-Za-z0-9_ \t\n*,<>=.;()\[\]!&|^~?:+%]*+\}").match


def _clause_key(text: str, pos: int, brace: int):
    """The end and key of the clause from ``pos`` whose body's '{' is at ``brace``, when its body
    is plain (see _CLAUSE_BODY_RE), or None."""
    m = _CLAUSE_BODY_RE(text, brace + 1, pos + DECL_TEXT_MAX)
    if m is None:
        return None
    return m.end(), text[pos:m.end()].encode().translate(_DIGITS_ONE)


def _keep_clause(shapes: dict, seen, buf, pos: int, text: str, parens) -> None:
    """At the end of an item, keep in ``shapes`` the tokens' types and offsets of the clause
    ``seen`` names (its key, start, '{' and end), when the item read was that clause as the
    machine read it (see _CLAUSE_BODY_RE), and left no '(' open (``parens``: ``f(]`` leaves one,
    which the clauses after it read in)."""
    key, start, brace, end = seen
    if parens or pos != end or len(buf) < 3 or buf[0][2] != start or buf[1][2] != brace or buf[-1][2] != end - 1:
        return
    types, values, starts = zip(*buf)
    if types[0] != "PDESC" or types[1] != "LBRACE" or types[-1] != "RBRACE" or "SEMIS" in types:
        return
    if list(values[1:]) != _TOKENS_OF(text, brace, end):  # (every token a match's text, as replayed)
        return
    for i, kind in enumerate(types):
        if kind == "INTLIT":
            value = values[i]
            if not (value.isdigit() and len(value) < 19 and (value[0] != "0" or len(value) == 1)):
                return  # (a number the machine reads by _number: its digits matter)
        elif kind == "LPAREN" and types[i - 1] != "IDENT":
            return  # (a '(' that may be a cast's: the names after it were asked more)
    offsets = tuple(map((-start).__add__, starts))
    shapes[key] = (types, offsets, _values_getter(offsets, values))


def _values_getter(offsets, values):
    """A function: the text of an item of the key kept (from its first character to its end) ->
    its tokens' values, as slices at the offsets of the first text's tokens, of their lengths,
    in one call in C (``findall`` of the token pattern scanned the text again, a third of a
    replay's time).  The same values: texts of one key differ only in digits 1-9 (see
    DECL_TEXT_MAX), and no part of the token pattern tells one of 1-9 from another (every set of
    characters in it that holds one holds all: tests/test_perf24c.py), so its matches in both
    texts begin and end at the same offsets."""
    getter = itemgetter(*[slice(at, at + len(value)) for at, value in zip(offsets, values)])
    if len(offsets) == 1:
        one = getter
        return lambda text: (one(text),)
    return getter


class Lexer:
    """Tokenises one D text.  Iterate :meth:`tokens`; top-level comments and directives are
    collected in :attr:`toplevel` as tree nodes."""

    def __init__(self, text: str, filename: str = "<string>", line_map=None):
        self.text = text
        self.filename = filename
        self.line_map = line_map  # output line -> (file, line) it came from, for preprocessed text
        self.toplevel: list = []
        self.typedefs: set[str] = set()
        self._newlines: list[int] | None = None  # offsets of the text's newlines, when needed
        self.semis = False  # has a SEMIS token been made (see SEMIS)?
        self._at = None  # see offset_function
        self.more = False  # is the list items() just yielded a part of an item? (see items())
        self.resume = None  # where that clause began (see items())
        # (text, offset) of the last clause whose tokens were those of a text read before (see
        # MAX_REST): the parser makes such a clause's tree as it made the text's (parser._remade)
        self.replayed = None
        # (key, offset) of the last item whose tokens were a shape's read before (a declaration's,
        # see DECL_TEXT_MAX, or a clause's, see _CLAUSE_BODY_RE): the parser makes a shape's tree
        # by a function written for it once the shape has come often enough (parser._shaped)
        self.shape = None
        self._lines_read: dict = {}  # a '#' line's text -> its node's class and fields (see _directive)
        # the lines as the text's #line directives name them, once one is read, for a text not
        # preprocessed (dtrace reads them itself: source.LineMarks)
        self.marks = None
        self._marks_read: dict = {}  # a #line's text -> its mark (see _mark_of), or False

    # -- errors and positions ------------------------------------------------------------------
    def _lc(self, pos: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, pos) + 1
        start = self.text.rfind("\n", 0, pos) + 1
        return line, pos - start + 1

    def error(self, message: str, pos: int) -> DSyntaxError:
        line, col = self._lc(min(pos, len(self.text)))
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        source_line = self.text[start : end if end >= 0 else len(self.text)]
        filename = self.filename
        mapped = self.line_map or self.marks
        if mapped is not None:
            filename, line = mapped(line)
        return DSyntaxError(message, Pos(filename, line, col), source_line)

    def pos_at(self, offset: int) -> Pos:
        """The position of a text offset (lines mapped back for preprocessed text)."""
        newlines = self._newlines
        if newlines is None:
            newlines = self._newlines = _newline_offsets(self.text)
        index = bisect_right(newlines, offset - 1)  # the number of newlines before offset
        col = offset - newlines[index - 1] if index else offset + 1
        mapped = self.line_map or self.marks
        if mapped is None:
            return Pos(self.filename, index + 1, col)
        return Pos(*mapped(index + 1), col)

    _pos = pos_at

    def _node_at(self, offset: int):
        """What a top-level node the lexer makes stores as its position: a registered offset
        (see :meth:`offset_function`), or for preprocessed text its ``Pos`` (the parser orders
        such nodes among the items by their mapped lines)."""
        if self.line_map is not None:
            return self.pos_at(offset)
        return self.offset_function()(offset)

    def position_function(self):
        """A function offset -> :class:`Pos`, as :meth:`pos_at` but faster (the parser asks once
        per leaf of the tree)."""
        newlines = self._newlines
        if newlines is None:
            newlines = self._newlines = _newline_offsets(self.text)
        if self.line_map is not None or self.marks is not None:
            return self.pos_at
        filename = self.filename
        # The parser asks for offsets mostly in order, a few per line: the line of the last answer
        # is tried first, then the next one, before a binary search (which compares a dozen
        # Python integers: a large share of a position's cost).  ``bounds[i]`` and
        # ``bounds[i + 1]`` are the offsets of the newlines around line i + 1 (-1 and past the
        # text's end at the ends, twice there: a line past the last never holds an offset).
        # The last answer's line is held in the closure's cells, its bounds and number ready, so
        # an offset on that line (most of them) costs one comparison and the position itself.
        end = len(self.text) + 1
        bounds = [-1, *newlines, end, end] if newlines.__class__ is list else \
            array("q", (-1,)) + newlines + array("q", (end, end))  # (no int per line: see _newline_offsets)
        line_start, line_end, line = -1, bounds[1], 1  # line: the last answer's (1-based)
        new = tuple.__new__

        def pos_at(offset, bisect=bisect_right):
            nonlocal line_start, line_end, line
            if not line_start < offset <= line_end:
                index = line  # the next line's (0-based)
                if not bounds[index] < offset <= bounds[index + 1]:
                    index = bisect(newlines, offset - 1)  # the number of newlines before offset
                line_start, line_end, line = bounds[index], bounds[index + 1], index + 1
            # Pos(filename, line, col), made directly (a Pos is a tuple underneath)
            return new(Pos, (filename, line, offset - line_start))

        return pos_at

    def offset_function(self):
        """A function offset -> what the parser stores as a node's position: the offset in this
        text registered with :func:`dtracepy.source.register_text` (the same function for every
        call), whose ``Pos`` the node makes when asked (``tree.Node.pos``)."""
        at = self._at
        if at is None:
            newlines = self._newlines
            if newlines is None:
                newlines = self._newlines = _newline_offsets(self.text)
            # (an int's own addition: a call in C, cheaper than any Python function)
            at = self._at = register_text(self.filename, len(self.text), newlines, self.line_map).__add__
        return at

    # -- helpers -------------------------------------------------------------------------------
    def _skip_blank(self, pos: int, keep_comments: bool) -> int:
        """Skip white space and comments; record comments as top-level nodes if asked."""
        text = self.text
        while True:
            pos = _WS_RE.match(text, pos).end()
            if text.startswith("/*", pos):
                pos = self._comment(pos, keep_comments)
                continue
            return pos

    def _comment(self, pos: int, keep: bool) -> int:
        text = self.text
        end = text.find("*/", pos + 2)
        if end < 0:
            nested = text.find("/*", pos + 2)
            if nested >= 0:
                raise self.error("nested comment", nested)
            raise self.error("unterminated comment", pos)
        nested = text.find("/*", pos + 2, end)
        if nested >= 0:
            raise self.error("nested comment", nested)
        if keep:
            self.toplevel.append(tree.Comment(text[pos + 2 : end], pos=self._node_at(pos)))
        return end + 2

    def _peek_past_blank(self, pos: int) -> str:
        """The next character from pos that is not white space or in a comment ('' at the end),
        without recording anything."""
        text = self.text
        while True:
            pos = _WS_RE.match(text, pos).end()
            if not text.startswith("/*", pos):
                return text[pos : pos + 1]
            end = text.find("*/", pos + 2)
            if end < 0:
                return "/"
            pos = end + 2

    def _next_char(self, pos: int) -> str:
        """The next non-blank character from pos, skipping white space only ('' at the end)."""
        m = _WS_RE.match(self.text, pos)
        return self.text[m.end() : m.end() + 1]

    def _directive(self, pos: int, top: bool, run: bool = False) -> int:
        """A '#' line at pos (the '#').  Returns the position after it.

        A top-level line whose text was read before (see :meth:`_directive_read`) makes its node
        from the fields kept for that text, with no other step: 500,000 ``#line 5`` lines were
        each split, matched and tested again.  ``run`` (the lexer is at the top level, between
        items): the lines after it that are such lines too, each right after the newline before
        it, are read here as well (what the lexer's loop would do with each, one step each)."""
        if top and pos:
            text = self.text
            lines_read = self._lines_read
            get = lines_read.get
            plain = _PLAIN_LINE_RE or _plain_line_re()
            name_of, directive = _NAMED_DIRECTIVES.get, tree.Directive
            make = tree.builder(directive)
            add = self.toplevel.append
            node_at = self._node_at if self.line_map is not None else self.offset_function()
            marks_read, newlines = self._marks_read, self._newlines
            plain_text = self.line_map is None  # (dtrace reads its #line directives: see _mark_of)
            next_line = None  # the line after the one at pos, counted from 1, once asked
            starts = files = firsts = None  # the marks' lists, once there are marks (see LineMarks)
            first = pos
            while True:
                nl = text.find("\n", pos)
                if nl < 0:
                    break
                line = text[pos:nl]
                known = get(line)
                if known is None:
                    # A plain line (see _PLAIN_LINE_RE) is read by one match: 190,000 distinct
                    # `#define Mi i` lines were each read by the general path below.
                    m = plain(line)
                    name = name_of(m[1]) if m is not None else None
                    if name is None:
                        break
                    known = directive, (name, m[2].rstrip(" \t"))  # (the blanks before it: the pattern's)
                    if len(lines_read) < MAX_LINES_READ:
                        lines_read[line] = known
                cls, args = known
                if cls is directive:
                    # (made by its builder, without Directive's test: fields kept once a node of
                    # them was made, or a plain line's, which passes it: see _PLAIN_LINE_RE)
                    node = make()
                    node.name, node.text = args
                    node.pos = node_at(pos)
                    node.__class__ = directive
                    add(node)
                else:
                    add(cls(*args, pos=node_at(pos)))
                if plain_text and (cls is not directive or args[0] == "line" or args[0] == ""):  # (# 5 too)
                    # (a #line's mark, judged once for its text, added without a call: each of
                    # 500,000 `#line 5` lines made one, a third of their reading at first)
                    mark = marks_read.get(line)
                    if mark is None:
                        mark = marks_read[line] = self._mark_of(self.toplevel[-1])
                    if mark:
                        if next_line is None:
                            next_line = bisect_left(newlines, nl) + 2
                        if starts is None:
                            marks = self.marks or self._marked()
                            starts, files, firsts = marks.starts, marks.files, marks.firsts
                        if not starts or next_line > starts[-1]:  # (as LineMarks.add)
                            starts.append(next_line)
                            files.append(mark[0] if mark[0] is not None else files[-1] if files else self.filename)
                            firsts.append(mark[1])
                if not run or text[nl + 1 : nl + 2] != "#":
                    return nl
                pos = nl + 1
                if next_line is not None:
                    next_line += 1
            if pos != first:
                return pos - 1  # (the line at pos: the lexer's loop reads it, here by the path below)
        return self._directive_read(pos, top)

    def _directive_read(self, pos: int, top: bool) -> int:
        """:meth:`_directive`'s reading of a line: its node, and for a top-level line below the
        first that is one line without a carriage return and makes a ``Directive`` or ``Pragma``
        (what decides its node is then its text alone: not a ``#!`` line, no continuation, no
        CRLF refusal; :data:`MAX_LINES_READ` texts at most) its node's fields, kept by its text."""
        text = self.text
        if not top and not _CLAUSE_CONTROL_RE.match(text, pos):
            raise self.error(
                "preprocessor directive inside a clause or declaration "
                "(run the C preprocessor first: -C, as dtrace -C does)", pos)
        end = pos
        while True:
            nl = text.find("\n", end)
            if nl < 0:
                raise self.error("end of file in preprocessor directive", len(text))
            if nl > 0 and text[nl - 1] == "\\" or (nl > 1 and text[nl - 2 : nl] == "\\\r"):
                end = nl + 1
                continue
            break
        line = text[pos:nl].rstrip("\r")
        if text[nl - 1] == "\r" and self.line_map is None and not (pos == 0 and line.startswith("#!")):
            word = _crlf_rejected(line)
            if word is not None:
                raise self.error(
                    f"this line ends in a carriage return (a CRLF line ending), which dtrace reads as "
                    f"part of the directive ({word!r}) and rejects the line; save the file with LF "
                    f"line endings (or preprocess it: -C)", nl - 1)
        node_pos = self._node_at(pos)
        # (under -C the text at 0 may be an included header's: its #! line is no #! line of the script;
        # and a line marker in the script makes the preprocessor start its output with a blank line,
        # so the script's #! line, its line 1, is found after blanks)
        if line.startswith("#!") and (pos == 0 if self.line_map is None else (
                node_pos.file == self.filename and node_pos.line == 1 and not text[:pos].strip())):
            node = tree.Shebang(line[2:], pos=node_pos)
        else:
            body = line[1:].lstrip(" \t")
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", body)
            name = m.group(0) if m else ""
            rest = body[len(name):].strip(" \t")
            if name == "pragma":
                node = tree.Pragma(parse_pragma_words(rest), pos=node_pos)
                fields = (node.words,)
            else:
                node = tree.Directive(name, rest, pos=node_pos)
                fields = (name, rest)
            if top and pos and end == pos and len(self._lines_read) < MAX_LINES_READ:
                key = text[pos:nl]
                if "\r" not in key:
                    self._lines_read[key] = (node.__class__, fields)
        self.toplevel.append(node)
        if self.line_map is None and (node.__class__ is tree.Pragma or node.__class__ is tree.Directive
                                      and node.name in ("line", "")):
            key = text[pos:nl]
            mark = self._marks_read.get(key)
            if mark is None:
                mark = self._mark_of(node)
                if len(self._marks_read) < MAX_LINES_READ:
                    self._marks_read[key] = mark
            if mark:
                if self._newlines is None:
                    self._newlines = _newline_offsets(text)
                (self.marks or self._marked()).add(bisect_left(self._newlines, nl) + 2, *mark)
        return nl

    def _marked(self):
        """The text's :attr:`marks`, made when its first ``#line`` is read: positions in the text
        follow them from then on, those the parser stored too."""
        self.marks = LineMarks(self.filename)
        follow_marks(self.offset_function()(0), self.marks)
        return self.marks

    def _mark_of(self, node):
        """What the ``#line`` (a line marker, ``#pragma line``, ``#pragma D line``) ``node`` says of the
        lines after it in a text dtrace reads unpreprocessed (:class:`dtracepy.source.LineMarks`):
        ``(file or None, the next line's number)``; False for another directive.  One dtrace
        refuses names nothing (the check says why, at its line); nor does one whose number is out
        of a line's range."""
        if node.__class__ is tree.Directive:
            from dtracepy.facts.options import line_words

            if node.name == "line":
                words, after = line_words(node.text), 1
            elif node.text[:1].isdigit():  # (a line marker: `# 12 "file"`, the line after is 12)
                words, after = line_words(node.text), 0
            else:
                return False
        else:
            words = tuple(node.words)
            if words[:1] == ("line",):
                words, after = words[1:], 1
            elif words[:2] == ("D", "line"):
                words, after = words[2:], 1
            else:
                return False
        from dtracepy.facts.options import line_number, line_problem  # (only for a #line)

        if not words or line_problem(words) is not None:
            return False
        first = line_number(words[0]) + after
        if not 0 < first < 1 << 31:  # (dtrace keeps it in a C int; 0 and less it shows as no line)
            return False
        if len(words) == 1:
            return None, first
        # (the name as dtrace names it: its escapes decoded, as in a string, to its first NUL)
        from dtracepy.facts.escapes import decode_string

        return decode_string(words[1][1:-1]).split("\0", 1)[0], first

    def _hash_line_next(self, pos: int) -> bool:
        m = _WS_RE.match(self.text, pos)
        return "\n" in m.group(0) and self._at_line_start(m.end())

    def _at_line_start(self, pos: int) -> bool:
        if not pos or self.text[pos - 1] == "\n":  # (the usual '#': no blank before it)
            return True
        start = self.text.rfind("\n", 0, pos) + 1
        return self.text[start:pos].strip(" \t\r\f\v") == ""

    # -- the token stream ----------------------------------------------------------------------
    def tokens(self):
        """The tokens, one by one (see :meth:`items`; a ``SEMIS`` run as its ``SEMI`` tokens)."""
        try:
            for item in self.items():
                yield from semicolons(item)
        except DSyntaxError:
            yield from semicolons(self.partial)  # the tokens before the error come first, as they would
            raise

    def items(self, chunk: int | None = None, resume=None):
        """The tokens, in lists: one per top-level item (a clause or a declaration), as the lexer
        sees items end (a clause body's closing ``}``, a declaration's ``;``, a predicate with no
        body).  On a lexing error, :attr:`partial` holds the tokens of the item before it.

        With ``chunk``, a clause body is handed over in parts instead of whole: once the body's
        list holds ``chunk`` tokens, it is yielded at the next ``;`` of the body's own statement
        list (its level of braces) and a new list begun.  :attr:`more` says whether the list
        just yielded is such a part (the item goes on in the next).  A body of millions of
        statements is then never held whole as tokens.  :attr:`resume` then tells where the
        clause began, in the form ``items(resume=...)`` takes: lexing again from there, in the
        same state, gives the clause as one list (the parser does when it needs the whole clause)
        and then the items after it.  A declaration is handed over in parts too (of
        DECL_PART tokens, at a name or a comma; :attr:`more` says so as for a clause's part),
        which the parser gathers, or stops at the first token its automaton refuses."""
        buf: list = []
        self.partial = buf
        self.more = False
        self.replayed = self.shape = None
        try:
            yield from self._lex(buf, chunk, resume)
        except DSyntaxError:
            self.partial = self._buf
            raise
        self.more = False
        if self._buf:
            yield self._buf

    def _lex(self, buf, chunk=None, resume=None):
        add = buf.append
        self._buf = buf
        text = self.text
        n = len(text)
        pos = 0
        state = TOP
        chunk_size = chunk or n + 2  # (a body never holds more than n + 1 tokens)
        decl_part = DECL_PART if chunk else n + 2  # (see DECL_PART)
        finditer = _TOKEN_RE.finditer
        body_finditer = _BODY_TOKEN_RE.finditer  # (a state lasts a whole scan: see below)
        ident_start = _IDENT_START
        decl = DECL
        name_after = _NAME_AFTER
        punct = _PUNCT
        error = self.error
        typedefs = self.typedefs
        # a name's token in the fast path below: _KNOWN_WORDS's, else TYPE_NAME for a typedef
        # (kept with typedefs; a keyword is never one: only a name lexed as IDENT is added)
        word_kinds = {**dict.fromkeys(typedefs, "TYPE_NAME"), **_KNOWN_WORDS}
        word_kind = word_kinds.get
        # the simple statements read so far, by their text (see _SIMPLE_STATEMENT; emptied when
        # word_kinds changes, as their names' tokens may)
        simple_statements: dict = {}
        simple_get = simple_statements.get
        simple_misses = 0  # (see SIMPLE_MISSES)
        # the predicates and bodies read so far, by their text (see _keep_rest; emptied when
        # word_kinds changes, as simple_statements is)
        rests: dict = {}
        rest_misses = 0  # texts seen once, less texts seen again (see REST_MISSES)
        pending: list = []  # the texts seen a second time being read now (see _keep_rest)
        # the declarations' shapes read so far, by key (see DECL_TEXT_MAX), the one being read
        # now (its key, start, end and the typedefs' count then) and the misses
        decl_shapes: dict = {}
        decl_seen = None
        decl_misses = 0
        # the clauses' shapes read so far, by key (see _CLAUSE_BODY_RE), the one being read now
        clause_shapes: dict = {}
        clause_seen = None
        standard_types = STANDARD_TYPES
        depth = 0  # ( [ { nesting inside the current item
        # the operators and commas counted at each enclosing level (see MAX_OPERATORS), by depth
        outer_ops, outer_commas = [0] * (MAX_NESTING + 2), [0] * (MAX_NESTING + 2)
        outer_chains = [0] * (MAX_NESTING + 2)  # (the member accesses counted, by depth, the same)
        postfix = _POSTFIX
        chain = 0  # member accesses since the last other operator, ',' or ';' at this level (see MAX_OPERATORS)
        pred_depth = 0
        brace_kinds: list[str] = []  # kinds of open braces in a DECL: struct enum xlator provider
        paren_kinds: list[bool] = []  # True for a parameter list
        prev = prev2 = ""  # types of the previous two tokens
        spec_ctx = False
        decl_kind = ""  # "typedef" while in a typedef declaration
        typedef_name_expected = False
        su_pending = ""  # "struct"/"enum" keyword seen, its "{" not yet
        in_xlator_header = False
        type_done = False
        decl_expr = False  # in a DECL, inside an expression (after '=')
        enum_depths: list[int] = []  # depth of each open enum brace (its enumerators' level)
        parens: list[str] = []  # open '(': "call" (or sizeof ...), "cond" (if ...), "open", "cast"
        closed = ""  # what the last ')' closed
        cast_before = ""  # the token before the last '(', as the cast heuristic sees it
        # Resuming where a clause began (see items()), in the state it began in: what of the
        # state before a clause can still change how it lexes (a '(' left open by a malformed
        # item; a typedef declaration that never named its type, after which a name at the same
        # level of brackets becomes that type, as before; and the typedefs then).
        clause_quirk = None
        if resume is not None:
            pos, toplevel_len, parens, clause_quirk = resume
            parens = list(parens)
            del self.toplevel[toplevel_len:]
            if clause_quirk is not None:
                typedef_name_expected = True
                decl_kind, paren_kinds, brace_kinds, kept = clause_quirk
                typedefs.clear()
                typedefs.update(kept)
                word_kinds = {**dict.fromkeys(typedefs, "TYPE_NAME"), **_KNOWN_WORDS}
                word_kind = word_kinds.get
            chunk_size = n + 2  # the clause whole, then the items after it as asked

        while True:
            if state < PRED:  # TOP, AFTER_DESC, DESC, AFTER_PRED
                nops = ncommas = 0  # (see MAX_OPERATORS: a predicate or a body starts anew)
                if state == AFTER_PRED:
                    pos = _WS_RE.match(text, pos).end()
                    ch = text[pos : pos + 1]
                    if ch != "{" and ch != ";" and self._peek_past_blank(pos) not in ("{", ";"):
                        # the clause has no body: what follows (comments too) is top level
                        state = TOP
                if state == TOP and buf:  # an item ended
                    if pending:  # a clause or a predicate and body seen twice: keep its tokens
                        for seen in pending:
                            _keep_rest(seen, buf, pos, parens, len(self.toplevel), rests, text)
                        pending.clear()
                    if decl_seen is not None:  # a declaration's shape read once: kept
                        if not typedef_name_expected and len(decl_shapes) < 4096:
                            _keep_decl(decl_shapes, decl_seen, buf, pos, typedefs, text,
                                       (prev, prev2, spec_ctx, decl_kind, su_pending, in_xlator_header,
                                        type_done, decl_expr))
                        decl_seen = None
                    if clause_seen is not None:  # a clause's shape read once: kept
                        if len(clause_shapes) < 4096:
                            _keep_clause(clause_shapes, clause_seen, buf, pos, text, parens)
                        clause_seen = None
                    self.more = False
                    yield buf
                    buf = self._buf = []
                    add = buf.append
                    if chunk is not None:
                        chunk_size = chunk
                pos = _WS_RE.match(text, pos).end()
                if text.startswith("/*", pos):
                    pos = self._skip_blank(pos, keep_comments=(state == TOP))
                if pos >= n:
                    if state == AFTER_DESC:
                        raise error("expected a predicate or a clause body after probe description", pos)
                    if state == DESC:
                        raise error("expected a probe description after ','", pos)
                    return
                ch = text[pos]
                if ch == "#" and self._at_line_start(pos):
                    pos = self._directive(pos, top=(state == TOP or state == AFTER_PRED), run=(state == TOP))
                    if state == AFTER_PRED:
                        state = TOP
                    continue
                if state == AFTER_PRED:
                    if ch == ";":  # dt_lex.l ends a predicate at ';' too; nothing follows it
                        pos += 1
                        state = TOP
                        continue
                    if ch == "{":
                        state = BODY
                        depth = 1
                        add(("LBRACE", "{", pos))
                        prev = "LBRACE"
                        pos += 1
                        continue
                    state = TOP
                    continue
                if state == AFTER_DESC:
                    if ch == ",":
                        add(("COMMA", ",", pos))
                        pos += 1
                        state = DESC
                        continue
                    if rest_misses < REST_MISSES and not parens and not spec_ctx and not typedef_name_expected:
                        # the clause's predicate and body, when their text was read before (see
                        # _keep_rest): their tokens, with no scan
                        key, end, known = _looked_up(text, pos, rests)
                        if known.__class__ is tuple:
                            types, values, offsets, semis = known
                            if len(buf) + len(types) <= chunk_size:  # (no part to hand over)
                                buf += zip(types, values, map(pos.__add__, offsets))
                                if semis:
                                    self.semis = True
                                rest_misses -= 1
                                pos = end
                                state = TOP
                                depth = 0
                                prev = "RBRACE"
                                continue
                        elif known is None:  # a first sighting (noted): the text scanned
                            rest_misses += 1
                        elif known is True:  # the second: scanned, its tokens kept at its end
                            pending.append((key, pos, end, buf, len(buf), len(self.toplevel)))
                    if ch == "/":
                        add(("PRED_OPEN", "/", pos))
                        pos += 1
                        state = PRED
                        pred_depth = 0
                        prev = prev2 = "PRED_OPEN"
                        continue
                    if ch == "{":
                        add(("LBRACE", "{", pos))
                        pos += 1
                        state = BODY
                        depth = 1
                        prev = prev2 = "LBRACE"
                        continue
                    raise error("expected a predicate or a clause body after probe description", pos)
                if state == DESC:
                    if ch == "{" or ch == "/":  # a comma after the last description
                        raise error(f'syntax error near "{ch}"', pos)  # as dtrace says
                    m = _PSPEC_RE.match(text, pos)
                    if not m:
                        raise error(f'syntax error near "{ch}": expected a probe description', pos)
                    add(("PDESC", m.group(0), pos))
                    pos = m.end()
                    state = AFTER_DESC
                    continue
                # TOP: a declaration or a clause?
                if decl_misses < DECL_MISSES and ch in ident_start:
                    # a declaration of a shape read before: its tokens, with no step of the
                    # machine (see DECL_TEXT_MAX)
                    found = _decl_key(text, pos)
                    decl_misses += 1  # (unless it is a text seen again: then one less, below)
                    if found is not None:
                        end, key = found
                        known = decl_shapes.get(key)
                        # (its names among them)
                        values = _TOKENS_OF(text, pos, end) if known is None else known[4](text[pos:end])
                        if not typedefs.isdisjoint(values) or not standard_types.isdisjoint(values):
                            pass  # (a name's token may be a type name's: the machine decides)
                        elif known is None:  # a first sighting: read by the machine, kept at its end
                            decl_seen = (key, pos, end, len(typedefs))
                        else:
                            types, offsets, declared, kept, _ = known
                            if declared is None or values.count(values[declared]) == 1:
                                buf += zip(types, values, map(pos.__add__, offsets))
                                self.shape = (key, pos)
                                if declared is not None:  # (as the machine adds a typedef's name)
                                    word = values[declared]
                                    typedefs.add(word)
                                    word_kinds.setdefault(word, "TYPE_NAME")
                                    simple_statements.clear()
                                    rests.clear()
                                prev, prev2, spec_ctx, decl_kind, su_pending, in_xlator_header, \
                                    type_done, decl_expr = kept
                                typedef_name_expected = False
                                depth = 0
                                brace_kinds, paren_kinds, enum_depths, parens = [], [], [], []
                                decl_misses -= 2
                                pos = end
                                continue  # (state is TOP)
                if rest_misses >= REST_MISSES:
                    # (no text is looked up any more: a file of distinct clauses)  A clause that
                    # begins ``provider:...`` and a body (the usual clause) in one match, not the
                    # four matches and the state machine's steps below: its first word is no
                    # keyword and a ':' follows it, so it is no declaration, the description is
                    # what _PSPEC_RE reads (blanks and '{' end that), and the '{' is what
                    # AFTER_DESC reads next.
                    m = _CLAUSE_HEAD_RE(text, pos)
                    if m is not None and m[1] not in KEYWORDS:
                        if chunk is not None:  # (as for a clause read below)
                            self.resume = (pos, len(self.toplevel), tuple(parens),
                                           (decl_kind, paren_kinds, brace_kinds, set(typedefs))
                                           if typedef_name_expected else None)
                        if not parens and not spec_ctx and not typedef_name_expected and CLAUSE_SHAPES:
                            # a clause of a shape read before: its tokens, with no step of the
                            # machine (see _CLAUSE_BODY_RE)
                            brace = m.end() - 1
                            found = _clause_key(text, pos, brace)
                            if found is not None:
                                end, key = found
                                known = clause_shapes.get(key)
                                # (a replay's values begin with the description's: a typedef of its
                                # spelling sends the clause to the machine, which reads it all the same)
                                values = _TOKENS_OF(text, brace, end) if known is None else \
                                    known[2](text[pos:end])
                                if not typedefs.isdisjoint(values) or not standard_types.isdisjoint(values):
                                    pass  # (a name's token may be a type name's: the machine decides)
                                elif known is not None:
                                    types, offsets, _ = known
                                    buf += zip(types, values, map(pos.__add__, offsets))
                                    self.shape = (key, pos)
                                    prev, prev2 = "RBRACE", types[-2]
                                    depth = 0
                                    pos = end
                                    continue  # (state is TOP)
                                else:  # a first sighting: read by the machine, kept at its end
                                    clause_seen = (key, pos, brace, end)
                        add(("PDESC", text[pos:m.end(2)], pos))
                        pos = m.end()
                        add(("LBRACE", "{", pos - 1))
                        state = BODY
                        depth = 1
                        prev = prev2 = "LBRACE"
                        continue
                if rest_misses < REST_MISSES and not parens and not spec_ctx and not typedef_name_expected:
                    # a clause whose text (to its first '}') was read before: its tokens, with no
                    # scan (see MAX_REST and, for a clause's predicate and body, AFTER_DESC above)
                    key, end, known = _looked_up(text, pos, rests)
                    if known.__class__ is tuple:
                        types, values, offsets, semis = known
                        if len(types) <= chunk_size:  # (no part to hand over)
                            if chunk is not None:  # (as for a clause scanned, below)
                                self.resume = (pos, len(self.toplevel), (), None)
                            self.replayed = (key, pos)
                            buf += zip(types, values, map(pos.__add__, offsets))
                            if semis:
                                self.semis = True
                            rest_misses -= 1
                            pos = end
                            depth = 0
                            prev = "RBRACE"
                            continue  # (state is TOP)
                    elif known is None:  # a first sighting (noted): the text read as below
                        rest_misses += 1
                    elif known is True:  # the second: read as below, its tokens kept at its end
                        pending.append((key, pos, end, buf, 0, len(self.toplevel)))
                m = _WORD_RE.match(text, pos)
                is_decl = False
                if m is not None:
                    word = m[1]
                    if word in KEYWORDS:
                        is_decl = True
                    else:
                        after = m.end(1)
                        nxt = m.end()
                        nxt = text[nxt : nxt + 1]  # the next non-blank character
                        if nxt and (nxt.isalpha() or nxt in "_`"):
                            is_decl = True
                        elif nxt == "*" and (text[after] != "*" or word in typedefs
                                             or word in STANDARD_TYPES):
                            is_decl = True
                if is_decl:
                    state = DECL
                    depth = 0
                    brace_kinds = []
                    paren_kinds = []
                    spec_ctx = True
                    decl_kind = ""
                    typedef_name_expected = False
                    su_pending = ""
                    in_xlator_header = False
                    type_done = False
                    decl_expr = False
                    enum_depths = []
                    parens = []
                    prev = prev2 = ""
                    # fall through to the expression lexer below
                else:
                    m = _PSPEC_RE.match(text, pos)
                    if not m:
                        if ch == "}" or ch == ";" or ch == ")" or ch == "]":
                            raise error(f'syntax error near "{ch}"', pos)
                        if text.startswith("//", pos) and not text.startswith("//*", pos):
                            raise error(NO_LINE_COMMENTS, pos)
                        raise error(f'syntax error near "{ch}": expected a probe description or declaration', pos)
                    if chunk is not None:  # a clause begins: what resuming here needs
                        self.resume = (pos, len(self.toplevel), tuple(parens),
                                       (decl_kind, paren_kinds, brace_kinds, set(typedefs))
                                       if typedef_name_expected else None)
                    add(("PDESC", m.group(0), pos))
                    pos = m.end()
                    state = AFTER_DESC
                    continue

            # -- expression tokens (PRED, BODY, DECL) -------------------------------------------
            # One scan of the token pattern from here on: the regular expression engine walks the
            # text in a C loop and this loop only looks at what it found.  The scan is left (and
            # a new one begun where the lexer goes on) only where a token is not the pattern's:
            # the item ends (the state machine goes back to the top level), a character constant,
            # a '#' line.
            if state == DECL:
                most_ops, most_commas = MAX_DECL_OPERATORS, MAX_DECL_ITEMS - 1
                too_many_ops = too_many_items = None  # (the message made when it is needed)
            else:
                most_ops, most_commas = MAX_OPERATORS, MAX_ITEMS - 1
                too_many_ops, too_many_items = _TOO_MANY_OPERATORS, _TOO_MANY_ITEMS
            if prev == "LBRACE" and state == BODY and depth == 1 and not typedef_name_expected \
                    and simple_misses < SIMPLE_MISSES:
                # a body begins: its first statement, when simple, as after a ';' (see below)
                m = _SIMPLE_FIRST_RE(text, pos)
                if m is not None:
                    tok = text[pos - 1 : m.end()]  # (from the '{': the form the cache holds)
                    simple = simple_get(tok)
                    if simple.__class__ is not tuple:
                        if simple is None and len(simple_statements) < 4096 and len(tok) <= 256:
                            simple_statements[tok] = True  # (a first sighting, as _simple_seen notes it)
                            simple = False
                            simple_misses += 1
                        else:
                            simple = _simple_seen(tok, simple, simple_statements, word_kind)
                    if simple is not False:
                        found, prev, nops = simple
                        chain = 0
                        start = pos - 1
                        for ttype, value, offset in found:
                            add((ttype, value, start + offset))
                        pos = m.end()
            for m in (body_finditer if state == BODY else finditer)(text, pos):
                tok = m[0]
                start = m.start()
                c = tok[0]
                if c in ident_start:
                    if not spec_ctx and not typedef_name_expected and state != decl and "`" not in tok:
                        # the common case in predicates and bodies, as the general path below
                        # decides it when none of its special cases applies (type_done, which
                        # it sets for a type name, is read in declarations only)
                        if prev not in name_after:
                            # a keyword's token, a standard type's or a typedef's
                            ttype = word_kind(tok, "IDENT")
                            add((ttype, tok, start))
                            prev = ttype  # (prev2 is read in declarations only)
                            continue
                        ttype = name_after[prev]
                        if ttype:  # a member's name
                            add((ttype, tok, start))
                            prev = ttype
                            continue
                    word = tok
                    pos = m.end()
                    if "`" in word:
                        ttype = "SCOPED"
                        if prev in ("K_STRUCT", "K_UNION", "K_ENUM"):
                            pass
                        elif spec_ctx or prev == "LPAREN" and self._cast_type(word, pos, cast_before):
                            ttype = "TYPE_NAME"
                            spec_ctx = False
                        elif (state == DECL and paren_kinds and paren_kinds[-1] == "dims"
                              and (prev == "LBRACK" or prev == "COMMA") and self._dim_type(word, pos)):
                            ttype = "TYPE_NAME"  # a module-scoped key type: int a[genunix`u4_t *]
                            type_done = True
                        if ttype == "TYPE_NAME" and prev == "LPAREN" and parens and parens[-1] == "open":
                            parens[-1] = "cast"
                        add((ttype, word, start))
                        prev2, prev = prev, ttype
                        continue
                    kw = KEYWORDS.get(word) if prev != "DOT" and prev != "ARROW" else None
                    if kw is not None:
                        if state == DECL and word in TYPE_KEYWORDS:
                            type_done = True
                        if spec_ctx and word not in STORAGE_QUAL:
                            spec_ctx = False
                        if word == "typedef" and state == DECL:
                            decl_kind = "typedef"
                            typedef_name_expected = True
                        elif word in ("struct", "union", "enum") and state == DECL:
                            su_pending = word
                        elif word == "translator" and state == DECL:
                            in_xlator_header = True
                            spec_ctx = True
                        if prev == "LPAREN" and parens and parens[-1] == "open" and word in _CAST_WORDS:
                            parens[-1] = "cast"
                        add((kw, word, start))
                        prev2, prev = prev, kw
                        continue
                    ttype = "IDENT"
                    if prev == "DOT" or prev == "ARROW":
                        pass
                    elif prev in ("K_STRUCT", "K_UNION", "K_ENUM"):
                        type_done = True
                    elif spec_ctx:
                        spec_ctx = False
                        if not (state == DECL and not paren_kinds and self._next_char(pos) in (",", ";", "[", "=")):
                            ttype = "TYPE_NAME"  # else a declarator name: self x, y;
                            type_done = True
                    elif (state == DECL and paren_kinds and paren_kinds[-1] == "dims"
                          and (prev == "LBRACK" or prev == "COMMA") and self._dim_type(word, pos)):
                        ttype = "TYPE_NAME"  # an associative array's key type: int a[foo_t, bar *]
                        type_done = True
                    elif (state == DECL and type_done and not decl_expr
                          and (not brace_kinds or brace_kinds[-1] != "xlator")):
                        pass  # a declarator's name
                    elif word in typedefs or word in STANDARD_TYPES:
                        ttype = "TYPE_NAME"
                        type_done = True
                    elif prev == "LPAREN" and self._cast_type(word, pos, cast_before):
                        ttype = "TYPE_NAME"
                    if ttype == "IDENT":
                        if (decl_kind == "typedef" and typedef_name_expected and depth == len(paren_kinds)
                                and not brace_kinds and prev not in ("K_STRUCT", "K_UNION", "K_ENUM")):
                            typedefs.add(word)
                            word_kinds.setdefault(word, "TYPE_NAME")
                            simple_statements.clear()
                            rests.clear()
                            typedef_name_expected = False
                    elif prev == "LPAREN" and parens and parens[-1] == "open":
                        parens[-1] = "cast"
                    add((ttype, word, start))
                    prev2, prev = prev, ttype
                    if state == decl and len(buf) >= decl_part:
                        # a long declaration: hand over its part (see DECL_PART), not kept as a
                        # shape or a text read before (those keep an item's tokens whole)
                        decl_seen = None
                        pending.clear()
                        self.more = True
                        yield buf
                        buf = self._buf = []
                        add = buf.append
                    continue
                if c == ";" and state != decl and (tok[-1] != ";" or tok == ";"):  # (not a ';' run)
                    # a statement's end in a predicate or body, the next most common token: what
                    # the general path below does with it there, without its tests of the other
                    # punctuators (prev2 is read in declarations only)
                    nops = ncommas = chain = 0
                    spec_ctx = decl_expr = False
                    add(("SEMI", ";", start))
                    prev = "SEMI"
                    if depth == 1 and len(buf) >= chunk_size and state == BODY:
                        # a long body's statement ends: hand over its part (see items())
                        self.more = True
                        yield buf
                        buf = self._buf = []
                        add = buf.append
                    if tok != ";":
                        # and the simple statement after it (see _SIMPLE_STATEMENT): its tokens,
                        # the last one's type and the operators counted, made once a text (from
                        # its second sighting: see _simple_seen)
                        simple = simple_get(tok)
                        if simple is None and not typedef_name_expected:
                            # (a text not seen before, of a shape seen before: see _simple_shaped)
                            simple = _simple_shaped(tok, simple_statements, word_kind)
                        if simple.__class__ is not tuple or typedef_name_expected:
                            simple = _simple_seen(tok, simple, simple_statements, word_kind)
                            if simple is False or typedef_name_expected:
                                # one the scan reads token by token: a new scan from its start
                                pos = start + 1
                                simple_misses += 1
                                if simple_misses >= SIMPLE_MISSES:
                                    body_finditer = _BODY_PLAIN_RE.finditer
                                break
                        found, prev, nops = simple
                        chain = 0
                        for ttype, value, offset in found:
                            add((ttype, value, start + offset))
                    continue
                ttype = punct.get(tok)
                if ttype is not None:
                    spec_ctx = False
                    if tok not in _SPECIAL_PUNCT:  # an operator the state machine does not follow
                        add((ttype, tok, start))
                        prev2, prev = prev, ttype
                        if ttype not in postfix:
                            nops += 1
                            chain = 0
                            if nops > most_ops:
                                raise error(too_many_ops or _too_long_declaration("operators"), start)
                        else:
                            chain += 1
                            if chain > most_ops:
                                raise error(_TOO_LONG_CHAIN if too_many_ops else _too_long_declaration("operators"), start)
                        continue
                    p = tok
                    if p == "=":  # (the most common of these first)
                        if state == DECL:
                            type_done = False
                            decl_expr = True
                        nops += 1
                        chain = 0
                        if nops > most_ops:
                            raise error(too_many_ops or _too_long_declaration("operators"), start)
                    elif p == ",":
                        ncommas += 1
                        if ncommas > most_commas:
                            raise error(too_many_items or _too_long_declaration("items"), start)
                        nops = chain = 0
                        if state == DECL:
                            if paren_kinds and paren_kinds[-1] is True and depth == len(brace_kinds) + len(paren_kinds):
                                spec_ctx = True
                                type_done = False
                            elif paren_kinds and paren_kinds[-1] == "dims":
                                type_done = False
                            if decl_kind == "typedef" and depth == 0:
                                typedef_name_expected = True
                            if enum_depths and enum_depths[-1] == depth:
                                decl_expr = False  # the next enumerator
                                type_done = True
                            if len(buf) >= decl_part:  # (as at a name above, the comma first)
                                add((ttype, p, start))
                                prev2, prev = prev, ttype
                                decl_seen = None
                                pending.clear()
                                self.more = True
                                yield buf
                                buf = self._buf = []
                                add = buf.append
                                continue
                    elif p == "(" or p == "[" or p == "{":
                        if prev == "RPAREN" or prev == "RBRACK":  # f(x)(y), a[x][y]: one more level
                            nops += 1
                            if nops > most_ops:
                                raise error(too_many_ops or _too_long_declaration("operators"), start)
                        depth += 1
                        if depth > MAX_NESTING:
                            raise error(f"nested too deeply (more than {MAX_NESTING} levels of ( [ {{)", start)
                        outer_ops[depth] = nops
                        outer_commas[depth] = ncommas
                        outer_chains[depth] = chain
                        chain = 0
                        nops = ncommas = 0
                        if state == PRED:
                            pred_depth += 1
                        if p == "{":
                            if state == DECL:
                                opener = prev2 if prev in ("IDENT", "TYPE_NAME") else prev
                                if opener in ("K_STRUCT", "K_UNION"):
                                    brace_kinds.append("struct")
                                    spec_ctx = True
                                    type_done = False
                                elif opener == "K_ENUM":
                                    brace_kinds.append("enum")
                                    enum_depths.append(depth)
                                    type_done = True
                                elif in_xlator_header:
                                    brace_kinds.append("xlator")
                                    in_xlator_header = False
                                    type_done = False
                                else:
                                    brace_kinds.append("provider")
                        elif p == "(":
                            if prev == "RPAREN":
                                # after a cast's or an if's ')' a '(' may open another cast
                                cast_before = "" if closed == "cast" or closed == "cond" else prev
                            else:
                                cast_before = prev
                            if prev in _COND_BEFORE:
                                parens.append("cond")
                            elif cast_before in _NOT_CAST_BEFORE:
                                parens.append("call")
                            else:
                                parens.append("open")
                            if state == DECL:
                                params = not decl_expr and (
                                    (prev in ("IDENT", "SCOPED", "RPAREN", "RBRACK", "TYPE_NAME")
                                     and (not brace_kinds or brace_kinds[-1] in ("struct", "provider"))
                                     and prev2 not in ("ASSIGN",))
                                    or prev == "COLON" and brace_kinds[-1:] == ["provider"])
                                paren_kinds.append(params)
                                if params:
                                    spec_ctx = True
                                    type_done = False
                            if prev == "K_OFFSETOF":
                                spec_ctx = True
                        elif p == "[" and state == DECL:
                            if decl_expr:
                                paren_kinds.append("index")  # a subscript in an initializer
                            else:
                                paren_kinds.append("dims")
                                type_done = False
                    elif p == ")" or p == "]" or p == "}":
                        if depth > 0:
                            nops = outer_ops[depth]
                            ncommas = outer_commas[depth]
                            chain = outer_chains[depth]
                        depth -= 1
                        if depth < 0:
                            raise error(f'syntax error near "{p}"', start)
                        if state == PRED:
                            pred_depth -= 1
                        if p == ")":
                            closed = parens.pop() if parens else ""
                        if state == DECL:
                            if p == "}":
                                if brace_kinds:
                                    if brace_kinds.pop() == "enum":
                                        enum_depths.pop()
                                        decl_expr = False
                                type_done = True
                            elif paren_kinds:
                                paren_kinds.pop()
                                if p == "]":
                                    type_done = True
                        elif state == BODY and depth == 0:
                            add((ttype, p, start))
                            prev2, prev = prev, ttype
                            state = TOP
                            pos = m.end()
                            break
                    elif p == "/":
                        if state != PRED:
                            if text.startswith("//", start) and not text.startswith("//*", start):
                                raise error(NO_LINE_COMMENTS, start)
                        elif pred_depth == 0:
                            pos = m.end()
                            nxt = self._next_char(pos)
                            if nxt in ("", "{", ";", "/") or (nxt == "#" and self._hash_line_next(pos)):
                                add(("PRED_CLOSE", "/", start))
                                prev2, prev = prev, "PRED_CLOSE"
                                state = AFTER_PRED
                                break
                        nops += 1  # a division
                        if nops > most_ops:
                            raise error(too_many_ops or _too_long_declaration("operators"), start)
                    elif p == ";":
                        nops = ncommas = chain = 0
                        if state == DECL and depth == 0:
                            add((ttype, p, start))
                            prev2, prev = prev, ttype
                            state = TOP
                            pos = m.end()
                            break
                        if state == DECL and brace_kinds and brace_kinds[-1] == "struct" and depth == len(brace_kinds):
                            spec_ctx = True
                            type_done = False
                        decl_expr = False
                        if depth == 1 and len(buf) >= chunk_size and state == BODY:
                            # a long body's statement ends: hand over its part (see items())
                            add((ttype, p, start))
                            prev2, prev = prev, ttype
                            self.more = True
                            yield buf
                            buf = self._buf = []
                            add = buf.append
                            continue
                    elif p == "<":
                        if prev == "K_XLATE" or (in_xlator_header and state == DECL):
                            spec_ctx = True
                            type_done = False
                        nops += 1
                        if nops > most_ops:
                            raise error(too_many_ops or _too_long_declaration("operators"), start)
                    add((ttype, p, start))
                    prev2, prev = prev, ttype
                    continue
                if c == ";":  # a run of ';' in a body (one ';' is a punctuator, above)
                    nops = ncommas = chain = 0
                    add(("SEMI", ";", start))
                    second = tok.find(";", 1)
                    add((SEMIS, tok[second:], start + second))
                    self.semis = True
                    prev2, prev = prev, "SEMI"
                    if depth == 1 and len(buf) >= chunk_size:  # (as at a ';' above)
                        self.more = True
                        yield buf
                        buf = self._buf = []
                        add = buf.append
                    continue
                if c == "/":  # a comment ('/' and '/=' are operators): dropped inside an item
                    if len(tok) == 2 or tok.find("/*", 2, len(tok) - 2) >= 0:
                        self._comment(start, keep=False)  # unterminated or nested: its error
                    continue
                spec_ctx = False
                if c in "0123456789":
                    if not (tok.isdigit() and len(tok) < 19 and (c != "0" or len(tok) == 1)):
                        tok = self._number(tok, start)
                    add(("INTLIT", tok, start))
                    prev2, prev = prev, "INTLIT"
                    continue
                if c == '"':
                    if len(tok) == 1:  # not a well-formed string: _string says what is wrong
                        value, pos = self._string(start)
                        add(("STRLIT", value, start))
                        prev2, prev = prev, "STRLIT"
                        break
                    add(("STRLIT", decode_string(tok[1:-1]), start))
                    prev2, prev = prev, "STRLIT"
                    continue
                if c == "@":
                    add(("AGG", tok[1:], start))
                    prev2, prev = prev, "AGG"
                    continue
                if c == "$" and len(tok) > 1:
                    pos = m.end()
                    nxt = text[pos : pos + 1]
                    if nxt and (nxt.isalnum() or nxt in "_$`"):
                        raise error(f"invalid macro variable '{tok}{nxt}'", start)
                    add(("MACRO", tok, start))
                    prev2, prev = prev, "MACRO"
                    continue
                if c == "'":
                    body, pos = self._char(start)
                    add(("CHARLIT", body, start))
                    prev2, prev = prev, "CHARLIT"
                    break  # the scan goes on after the constant
                if c == "#":
                    if self._at_line_start(start):
                        # a #pragma inside an item applies to the whole program: hoist it
                        pos = self._directive(start, top=False)
                        break  # the scan goes on after the line
                    raise error("invalid character '#'", start)
                # a character no token starts with
                if c == "\0":
                    raise error("NUL character in input", start)
                if c == "$":
                    raise error("invalid macro variable", start)
                raise error(_invalid_character(c), start)
            else:
                # the rest of the text is blank
                if state == PRED:
                    raise error("unterminated predicate: expected '/'", n)
                return  # the parser says what is missing

    def _cast_type(self, word: str, pos: int, before_paren: str) -> bool:
        """Is the name at pos (just after a '(') the type of a cast or sizeof?  Heuristic 3/4."""
        if before_paren in _NOT_CAST_BEFORE and before_paren != "K_SIZEOF":
            return False
        if word in (_D_NAMES or _d_names()):
            return False  # D's functions and variables are never types: (system)("id") is a call
        text = self.text
        if _STARS_CLOSE_RE.match(text, pos):
            return True
        if before_paren == "K_SIZEOF":
            return word.endswith("_t")
        m = _CLOSE_RE.match(text, pos)
        if m is None:
            return False
        if word.endswith("_t"):
            return True
        nxt = m.group(1)
        if nxt == "!" and text.startswith("=", m.end(1)):
            return False    # (a) != 0: "!=" compares, where "!" would start a cast's operand
        return nxt != "" and nxt in _OPERAND_START

    def _dim_type(self, word: str, pos: int) -> bool:
        """In a declaration's [ ], is this name a key type?  ``_t`` names, or names followed by
        ``*`` or by another name (``[int x]`` style parameters)."""
        if word in self.typedefs or word in STANDARD_TYPES or word.endswith("_t"):
            return True
        nxt = self._next_char(pos)
        return nxt == "*" or nxt.isalpha() or nxt == "_"

    def _number(self, spelled: str, start: int) -> str:
        if spelled.isdigit() and len(spelled) < 19 and (spelled[0] != "0" or len(spelled) == 1):
            return spelled  # the usual constant: decimal, below 10**18, no suffix (nothing to check)
        if "." in spelled:
            raise self.error(f"floating-point constants are not supported: '{spelled}'", start)
        m = _INT_RE.match(spelled)
        if m is None:
            if spelled[0] == "0" and len(spelled) > 1 and spelled[1] in "xX":
                raise self.error(f"invalid hexadecimal constant '{spelled}'", start)
            for i, c in enumerate(spelled):
                if not c.isdigit():
                    raise self.error(f"invalid suffix '{spelled[i:]}' on integer constant", start)
        digits = m.group(1)
        if digits[0] == "0" and len(digits) > 1 and digits[1] not in "xX":
            bad = [c for c in digits if c in "89"]
            if bad:
                raise self.error(f"invalid digit in octal constant '{spelled}'", start)
        if tree.integer_problem(spelled) is not None:  # more than 64 bits (lengths tested first)
            shown = spelled if len(spelled) <= 40 else f"{spelled[:20]}...({len(spelled)} characters)"
            raise self.error(f"integer constant '{shown}' is too large for 64 bits", start)
        if _escapes.decimal_unrepresentable(spelled):
            value = tree.IntLit(spelled).value
            raise self.error(f"integer constant '{spelled}' cannot be represented in any built-in "
                             f"integral type: a decimal constant above 9223372036854775807 needs a "
                             f"U suffix ({digits}ULL) or hex ({hex(value)})", start)
        return spelled

    def _string(self, start: int) -> tuple[str, int]:
        text = self.text
        pos = start + 1
        search = _STR_SPECIAL_RE.search
        while True:
            m = search(text, pos)
            if m is None:
                raise self.error("unterminated string", start)
            c = m.group(0)
            if c == '"':
                return decode_string(text[start + 1 : m.start()]), m.end()
            if c == "\n":
                # (at the next line's start, the line dtrace names: its lexer has counted the
                # newline when it reports it, "line 4: newline encountered in string literal")
                raise self.error("newline in string constant", m.end())
            # backslash
            if text.startswith("\\\n", m.start()):
                raise self.error("newline in string constant", m.start() + 1)
            pos = m.start() + 2

    def _char(self, start: int) -> tuple[str, int]:
        text = self.text
        pos = start + 1
        n = len(text)
        while pos < n:
            c = text[pos]
            if c == "'":
                body = text[start + 1 : pos]
                if body == "":
                    raise self.error("empty character constant", start)
                if _char_len(body) > 8:
                    raise self.error("character constant is too long (more than 8 bytes)", start)
                return body, pos + 1
            if c == "\n":
                raise self.error("newline in character constant", pos)
            pos += 2 if c == "\\" else 1
        raise self.error("unterminated character constant", start)
