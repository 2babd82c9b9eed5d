"""The C preprocessor of ``layout`` (pcpp, bounded as ``check -C``'s is) and the reading of a
header's text: each include found as cpp finds it (``"..."`` beside the including header first,
``<...>`` in the ``-I`` and system directories only), located errors (a header found nowhere,
``#error``, a header including itself, expansion past its bound), and the macros each ABI
predefines.

System headers are not read where the header is the user's own: ``#include <...>`` of a system
header (:func:`dtracepy.preprocess.system_header`) not found in the ``-I`` directories is skipped
(the converter's prelude declares the common typedefs instead), and the ones this machine has are
named, so an error can say which ``-I`` reads them.  A header of this machine's system
directories is read as gcc reads it (:mod:`.system`).
"""

from __future__ import annotations

import io
import os
import re

import pcpp

from dtracepy.errors import DTracePyError, LayoutError, shown_name
from dtracepy.inputs import MAX_INPUT_BYTES
from dtracepy.layout.abi import ABI
from dtracepy.layout.system import gcc_macros, resolve_include_next, system_dirs
from dtracepy.source import Pos


def abi_macros(abi: ABI) -> dict[str, str]:
    """The macros each ABI predefines for ``#if`` tests in headers."""
    macros = {"__ORDER_LITTLE_ENDIAN__": "1234", "__ORDER_BIG_ENDIAN__": "4321",
              "__BYTE_ORDER__": "__ORDER_BIG_ENDIAN__" if abi.big_endian else "__ORDER_LITTLE_ENDIAN__",
              "__CHAR_BIT__": "8", "__SIZEOF_POINTER__": str(abi.pointer_size),
              "__SIZEOF_LONG__": str(abi.long_size), "__DTRACEPY_LAYOUT__": "1"}
    if abi.big_endian:
        macros.update({"_BIG_ENDIAN": "1", "_BIT_FIELDS_HTOL": "1"})
    else:
        macros.update({"_LITTLE_ENDIAN": "1", "_BIT_FIELDS_LTOH": "1"})
    macros.update({"_LP64": "1", "__LP64__": "1"} if abi.pointer_size == 8 else {"_ILP32": "1", "__ILP32__": "1"})
    macros.update({
        "x86_64": {"__x86_64__": "1", "__amd64": "1", "__amd64__": "1"},
        "i386": {"__i386__": "1", "__i386": "1"},
        "aarch64": {"__aarch64__": "1"},
        "sparcv9": {"__sparc": "1", "__sparc__": "1", "__sparcv9": "1", "__arch64__": "1"},
    }[abi.name])
    return macros


