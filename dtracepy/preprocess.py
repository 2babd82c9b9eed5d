"""The C preprocessor step of ``dtrace -C``, done with pcpp (a C preprocessor in Python).

:func:`preprocess` returns the preprocessed text with its ``#line`` markers removed, and a line
map from each output line to the file and line it came from, so that the parser's positions and
error messages point into the file the user wrote (or the header it included).  ``#include`` of a
file that cannot be found is kept as written (it becomes a ``Directive`` node), since dtracepy has
no system headers to read; ``#pragma`` lines pass through to the parser, and so does the
``_Pragma("...")`` operator, made a ``#pragma`` line of its own as cpp makes it (dtrace -C reads
``_Pragma("D option destructive")`` as the pragma); ``#error`` is a located error, as in cpp, and
``#warning`` a located warning (given to the caller, or printed as cpp prints it).  ``%:`` is read
as the ``#`` it spells (``%:%:`` as ``##``), as cpp reads the digraph; a line loses only spaces and
tabs at its end (dtrace -C refuses ``#pragma D option quiet`` and a no-break space).  A quoted
``#include`` in the main file is not looked for beside it: dtrace -C gives cpp the script through
``/dev/stdin`` (only the ``-I`` directories; a header beside the script is a located error saying so).

A text with nothing for the preprocessor to do (:func:`_plain`: no directive, no name of a macro)
is not given to pcpp: its output is made in one pass, line for line (pcpp took 55 s and 577 MB on
4 MiB of dense D, and a gigabyte per 2 MB of comment: it lexes a comment or a string a character
at a time).  A text pcpp is given has each comment and string longer than
:data:`HELD_LONGER_THAN` held out (:func:`_prepared`, :func:`_restored`).

An ``#include`` found nowhere is an error, as it is to cpp, unless it names a system header
(:func:`system_header`): dtracepy does not read system headers (a script written for illumos names
``<sys/vnode.h>``, which no other system has), so those it keeps as written.  ``<nonexistent.h>``
is a located error at the header's name: ``x.d:1:10: error: nonexistent.h: no such file ...``.

Nothing here grows without bound: an included file must be a regular file, every file read counts
towards the input limit (:data:`dtracepy.inputs.MAX_INPUT_BYTES`, read at most plus one byte),
and macro expansion stops with a located error once it has made more than :data:`MAX_EXPANSION`
tokens (twenty nested ``#define A1 A0 A0`` would otherwise make a million tokens and a gigabyte),
as do ``(`` nested more than :data:`MAX_PAREN_NESTING` deep (read before pcpp runs),
more than :data:`MAX_INCLUDES` inclusions (fifteen empty headers, each including the one
before it twice, took 94 s and 900 MB: empty files never reach the input limit) and output longer
than the input limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy as _copy
import io
import os
import re
import stat
import sys

from dtracepy.errors import DSyntaxError, shown_name
from dtracepy.inputs import LIMIT_TEXT, MAX_INPUT_BYTES
from dtracepy.source import Pos

_LINE_RE = re.compile(r'^#(?:line)?[ \t]+(\d+)(?:[ \t]+"([^"]*)")?')
# a #pragma line, comments before its # too (cpp reads "/**/#pragma" as the directive)
_PRAGMA_RE = re.compile(r"[ \t]*(?:/\*.*?\*/[ \t]*)*#(?:[ \t]|/\*.*?\*/)*pragma\b")
_COMMENT_RE = re.compile(r"/\*.*?\*/")
# an escape that destringizing _Pragma's string undoes (C11 6.10.9: \" and \\)
_DESTRINGIZED_RE = re.compile(r'\\(["\\])')
_PRAGMA_MESSAGE = "_Pragma takes a parenthesized string literal"  # (cpp's words)
_WARNING_RE = re.compile(r"[ \t]*#[ \t]*warning\b")

#: Where a run of :func:`preprocess` without a ``warnings`` list puts its ``#warning``s: a list
#: while :func:`collected_warnings` is active, else nowhere but standard error.
_WARNINGS: contextvars.ContextVar[list | None] = contextvars.ContextVar("dtracepy_cpp_warnings", default=None)


@contextlib.contextmanager
def collected_warnings():
    """Within, a :func:`preprocess` that is given no ``warnings`` list (the parser's) adds its
    ``#warning``s, ``(Pos, message)``, to the list this yields instead of printing them."""
    found: list = []
    token = _WARNINGS.set(found)
    try:
        yield found
    finally:
        _WARNINGS.reset(token)


class _PragmaText(str):
    """The ``#pragma`` line a ``_Pragma("...")`` operator stands for, as pcpp writes it out: the
    writer notes where it lands, and the line is split there (:func:`preprocess`).  ``resume``:
    the column (from 0) after its ``)`` in the user's line, where what follows it stands (None
    when a macro made it)."""

    resume: int | None = None

#: At most this many tokens made by macro expansion, over a whole run of the preprocessor.
MAX_EXPANSION = 200_000

#: At most this many files included, over a whole run of the preprocessor (pcpp takes about a
#: millisecond for each, even for an empty file; a header it skips as included once is not counted).
MAX_INCLUDES = 1_000


#: At most this many ``(`` open at once in a text the macros are expanded in: pcpp copies the rest
#: of the line at each level of a macro's argument (``F(F(F(...)))`` 100,000 deep took over 60 s
#: and 1.6 GB; dtrace -C's own cpp did not finish 10,000 levels in 100 s).
MAX_PAREN_NESTING = 1_000

# What the fast path (:func:`_plain`) must find: a comment, a string or character constant, or what
# only the preprocessor reads (a directive's ``#``, its digraph ``%:``); an opening that is never
# closed on its line matches its last, lone alternative.  (A string is matched as runs of plain
# characters: an alternation repeated per character keeps a mark per character, 500 MB for 4 MB.)
_PLAIN_RE = re.compile(r"""/\*.*?\*/|//[^\n]*|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|#|%:|/\*|["']""", re.S)
# Characters the fast path leaves to pcpp: a line's splice, trigraphs, the line breaks Python's
# splitlines() knows (pcpp splits lines with it), NUL.
_NOT_PLAIN_RE = re.compile("\\\\[ \t]*\n|\\?\\?|[\r\f\v\x1c-\x1e\x85\u2028\u2029\0]")
# The same pieces as _PLAIN_RE, and each ( and ) and digraph, for the text pcpp reads
_NESTING_RE = re.compile(r"""/\*.*?\*/|//[^\n]*|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|[()]|%:%:|%:""", re.S)


class _Identity:
    """The line map of a text that is its own source: line ``i + 1`` of ``file`` at index ``i``."""

    __slots__ = ("file", "count")

    def __init__(self, file: str, count: int):
        self.file, self.count = file, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int):
        if not 0 <= index < self.count:
            raise IndexError(index)
        return (self.file, index + 1)


