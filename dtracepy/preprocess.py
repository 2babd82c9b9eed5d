"""The C preprocessor step of ``dtrace -C``, done with pcpp (a C preprocessor in Python).

:func:`preprocess` returns the preprocessed text with its ``#line`` markers removed, and a line
map from each output line to the file and line it came from, so that the parser's positions and
error messages point into the file the user wrote (or the header it included).  ``#include`` of a
file that cannot be found is kept as written (it becomes a ``Directive`` node), since dtracepy has
no system headers to read; ``#pragma`` lines pass through to the parser, and so does the
``_Pragma("...")`` operator, made a ``#pragma`` line of its own as cpp makes it (dtrace -C reads
``_Pragma("D option destructive")`` as the pragma); ``#error`` is a located error, as in cpp, and
``#warning`` a located warning (given to the caller, or printed as cpp prints it).

An ``#include`` found nowhere is an error, as it is to cpp, unless it names a system header
(:func:`system_header`): dtracepy does not read system headers (a script written for illumos names
``<sys/vnode.h>``, which no other system has), so those it keeps as written.  ``<nonexistent.h>``
is a located error at the header's name: ``x.d:1:10: error: nonexistent.h: no such file ...``.

Nothing here grows without bound: an included file must be a regular file, every file read counts
towards the input limit (:data:`dtracepy.inputs.MAX_INPUT_BYTES`, read at most plus one byte),
and macro expansion stops with a located error once it has made more than :data:`MAX_EXPANSION`
tokens (twenty nested ``#define A1 A0 A0`` would otherwise make a million tokens and a gigabyte),
as do more than :data:`MAX_INCLUDES` inclusions (fifteen empty headers, each including the one
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

from dtracepy.errors import DSyntaxError
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


def preprocess(text: str, filename: str = "<string>", include_dirs=(), defines=(), warnings=None):
    """Run the C preprocessor over D text.  Returns ``(output_text, line_map)`` where
    ``line_map[i]`` is ``(file, line)``, where output line ``i + 1`` came from.  Each ``#warning``
    reached is ``(Pos, message)`` added to ``warnings`` (or to :func:`collected_warnings`' list),
    and printed to standard error as cpp prints it when there is neither."""
    from pcpp import Action, OutputDirective, Preprocessor

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
            shown = filename if not file or file == "<string>" else file
            source = lines if shown == filename else texts.get(os.path.abspath(file), [])
            text = source[line - 1] if line and 0 < line <= len(source) else None
            raise _Refused(missing_header_message(includepath), file, line, include_column(text))

        def on_error(self, file, line, msg):
            errors.append((file, line, msg))

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
                message = "".join(tok.value for tok in toks).strip()
                raise _Refused(f"#error {message}".rstrip(), directive.source, directive.lineno)
            if directive.value == "warning":
                message = "#warning " + "".join(tok.value for tok in toks).strip()
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
        file = filename if not file or file == "<string>" else file
        source_line = lines[line - 1] if file == filename and line and 0 < line <= len(lines) else None
        return DSyntaxError(message, Pos(_shown(file, filename), line or 1, col or 1), source_line)

    cpp = _Cpp()
    cpp.line_directive = "#line"
    for directory in include_dirs:
        cpp.add_path(directory)
    for define in defines:
        name, _, value = define.partition("=")
        cpp.define(f"{name} {value or '1'}")
    cpp.define("__SUNW_D 1")
    cpp.define("__SUNW_D_VERSION 0x02000000")
    out = _CappedWriter(filename)
    try:
        cpp.parse(text, source=filename)
        cpp.write(out)
    except _Refused as err:
        raise located(err.message, err.file, err.line, err.col) from None
    except RecursionError:
        raise DSyntaxError("C preprocessor: nested too deeply (a file that includes itself, or recursive "
                           "macros)", Pos(filename, 1, 1)) from None
    except Exception as err:  # noqa: BLE001 - pcpp raises assorted errors on bad input
        from dtracepy.inputs import describe_exception

        raise DSyntaxError(f"C preprocessor: {describe_exception(err)}", Pos(filename, 1, 1)) from None
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
    return "\n".join(result_lines), line_map


def _shown(file: str, main: str) -> str:
    """The name to show for a file pcpp names: the main file as given, a header as given or
    relative to the working directory."""
    if file == main or file == "<string>":
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

    def __init__(self, filename: str):
        super().__init__()
        self.filename = filename
        self.size = 0
        self.pragmas: list[tuple] = []  # (start, end, its resume) of each _PragmaText written

    def write(self, s: str) -> int:
        if s.__class__ is _PragmaText:
            self.pragmas.append((self.size, self.size + len(s), s.resume))
        self.size += len(s)
        if self.size > MAX_INPUT_BYTES:
            raise _Refused(f"the preprocessed text is over {LIMIT_TEXT}; dtracepy reads at most {LIMIT_TEXT}",
                           self.filename, 1)
        return super().write(s)