class _Preprocessor(pcpp.Preprocessor):
    def __init__(self):
        super().__init__()
        self.errors: list[LayoutError] = []
        self.line_directive = "#line"
        self.main_file = None
        self.texts: dict[str, list[str]] = {}  # absolute path -> lines, of the files read
        self.skipped: list[tuple[str, str]] = []  # (header, directory): system headers not read
        # what check -C's preprocessor bounds, bounded by the same limits (dtracepy.preprocess)
        self.expanded = 0  # tokens made by macro expansion
        self.included = 0  # files included
        self.open_files: list[str] = []  # the headers being read, outermost first (absolute paths)
        self.read = 0  # bytes read, the header's and its includes'
        self.expanding_at = None  # the line being expanded
        self.search: "list[str] | None" = None  # the <...> search path, where system headers are read
        # pcpp's lexer (PLY) copies the rest of the file for each character it cannot read (a
        # binary header of 400 KB took 22 s): past a budget of copying, such a character is refused
        from dtracepy.preprocess import bound_stray_characters, bound_token_patterns

        def stray(data, offset):
            line_start = data.rfind("\n", 0, offset) + 1
            file = self.source or self.main_file or "<string>"
            raise LayoutError(f"stray '{shown_name(data[offset])}' in the header (is this a binary file?)",
                              Pos(self.shown(file), data.count("\n", 0, offset) + 1, offset - line_start + 1))

        bound_stray_characters(self.lexer, stray)
        bound_token_patterns(self.lexer)  # (a 4 MB comment in a header: 2 GB)

    def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
        from dtracepy.preprocess import (include_column, missing_header_message, system_header,
                                         system_include_dirs)

        if is_malformed:
            super().on_include_not_found(is_malformed, is_system_include, curdir, includepath)
        if system_header(includepath) and self.search is None:  # replaced by the predefined typedefs
            found = [d for d in system_include_dirs() if os.path.isfile(os.path.join(d, includepath))]
            if found:
                self.skipped.append((includepath, found[0]))
            raise pcpp.OutputDirective(pcpp.Action.IgnoreAndRemove)
        d = self.lastdirective
        file = getattr(d, "source", None) or self.main_file or "<string>"
        line = getattr(d, "lineno", None) or 1
        text = self.texts.get(os.path.abspath(file), [])
        col = include_column(text[line - 1] if 0 < line <= len(text) else None)
        where = Pos(self.shown(file), line, col or 1)
        if is_system_include:  # cpp looks for <...> in the -I and system directories only
            looked = (f"the -I directories and {', '.join(system_dirs())}" if self.search is not None
                      else "the -I directories; it is not a system header either")
            message = f"{includepath}: no such file (looked for <{includepath}> in {looked})"
            beside = os.path.join(os.path.dirname(os.path.abspath(file)), includepath)
            if os.path.isfile(beside):
                message += (f"; it is beside {self.shown(file)}, where cpp looks for a quoted header only: "
                            f"#include \"{includepath}\" or -I {self.shown(os.path.dirname(beside)) or '.'} reads it")
            raise LayoutError(message, where)
        if self.search is not None:  # system headers are read: one missing is missing, as to cpp
            raise LayoutError(f"{includepath}: no such file (looked in the including file's directory, the -I "
                              f"directories and {', '.join(system_dirs())})", where)
        raise LayoutError(missing_header_message(includepath), where)

    def shown(self, file: str) -> str:
        """A file's name as the user gave it (the main header), else relative to the working
        directory when below it, else absolute."""
        if self.main_file and os.path.abspath(file) == os.path.abspath(self.main_file):
            return self.main_file
        from dtracepy.preprocess import _shown

        return _shown(os.path.abspath(file), self.main_file or "")

    def on_error(self, file, line, msg):
        d = self.lastdirective
        if file == "unknown" and not line and d is not None:  # pcpp's "Empty expression" (#if): the #if's
            file, line = d.source, d.lineno
        file = file or self.main_file
        if self.main_file and os.path.abspath(file) == os.path.abspath(self.main_file):
            file = self.main_file
        self.errors.append(LayoutError(msg[:1].lower() + msg[1:], Pos(file, line or 1, 1)))
        self.return_code += 1

    def on_directive_unknown(self, directive, toks, ifpassthru, precedingtoks):
        # pcpp prints #error to stderr (cwd-relative, its own format) and goes on; cpp stops there
        if directive.value == "error":
            message = "".join(tok.value for tok in toks).strip()
            self.errors.append(LayoutError(f"#error {message}".rstrip(),
                                           Pos(self.shown(directive.source or self.main_file or "<string>"),
                                               directive.lineno or 1, 1)))
            self.return_code += 1
            return True
        return super().on_directive_unknown(directive, toks, ifpassthru, precedingtoks)

    def expand_macros(self, tokens, expanding_from=[]):  # noqa: B006 - pcpp's signature
        from dtracepy.preprocess import MAX_EXPANSION

        before = len(tokens)
        if not expanding_from and tokens:  # the line being expanded, for the error below
            self.expanding_at = tokens[0]
        out = super().expand_macros(tokens, expanding_from)
        self.expanded += max(0, len(out) - before)
        if self.expanded > MAX_EXPANSION:
            at = self.expanding_at
            file = getattr(at, "source", None) or self.main_file or "<string>"
            raise LayoutError(f"macro expansion makes more than {MAX_EXPANSION:,} tokens; dtracepy stops "
                              "there (are the macros exponential?)",
                              Pos(self.shown(file), getattr(at, "lineno", None) or 1, 1))
        return out

    def on_comment(self, tok):  # keep comments out of the output; the prepass would blank them anyway
        return False

    def on_file_open(self, is_system_include, includepath):
        """A header to include: a regular file, read at most to the input limit."""
        import stat

        from dtracepy.inputs import LIMIT_TEXT

        if is_system_include and not self.path:
            # pcpp searches the working directory for <...> when it has no path; cpp does not
            raise FileNotFoundError(includepath)
        st = os.stat(includepath)  # OSError: not there, pcpp tries the next directory
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(includepath)
        d = self.lastdirective
        where = Pos(getattr(d, "source", None) or self.main_file or "<string>", getattr(d, "lineno", None) or 1, 1)
        if not stat.S_ISREG(st.st_mode):
            raise LayoutError(f"#include of {includepath}, which is not a regular file", where)
        from dtracepy.preprocess import MAX_INCLUDES

        self.included += 1
        if self.included > MAX_INCLUDES:
            raise LayoutError(f"#include of {includepath}: more than {MAX_INCLUDES:,} files included; dtracepy "
                              "stops there (do the headers include each other over and over?)", where)
        with open(includepath, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1 - self.read)
        self.read += len(data)
        if self.read > MAX_INPUT_BYTES:
            raise LayoutError(f"#include of {includepath}: the header with its includes is over {LIMIT_TEXT}; "
                              f"dtracepy reads at most {LIMIT_TEXT}", where)
        text = data.decode("utf-8", "surrogateescape")  # a byte that is not UTF-8 shown as \xff
        text = text[1:] if text.startswith("\ufeff") else text
        refuse_binary(text, self.shown(includepath))
        self.texts[os.path.abspath(includepath)] = text.splitlines()
        if self.search is not None:
            text = resolve_include_next(text, includepath, self.search)
        self._cycle(os.path.abspath(includepath), where)
        return io.StringIO(text)

    #: How many times one header may be open inside itself (an include guard stops the second).
    MAX_SELF_NESTING = 8

    def include(self, tokens, original_line):
        """pcpp's #include, keeping :attr:`open_files`: the headers being read, outermost first."""
        depth = len(self.open_files)
        try:
            yield from super().include(tokens, original_line)
        finally:
            del self.open_files[depth:]

    def _cycle(self, path: str, where: Pos) -> None:
        """Open ``path`` inside the headers being read; a header read inside itself over and over
        (no include guard stops it) is refused at the #include that opens it again."""
        stack = self.open_files
        stack.append(path)
        main = os.path.abspath(self.main_file) if self.main_file else None
        if stack.count(path) + (path == main) <= self.MAX_SELF_NESTING:
            return
        before = len(stack) - 2 - stack[-2::-1].index(path) if path in stack[:-1] else -1
        through = [self.shown(p) for p in stack[before + 1:-1]]
        shown = self.shown(path)
        raise LayoutError(f"{shown} includes itself" + (f" (through {', '.join(through)})" if through else "")
                          + ": with no include guard to stop it, this #include would be read forever",
                          Pos(self.shown(where.file), where.line, where.col))