def _plain(text: str, defines=()) -> str | None:
    """What the preprocessor (pcpp, as dtracepy drives it) makes of a text with nothing for it
    to do, made in one pass, or None when there may be something: a directive (``#`` or ``%:``
    outside comments, strings and character constants), an identifier naming a macro (a name
    defined with ``-D``, one beginning ``__`` (all the predefined ones), ``_Pragma``), a line's
    splice, a trigraph, a comment, string or constant left open.  What pcpp makes of the rest is
    the text with each line's trailing blanks gone and each ``//`` comment a blank; its lines stay
    where they were, but for the blank ones at the end; the last one ends in a newline."""
    if "__" in text or "_Pragma" in text or _NOT_PLAIN_RE.search(text):
        return None
    names = [name.partition("=")[0] for name in defines]
    if names and re.search(r"\b(?:%s)\b" % "|".join(map(re.escape, names)), text):
        return None
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    pieces, at = [], 0
    for m in _PLAIN_RE.finditer(text):
        first = m.group()[:2]
        if first == "//":
            pieces += [text[at:m.start()], " "]
            at = m.end()
        elif (first == "/*" and len(m.group()) >= 4) or (first[0] in "\"'" and len(m.group()) > 1):
            continue
        else:  # a directive, or something left open
            return None
    pieces.append(text[at:])
    made = "".join(pieces).rstrip("\n")  # (pcpp drops the blank lines at the end, ends the last one)
    return made + "\n" if made else ""


#: A comment or a string longer than this is held out of pcpp's sight (:func:`_prepared`).
HELD_LONGER_THAN = 256
_HELD_RE = re.compile("\0(\\d+)\0(\n*)")
# the start of a line where a string may be held: not a directive's (#include "x.h", #line 1 "x.d"
# name files), a #define's may
_HELD_STRING_RE = re.compile(r"(?![ \t]*(?:#|%:))|[ \t]*(?:#|%:)[ \t]*(?:define|pragma|error|warning)\b")


def _prepared(text: str, filename: str):
    """What pcpp is given for ``text``, and what was held out of it: each digraph ``%:`` read as
    the ``#`` it spells (``%:%:`` as ``##``), padded to keep the columns, as cpp reads them; each
    comment and each string (without a backslash) longer than :data:`HELD_LONGER_THAN` replaced by
    ``\\0N\\0`` and the comment's newlines (pcpp lexes them a character at a time: 2.1 GB for a
    4 MB comment), ``held[N]`` what it stood for, as pcpp would have written it (:func:`_restored`
    puts it back).  A located error at the ``(`` that opens more than :data:`MAX_PAREN_NESTING` at
    once."""
    pieces, at, depth, held = [], 0, 0, []
    hold = "\0" not in text and "_Pragma" not in text  # (_Pragma's columns are counted in what pcpp reads)
    for m in _NESTING_RE.finditer(text):
        token = m.group()
        if token == "(":
            depth += 1
            if depth > MAX_PAREN_NESTING:
                line = text.count("\n", 0, m.start()) + 1
                start = text.rfind("\n", 0, m.start()) + 1
                end = text.find("\n", m.start())
                raise DSyntaxError(
                    f"nested too deeply for the C preprocessor: more than {MAX_PAREN_NESTING:,} levels of "
                    "( (dtracepy stops there; dtrace -C's cpp took over 100 s on 10,000 levels of a macro's "
                    "argument)", Pos(filename, line, m.start() - start + 1),
                    text[start:end if end >= 0 else len(text)])
        elif token == ")":
            depth = max(0, depth - 1)
        elif token[0] == "%":
            pieces += [text[at:m.start()], "##  " if token == "%:%:" else "# "]
            at = m.end()
        elif len(token) > HELD_LONGER_THAN and hold:
            if token.startswith("/*"):
                body = token[2:-2].split("\n")  # (its lines lose their blanks at the end, as in pcpp)
                held.append("\n".join([line.rstrip(" \t") for line in body[:-1]] + body[-1:]))
                pieces += [text[at:m.start()], f"/*\0{len(held) - 1}\0" + "\n" * (len(body) - 1) + "*/"]
                at = m.end()
            elif token[0] == '"' and "\\" not in token and _HELD_STRING_RE.match(
                    text, text.rfind("\n", 0, m.start()) + 1, m.start()):
                held.append(token[1:-1])
                pieces += [text[at:m.start()], f'"\0{len(held) - 1}\0"']
                at = m.end()
    if not pieces:
        return text, held
    pieces.append(text[at:])
    return "".join(pieces), held


def _restored(text: str, held: list) -> str:
    """``text`` with what :func:`_prepared` held out put back (a comment's newlines with it)."""
    if not held:
        return text

    def back(m):
        body = held[int(m.group(1))]
        return body + m.group(2)[body.count("\n"):]

    return _HELD_RE.sub(back, text)


#: How many characters pcpp's lexer (PLY) may copy for the characters it cannot read before one
#: is refused: PLY copies the rest of the file for each (random bytes without a NUL, 1.2 MB under
#: check -C, took 12 s; 4 MB, minutes).  About a tenth of a second of copying.
MAX_STRAY_COPIED = 64 * MAX_INPUT_BYTES


def bound_stray_characters(lexer, refuse) -> None:
    """Make pcpp's ``lexer`` (and the clones pcpp makes of it) call ``refuse(text, offset)``, which
    raises, at the character it cannot read once such characters have cost it more than
    :data:`MAX_STRAY_COPIED` characters of copying.  ``check -C`` and ``layout`` share it."""
    lexer_error = lexer.lexerrorf
    copied = [0]

    def stray(tok):
        copied[0] += len(tok.value)
        if copied[0] > MAX_STRAY_COPIED:
            refuse(tok.lexer.lexdata, tok.lexpos)
        return lexer_error(tok)

    lexer.lexerrorf = stray