_NEEDS_CPP = re.compile(r"^[ \t]*#[ \t]*(?!pragma\b|line\b|\d)\w", re.M)


_LINE_MARKER = re.compile(r'^#line (\d+) "([^"]*)"$', re.M)


def preprocess(text: str, filename: str, abi: ABI, include_dirs=(), defines=(), skipped=None,
               system: bool = False) -> str:
    """Run the C preprocessor over ``text`` unless it has no directives that need one and no
    ``defines`` are given (``-D N=4`` is expanded in a header without a ``#`` line too).  The
    system headers skipped that this machine has are appended to ``skipped`` (a list), if given.
    ``system``: this machine's system headers are read, searched after ``include_dirs`` as cpp
    searches them (:mod:`.system`)."""
    if not defines and not _NEEDS_CPP.search(text):
        return f'#line 1 "{filename}"\n{text}'
    pp = _Preprocessor()
    pp.texts[os.path.abspath(filename)] = text.splitlines()
    pp.read = len(text.encode("utf-8", "surrogateescape"))
    for name, value in {**abi_macros(abi), **gcc_macros(abi)}.items():
        pp.define(f"{name} {value}")
    for item in defines:
        name, eq, value = item.partition("=")
        pp.define(f"{name} {value if eq else '1'}")
    # The header's own directory is searched for "..." only (pcpp's parse puts it first there),
    # as cpp does: <...> searches the -I directories and the system ones, never the header's
    # (sys/signal.h's <signal.h> is not itself; a <n.h> beside the header is not found)
    for d in include_dirs:
        pp.add_path(d)
    if system:
        pp.search = list(include_dirs) + [d for d in system_dirs() if d not in include_dirs]
        for d in pp.search[len(include_dirs):]:
            pp.add_path(d)
        text = resolve_include_next(text, filename, pp.search)
    pp.main_file = filename
    pp.parse(text, filename)
    out = io.StringIO()
    try:
        pp.write(out)
    except RecursionError:
        # pcpp includes recursively: a header that includes itself (or two that include each
        # other) without an include guard recurses until Python stops it
        d = pp.lastdirective
        at = pp.expanding_at
        if (d is None or d.value != "include") and at is not None:
            # pcpp expands a macro in an argument by recursing, and a macro that names itself
            # through another's argument (pcre2.h's PCRE2_SUFFIX(PCRE2_UCHAR)) recurses until
            # Python stops it: where gcc stops, or expands it once, dtracepy cannot follow
            raise LayoutError("macro expansion nested too deeply for dtracepy's C preprocessor (pcpp "
                              "recurses for each macro in an argument; does a macro name itself in another's "
                              "argument?)", Pos(pp.shown(getattr(at, "source", None) or filename),
                                                getattr(at, "lineno", None) or 1, 1)) from None
        if d is None or d.value != "include":
            raise
        where = pp.shown(d.source or filename)
        raise LayoutError("#include nested too deeply for dtracepy's C preprocessor (do headers include "
                          "each other with no include guard?)", Pos(where, d.lineno or 1, 1)) from None
    except IndexError:  # pcpp reads the first token after #define, #undef, #if ... unchecked
        d = pp.lastdirective
        if d is None:
            raise
        from dtracepy.preprocess import empty_directive_message

        raise LayoutError(empty_directive_message(d.value),
                          Pos(pp.shown(d.source or filename), d.lineno or 1, 1)) from None
    if skipped is not None:
        skipped += pp.skipped
    if pp.errors:
        raise pp.errors[0]
    # pcpp names files relative to the working directory (../../usr/include/x.h): name each as
    # the user gave it (the header itself) or as _shown does
    output = _LINE_MARKER.sub(lambda m: f'#line {m.group(1)} "{pp.shown(m.group(2))}"', out.getvalue())
    return f'#line 1 "{filename}"\n{output}'


def read_source(source, filename: "str | None" = None) -> tuple[str, str]:
    """(text, filename) of a path or a string of C: a path-like, a string naming a file that
    exists (even ``a;b{.h``), or a one-line string without ``;``, ``{`` or ``}`` is a path."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source and (
            not re.search(r"[;{}]", source) or os.path.isfile(source))):
        from dtracepy.inputs import read_input

        path = os.fspath(source)
        try:
            shown, data = read_input(path)  # at most the input limit plus one byte
        except DTracePyError as err:
            raise LayoutError(err.message, err.pos) from None
        # bytes, as cpp reads them: one that is not UTF-8 held as surrogateescape holds it
        return data.decode("utf-8", "surrogateescape"), filename or shown
    return str(source), filename or "<string>"


def refuse_binary(text: str, filename: str) -> None:
    """A located error at the first NUL character, as check gives (a binary file is refused
    before it is preprocessed or parsed)."""
    nul = text.find("\0")
    if nul >= 0:
        line_start = text.rfind("\n", 0, nul) + 1
        raise LayoutError("NUL character in input (is this a binary file?)",
                          Pos(filename, text.count("\n", 0, nul) + 1, nul - line_start + 1))