class _Refused(Exception):
    """Raised inside pcpp to stop it; carries a located message."""

    def __init__(self, message: str, file: str | None, line: int | None, col: int | None = None):
        super().__init__(message)
        self.message, self.file, self.line, self.col = message, file, line, col


#: Headers of the C and POSIX standards, which every system has (some spelled ``"stdio.h"``).
STANDARD_HEADERS = frozenset("""
    assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h
    setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h
    stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h wchar.h wctype.h
    aio.h alloca.h arpa/inet.h byteswap.h cpio.h dirent.h dlfcn.h elf.h endian.h fcntl.h features.h
    fnmatch.h glob.h grp.h iconv.h langinfo.h libgen.h link.h malloc.h monetary.h mqueue.h ndbm.h
    netdb.h nl_types.h poll.h pthread.h pwd.h regex.h sched.h search.h semaphore.h spawn.h
    strings.h stropts.h syslog.h tar.h termios.h thread.h ucontext.h ulimit.h unistd.h utime.h
    utmpx.h wordexp.h
""".split())

#: The directories of system headers on the systems DTrace runs on (``<sys/vnode.h>``,
#: ``<inet/common.h>``, ``<netinet/in.h>``, ``<linux/sched.h>``, ``<dtrace/dif_defines.h>`` ...).
SYSTEM_HEADER_DIRS = frozenset("""
    sys netinet netinet6 inet net arpa vm machine dtrace linux asm asm-generic bits rpc rpcsvc kern
    mach libkern i386 amd64 x86 uvm security fs nfs ufs xen crypto bsm contrib isofs ipp
""".split())


def system_include_dirs() -> list[str]:
    """Where cpp looks for ``<...>`` headers on this machine (those of them that exist)."""
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH")
    dirs = ["/usr/local/include"] + ([f"/usr/include/{multiarch}"] if multiarch else []) + ["/usr/include"]
    return [d for d in dirs if os.path.isdir(d)]


def system_header(name: str) -> bool:
    """Is ``name`` (as written between ``<>`` or quotes) a system header: a standard one, one in a
    system directory (``sys/``, ``netinet/`` ...), or one in this machine's include directories?"""
    if name in STANDARD_HEADERS:
        return True
    if "/" in name and name.split("/", 1)[0] in SYSTEM_HEADER_DIRS:
        return True
    return any(os.path.isfile(os.path.join(d, name)) for d in system_include_dirs())


_INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])')


def include_column(line: str | None) -> int | None:
    """The column of the header's name (its ``<`` or ``"``) on an ``#include`` line."""
    m = _INCLUDE_RE.match(line or "")
    return m.start(1) + 1 if m else None


def missing_header_message(name: str) -> str:
    return (f"{name}: no such file (looked in the including file's directory and the -I "
            "directories; it is not a system header either)")


def beside_message(name: str, folder: str) -> str | None:
    """Why a quoted header ``name`` of the script is not found when it is in the script's
    ``folder``; None when it is not there either."""
    if not os.path.isfile(os.path.join(folder, name)):
        return None
    return (f"{name}: dtrace -C will not find it beside the script: it gives cpp the script through "
            f"/dev/stdin, so cpp looks for a quoted header in /dev, then in the -I directories (add -I "
            f"{folder or '.'})")


def preprocess(text: str, filename: str = "<string>", include_dirs=(), defines=(), warnings=None):
    """Run the C preprocessor over D text.  Returns ``(output_text, line_map)`` where
    ``line_map[i]`` is ``(file, line)``, where output line ``i + 1`` came from.  Each ``#warning``
    reached is ``(Pos, message)`` added to ``warnings`` (or to :func:`collected_warnings`' list),
    and printed to standard error as cpp prints it when there is neither."""
    from pcpp import Action, OutputDirective, Preprocessor

    plain = _plain(text, defines)
    if plain is not None:  # (nothing for the preprocessor to do: dense D of 4 MiB took 55 s in pcpp)
        return plain, _Identity(filename, plain.count("\n") + 1)
    if warnings is None:
        warnings = _WARNINGS.get()

    errors: list[tuple[str, int, str]] = []
    budget = {"read": len(text.encode("utf-8", "surrogatepass")), "expanded": 0, "included": 0}

    texts: dict[str, list[str]] = {}  # an included file's absolute path -> its lines

    class _Cpp(Preprocessor):
        def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
            if is_malformed or system_header(includepath):
                raise OutputDirective(Action.IgnoreAndPassThrough)  # kept as written
            file, line = self._where()
            source = lines if _main(file) else texts.get(os.path.abspath(file), [])
            text = source[line - 1] if line and 0 < line <= len(source) else None
            message = missing_header_message(includepath)
            if _main(file) and not is_system_include:
                message = beside_message(includepath, os.path.dirname(filename)) or message
            raise _Refused(message, file, line, include_column(text))

        def on_error(self, file, line, msg):
            errors.append((file, line, msg))

        def group_lines(self, input, abssource):
            # pcpp's, but a line loses only the blanks cpp knows (space and tab) at its end, not
            # every Unicode space (str.rstrip): dtrace -C reads "quiet\xa0" as the option's name
            lex = self.lexer.clone()
            lex.input("\n".join(x.rstrip(" \t") for x in input.splitlines()))
            lex.lineno = 1
            current_line = []
            while True:
                tok = lex.token()
                if not tok:
                    break
                tok.source = abssource
                current_line.append(tok)
                if tok.type in self.t_WS and tok.value == "\n":
                    yield current_line
                    current_line = []
            if current_line:
                nltok = _copy.copy(current_line[-1])
                nltok.type = self.t_NEWLINE
                nltok.value = "\n"
                current_line.append(nltok)
                yield current_line

        def on_comment(self, tok):
            # A /* */ comment is kept (D reads it, and a "dtracepy: disable" one means something);
            # a // comment, which cpp removes and D has not, becomes the blank cpp leaves (pcpp's
            # own replacement is a newline, which would shift every later line by one).
            if tok.type == self.t_COMMENT2:
                tok.value = " "
            return True

        def _where(self):
            d = self.lastdirective
            return (getattr(d, "source", None), getattr(d, "lineno", None)) if d is not None else (None, None)

        def on_file_open(self, is_system_include, includepath):
            st = os.stat(includepath)  # OSError (IOError): not there, pcpp tries the next directory
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(includepath)
            if not stat.S_ISREG(st.st_mode):
                raise _Refused(f"#include of {includepath}, which is not a regular file", *self._where())
            budget["included"] += 1
            if budget["included"] > MAX_INCLUDES:
                raise _Refused(f"#include of {includepath}: more than {MAX_INCLUDES:,} files included; "
                               "dtracepy stops there (do the headers include each other over and over?)",
                               *self._where())
            with open(includepath, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1 - budget["read"])
                more = handle.read(1)
            budget["read"] += len(data)
            if more or budget["read"] > MAX_INPUT_BYTES:
                raise _Refused(f"#include of {includepath}: the input with its includes is over "
                               f"{LIMIT_TEXT}; dtracepy reads at most {LIMIT_TEXT}", *self._where())
            # bytes, as cpp reads them: one that is not UTF-8 held as surrogateescape holds it
            decoded = data.decode("utf-8", "surrogateescape")
            decoded = decoded[1:] if decoded.startswith("\ufeff") else decoded
            texts[os.path.abspath(includepath)] = decoded.splitlines()
            return io.StringIO(decoded)

        def expand_macros(self, tokens, expanding_from=[]):  # noqa: B006 - pcpp's signature
            before = len(tokens)
            if not expanding_from and tokens:  # the line being expanded, for the error below
                budget["at"] = (getattr(tokens[0], "source", None), getattr(tokens[0], "lineno", None))
            out = super().expand_macros(tokens, expanding_from)
            budget["expanded"] += max(0, len(out) - before)
            if budget["expanded"] > MAX_EXPANSION:
                raise _Refused(f"macro expansion makes more than {MAX_EXPANSION:,} tokens; dtracepy "
                               "stops there (are the macros exponential?)", *budget.get("at", (None, None)))
            return out

        def on_directive_unknown(self, directive, toks, ifpassthru, precedingtoks):
            if directive.value == "error":
                message = _restored("".join(tok.value for tok in toks), held).strip()
                raise _Refused(f"#error {message}".rstrip(), directive.source, directive.lineno)
            if directive.value == "warning":
                message = "#warning " + _restored("".join(tok.value for tok in toks), held).strip()
                file, line = directive.source, directive.lineno
                m = _WARNING_RE.match(_line_of(file, line) or "")
                pos = located(message, file, line, m.end() - len("warning") + 1 if m else None).pos
                if warnings is not None:
                    warnings.append((pos, message.rstrip()))
                else:
                    print(f"{pos}: warning: {message.rstrip()}", file=sys.stderr)
                return True  # (the line is dropped, as cpp drops it)
            return super().on_directive_unknown(directive, toks, ifpassthru, precedingtoks)

        def token(self):
            tok = super().token()
            if tok is not None and tok.type == "CPP_ID" and tok.value == "_Pragma":
                return self._pragma_operator(tok)
            return tok

        def _pragma_operator(self, first):
            """``_Pragma ( "string" )`` (an ``L``/``u8``/``u``/``U`` prefix allowed) as the
            ``#pragma`` line it stands for: the string destringized, as cpp does it (C11 6.10.9)."""
            def solid():
                while True:
                    tok = super(_Cpp, self).token()
                    if tok is None or tok.type not in self.t_WS:
                        return tok

            opening = solid()
            string = solid() if opening is not None and opening.value == "(" else None
            if string is not None and string.type == "CPP_ID" and string.value in ("L", "u8", "u", "U"):
                string = solid()
            closing = solid() if string is not None and string.type == self.t_STRING else None
            if closing is None or closing.value != ")":
                raise _Refused(_PRAGMA_MESSAGE, first.source, first.lineno, _column_of(first))
            made = _copy.copy(first)
            made.type = self.t_STRING
            made.value = _PragmaText("#pragma " + _DESTRINGIZED_RE.sub(r"\1", string.value[1:-1]))
            made.value.resume = _column_of(closing)
            return made

    lines = text.splitlines()
    read, held = _prepared(text, filename)

    def _main(file) -> bool:  # (pcpp names the main file relative to the working directory)
        return not file or file in ("<string>", filename) or os.path.abspath(file) == os.path.abspath(filename)

    def _line_of(file, line):
        source = lines if _main(file) else texts.get(os.path.abspath(file), [])
        return source[line - 1] if line and 0 < line <= len(source) else None

    def _column_of(tok):
        """The column of a token of the main file at its own line (None for one a macro made:
        its offset is in the macro's definition)."""
        source_line = _line_of(tok.source, tok.lineno)
        if source_line is None or not _main(tok.source):
            return None
        start = sum(len(x) + 1 for x in lines[:tok.lineno - 1])  # (lines end at \n: splitlines aside)
        col = tok.lexpos - start + 1
        return col if 0 < col <= len(source_line) and source_line[col - 1:].startswith(tok.value) else None

    def located(message, file, line, col=None):
        file = filename if _main(file) else file
        source_line = lines[line - 1] if file == filename and line and 0 < line <= len(lines) else None
        return DSyntaxError(message, Pos(_shown(file, filename), line or 1, col or 1), source_line)

    cpp = _Cpp()
    cpp.line_directive = "#line"

    def refuse_stray(data, offset):
        start = data.rfind("\n", 0, offset) + 1
        raise _Refused(f"stray '{shown_name(data[offset])}' in the input (is this a binary file?)",
                       getattr(cpp, "source", None) or filename, data.count("\n", 0, offset) + 1,
                       offset - start + 1)

    bound_stray_characters(cpp.lexer, refuse_stray)
    for directory in include_dirs:
        cpp.add_path(directory)
    for define in defines:
        name, _, value = define.partition("=")
        cpp.define(f"{name} {value or '1'}")
    cpp.define("__SUNW_D 1")
    cpp.define("__SUNW_D_VERSION 0x02000000")
    out = _CappedWriter(filename, held)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * MAX_PAREN_NESTING + 5_000))  # (pcpp recurses per level)
    try:
        cpp.parse(read, source=filename)
        # dtrace -C runs cpp on /dev/stdin: a quoted header is not looked for beside the script
        # (nor in the working directory, pcpp's choice when it has nowhere to look)
        cpp.temp_path[:1] = [os.path.join(os.devnull, "")]
        cpp.write(out)
    except _Refused as err:
        raise located(err.message, err.file, err.line, err.col) from None
    except RecursionError:
        raise DSyntaxError("C preprocessor: nested too deeply (a file that includes itself, or recursive "
                           "macros)", Pos(filename, 1, 1)) from None
    except Exception as err:  # noqa: BLE001 - pcpp raises assorted errors on bad input
        from dtracepy.inputs import describe_exception

        raise DSyntaxError(f"C preprocessor: {describe_exception(err)}", Pos(filename, 1, 1)) from None
    finally:
        sys.setrecursionlimit(limit)
    for file, line, msg in errors:
        if "not found" in msg:
            continue
        raise located(f"C preprocessor: {msg}", file, line)

    result_lines: list[str] = []
    line_map: list[tuple[str, int]] = []
    current = 1
    current_file = filename
    spans, k, offset = out.pragmas, 0, 0  # where the _Pragma operators' #pragma lines were written
    for raw in out.getvalue().split("\n"):
        start, offset = offset, offset + len(raw) + 1
        m = _LINE_RE.match(raw)
        if m:
            current = int(m.group(1)) if len(m.group(1)) < 10 else 1
            if m.group(2) is not None:
                current_file = _shown(m.group(2), filename)
            result_lines.append("")
            line_map.append((current_file, current))
            continue
        pieces = [raw]
        if k < len(spans) and spans[k][0] < offset:
            # a _Pragma's #pragma is a line of its own (cpp's too), between what stood around it,
            # which keeps its columns; all of them come from this line
            pieces, at = [], start
            indent = 0
            while k < len(spans) and spans[k][0] < offset:
                begin, end, resume = spans[k]
                pieces += [" " * indent + raw[at - start:begin - start], raw[begin - start:end - start]]
                at, k = end, k + 1
                indent = resume if resume is not None else at - start
            pieces.append(" " * indent + raw[at - start:])
            pieces = [piece for piece in pieces if piece.strip()] or [""]
        for piece in pieces:
            if "/*" in piece and _PRAGMA_RE.match(piece):  # cpp makes a comment a blank, and dtrace
                piece = _COMMENT_RE.sub(" ", piece)        # reads one on a #pragma line as words
            result_lines.append(piece)
            line_map.append((current_file, current))
        current += 1
    return _restored("\n".join(result_lines), held), line_map


def _shown(file: str, main: str) -> str:
    """The name to show for a file pcpp names: the main file as given (pcpp names it relative to
    the working directory: ``/abs/x.d`` run in ``/abs/..`` is its ``abs/x.d``), a header as given
    or relative to the working directory."""
    if file == main or file == "<string>" or os.path.abspath(file) == os.path.abspath(main):
        return main
    if os.path.isabs(file):
        try:
            rel = os.path.relpath(file)
        except ValueError:
            return file
        return file if rel.startswith(".." + os.sep) else rel
    return file


class _CappedWriter(io.StringIO):
    """pcpp's output, refused once it is longer than the input limit."""

    def __init__(self, filename: str, held=()):
        super().__init__()
        self.filename = filename
        self.held = held  # (what a \0N\0 written stands for counts at its length)
        self.size = 0
        self.pragmas: list[tuple] = []  # (start, end, its resume) of each _PragmaText written

    def write(self, s: str) -> int:
        if s.__class__ is _PragmaText:
            self.pragmas.append((self.size, self.size + len(s), s.resume))
        self.size += len(s)
        if "\0" in s and self.held:
            self.size += sum(len(self.held[int(m.group(1))]) for m in _HELD_RE.finditer(s))
        if self.size > MAX_INPUT_BYTES:
            raise _Refused(f"the preprocessed text is over {LIMIT_TEXT}; dtracepy reads at most {LIMIT_TEXT}",
                           self.filename, 1)
        return super().write(s)
