"""The C front end: preprocess (pcpp), recognise attributes (:mod:`.prepass`), parse (pycparser)
and turn declarations into laid-out types.

System headers are not read: ``#include <...>`` of a system header
(:func:`dtracepy.preprocess.system_header`) that is not found in ``-I`` directories is skipped, and
the common fixed-width and Solaris/BSD typedefs (``uint32_t``, ``uchar_t``,
``u_short``, ``in_addr_t`` ...) are predefined instead.  Each ABI predefines the macros headers
test for (``__x86_64__``, ``_LP64``, ``__BYTE_ORDER__``, ``_BIT_FIELDS_LTOH`` / ``_BIT_FIELDS_HTOL``).
A header found nowhere that is not a system header is a located error, as it is to cpp.  When a
header fails to parse after system headers of this machine were skipped, the error says which
``-I`` reads them.
"""

from __future__ import annotations

import difflib
import io
import os
import re

import attrs
import pcpp
from pycparser import c_ast, c_parser

from dtracepy.errors import DTracePyError, LayoutError, shown_name
from dtracepy.inputs import MAX_INPUT_BYTES
from dtracepy.layout.abi import ABI, get_abi, host_abi_name
from dtracepy.layout.engine import MemberSpec, lay_out
from dtracepy.layout.model import Array, FlexibleArray, Layout, Pointer, Scalar, Vector, array_spelling, close_names
from dtracepy.layout.prepass import MAX_ALIGNMENT, Argument, Attrs, Prepassed, blank_words, prepass
from dtracepy.layout.system import builtin_types, gcc_macros, reads_system_headers, resolve_include_next, system_dirs
from dtracepy.source import Pos

BUILTIN_FILE = "<builtin>"

PRELUDE = """\
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long long int64_t; typedef unsigned long long uint64_t;
typedef long intptr_t; typedef unsigned long uintptr_t;
typedef unsigned long size_t; typedef long ssize_t; typedef long ptrdiff_t; typedef long off_t;
typedef unsigned char uchar_t; typedef unsigned short ushort_t; typedef unsigned int uint_t;
typedef unsigned long ulong_t; typedef unsigned long long u_longlong_t; typedef long long longlong_t;
typedef unsigned char u_char; typedef unsigned short u_short; typedef unsigned int u_int;
typedef unsigned long u_long;
typedef unsigned char u_int8_t; typedef unsigned short u_int16_t; typedef unsigned int u_int32_t;
typedef unsigned long long u_int64_t;
typedef char *caddr_t; typedef int pid_t; typedef unsigned int uid_t; typedef unsigned int gid_t;
typedef long time_t;
typedef uint32_t in_addr_t; typedef uint16_t in_port_t; typedef uint32_t tcp_seq;
typedef uint16_t n_short; typedef uint32_t n_long; typedef uint32_t n_time;
typedef unsigned short sa_family_t; typedef unsigned int socklen_t;
"""

_C_KEYWORDS = {"signed", "unsigned", "char", "short", "int", "long", "float", "double", "_Bool", "void",
               "__int128"}


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
        from dtracepy.preprocess import bound_stray_characters

        def stray(data, offset):
            line_start = data.rfind("\n", 0, offset) + 1
            file = self.source or self.main_file or "<string>"
            raise LayoutError(f"stray '{shown_name(data[offset])}' in the header (is this a binary file?)",
                              Pos(self.shown(file), data.count("\n", 0, offset) + 1, offset - line_start + 1))

        bound_stray_characters(self.lexer, stray)

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


class Layouts(dict):
    """The laid-out records of a header, by ``struct tag``/``union tag`` and by typedef name.

    Looking up a bare tag (``ip``) finds ``struct ip``; an unknown name raises a LayoutError that
    lists the known ones.
    """

    def __init__(self, *args, abi: "ABI | None" = None, typedefs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.abi = abi
        self.typedefs = typedefs if typedefs is not None else {}  # shared: filled as the header is read

    def __missing__(self, key):
        name = " ".join(str(key).split())
        for candidate in (name, f"struct {name}", f"union {name}"):
            if candidate in self.keys():
                return dict.__getitem__(self, candidate)
        bare = name.split(" ", 1)[-1] if name.startswith(("struct ", "union ")) else name
        known = sorted(self.keys())
        listing = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "(none)"
        if bare in self.typedefs and not isinstance(self.typedefs[bare][0], Layout):
            target = self.typedefs[bare][0]
            what = f"{target.spelling()} ({target.size} bytes)" if target.size else target.spelling()
            raise LayoutError(f"{name} is {what}, not a struct or union: layout lays out structs and "
                              f"unions (known types: {listing})")
        if name.startswith("enum "):
            # (whether the header defines that enum or not: the name is an enum's either way)
            raise LayoutError(f"{name} names an enum: layout lays out structs and unions, not enums "
                              f"(known types: {listing})")
        bare_known = {k.split(" ", 1)[-1]: k for k in known}
        hits = difflib.get_close_matches(bare, list(bare_known), n=3)
        hint = "; did you mean " + " or ".join(repr(bare_known[h]) for h in hits) + "?" if hits else ""
        raise LayoutError(f"unknown type {name!r}{hint} (known types: {listing})")

    def get(self, key, default=None):
        try:
            return self[key]
        except LayoutError:
            return default


class _Converter:
    """pycparser declarations -> :class:`Layout` and friends, for one ABI."""

    def __init__(self, abi: ABI, pre):
        self.abi = abi
        self.pre = pre
        self.typedefs: dict[str, tuple[object, str]] = {}
        self.tags: dict[tuple[str, str], object] = {}
        self.enumerators: dict[str, tuple[int, tuple[int, bool]]] = {}  # name -> (value, type)
        self.array_size = False  # is the constant expression being evaluated an array size?
        self.scalars: dict[tuple, tuple[Scalar, str]] = {}  # type words -> (Scalar, spelling)
        self.named: dict[tuple, tuple[object, str]] = {}  # names as written -> base_type's answer
        self._line_starts = None  # (file, line) -> offset in the prepassed text, made for an error
        self.alignments: dict[int, int] = {}  # id(Argument) -> its value, evaluated
        self.defining: set[int] = set()  # ids of the records whose members are being read
        self.result = Layouts(abi=abi, typedefs=self.typedefs)

    # -- errors -------------------------------------------------------------------------------

    @staticmethod
    def pos(node) -> "Pos | None":
        coord = getattr(node, "coord", None)
        if coord is None:
            return None
        return Pos(coord.file or "<string>", coord.line, coord.column or None)

    def error(self, message: str, node):
        raise LayoutError(message, self.pos(node))

    # -- top level ----------------------------------------------------------------------------

    def run(self, ast: c_ast.FileAST) -> Layouts:
        typedefs = [node for node in ast.ext if isinstance(node, c_ast.Typedef) and self._user(node)]
        # the prepass's attributes of each typedef declarator, in order (none if they do not pair up)
        attributes = dict(zip(map(id, typedefs), self.pre.typedef_attrs)) \
            if len(typedefs) == len(self.pre.typedef_attrs) else {}
        if not attributes:
            for a in self.pre.typedef_attrs:  # (a mode dropped would give the typedef a wrong size)
                if a.mode is not None:
                    raise LayoutError("__attribute__((mode)) here is not modelled by dtracepy", a.mode[1])
                if a.vector is not None:
                    raise LayoutError("__attribute__((vector_size)) here is not modelled by dtracepy", a.vector.at)
        declared: dict[str, c_ast.Typedef] = {}  # a typedef name the header declares -> its declaration
        self._typedef_decls: dict[str, c_ast.Typedef] = {}  # every typedef's, the prelude's too
        for node in ast.ext:
            if isinstance(node, c_ast.Typedef):
                if node.name in declared and self._user(node):
                    self._redeclared(declared[node.name], node)
                self._typedef_decls[node.name] = node
                t, spelling = self.type_of(node.type)
                if id(node) in attributes:
                    t = self._aligned_typedef(node, t, attributes[id(node)])
                self.typedefs[node.name] = (t, node.name)
                self.named.pop((node.name,), None)  # a typedef given again names its new type
                if self._user(node):
                    declared[node.name] = node
                if isinstance(t, Layout):
                    if t.tag is None and t.name.endswith("<anonymous>"):
                        t.name = node.name
                    if self._user(node):
                        self.result[node.name] = t
            elif isinstance(node, c_ast.Decl):
                if isinstance(node.type, c_ast.FuncDecl):
                    continue
                self.type_of(node.type)
        for arg in self.pre.arguments:  # those no record took (a typedef's, an object's): gcc checks them too
            self.requested_alignment(arg)
        return self.result

    def _redeclared(self, first: c_ast.Typedef, again: c_ast.Typedef) -> None:
        """C lets a typedef name be declared again only as the same type (C11; gcc: "conflicting
        types for 'T'"): an error at the second declaration's name, where gcc puts it.  (The
        prelude's typedefs are not compared: a header may give ``off_t`` its own type where it
        includes no system header.)"""
        if self._identity(first.type, self._typedef_decls) != self._identity(again.type, self._typedef_decls):
            line = first.coord.line if first.coord is not None else "?"
            name = again.type  # (located at the name, as gcc locates it: pycparser's typedef is at its first *)
            while name is not None and not (name.__class__ is c_ast.TypeDecl and name.declname == again.name):
                name = getattr(name, "type", None)
            self.error(f"conflicting types for {again.name!r}: a typedef declared above (line {line}) "
                       "as another type; a typedef name may be declared again only as the same type",
                       name if name is not None and name.coord is not None else again)

    def _identity(self, node, decls) -> tuple:
        """What makes two declarations' types the same C type: the chain of pointers (with their
        qualifiers), arrays (with their sizes) and functions (with their parameters as written)
        down to the base type with its qualifiers, as canonical words (``long int`` is ``long``) or
        a tag (an untagged record or enum is a type of its own); a typedef name is read as its
        declaration in ``decls`` (name -> ``c_ast.Typedef``), its qualifiers given to the type it
        names (to the pointer of ``const P`` where ``P`` is ``char *``).  Read without recursing (a
        declarator may hold a million stars); asked only of a typedef name declared twice."""
        parts: list = []
        carried: set = set()  # qualifiers for the next pointer, or the base
        while True:
            cls = node.__class__
            if cls is c_ast.TypeDecl or cls is c_ast.Typename:
                carried.update(node.quals or ())
                node = node.type
            elif cls is c_ast.PtrDecl:
                parts.append(("*", frozenset(carried.union(node.quals or ()))))
                carried = set()
                node = node.type
            elif cls is c_ast.ArrayDecl:  # (an array's qualifiers are its elements')
                parts.append(("[]", None if node.dim is None else self.const(node.dim)))
                node = node.type
            elif cls is c_ast.FuncDecl:
                from pycparser import c_generator

                parts.append(("()", c_generator.CGenerator().visit(node.args) if node.args else ""))
                carried = set()
                node = node.type
            elif cls is c_ast.IdentifierType:
                words = [n for n in node.names if n not in ("const", "volatile")]
                carried.update(n for n in node.names if n in ("const", "volatile"))
                if len(words) == 1 and words[0] in decls:
                    node = decls[words[0]].type
                    continue
                base = ("typedef", words[0]) if len(words) == 1 and words[0] in self.typedefs else \
                    self.canonical(words, node)
                return (*parts, base, frozenset(carried))
            else:  # a record or an enum: its tag, or itself
                name = getattr(node, "name", None)
                return (*parts, (cls.__name__, name or id(node)), frozenset(carried))

    @staticmethod
    def _user(node) -> bool:
        return getattr(node.coord, "file", None) != BUILTIN_FILE

    # -- types --------------------------------------------------------------------------------

    def type_of(self, node) -> tuple[object, str]:
        """(type, spelling) of a pycparser type node.  Pointers and array dimensions are taken
        without recursing, a run of each at once (a header may declare ``int **...*p`` with a
        million stars or ``char x[1][1]...`` with thousands of dimensions)."""
        if node.__class__ is c_ast.TypeDecl and node.type.__class__ is c_ast.IdentifierType:
            return self.base_type(node.type)  # the common case, a member of a plain type
        chain = []  # the PtrDecl and ArrayDecl nodes above the base type, outermost first
        while True:
            if isinstance(node, (c_ast.TypeDecl, c_ast.Typename)):
                node = node.type
            elif isinstance(node, c_ast.PtrDecl) and not isinstance(node.type, c_ast.FuncDecl):
                chain.append(node)
                node = node.type
            elif isinstance(node, c_ast.ArrayDecl):
                chain.append(node)
                node = node.type
            else:
                break
        t, spelling = self._base_of(node)
        i = len(chain) - 1
        while i >= 0:
            if isinstance(chain[i], c_ast.PtrDecl):
                j = i
                while j > 0 and isinstance(chain[j - 1], c_ast.PtrDecl):
                    j -= 1
                stars = i - j + 1
                t = Pointer(t, self.abi.pointer_size, spelling)
                for _ in range(stars - 1):
                    t = Pointer(t, self.abi.pointer_size, None)
                spelling = spelling + ("" if spelling.endswith("*") else " ") + "*" * stars
            else:
                j = i
                while j > 0 and isinstance(chain[j - 1], c_ast.ArrayDecl):
                    j -= 1
                inner_spelling = t.spelling()
                size = t.size
                if size % t.align:  # (a typedef aligned beyond its size: gcc refuses an array of it)
                    self.error("alignment of array elements is greater than element size", chain[i])
                counts = []
                for k in range(i, j - 1, -1):  # innermost dimension first
                    node = chain[k]
                    if node.dim is None:  # a flexible array member, x[] (x[0] is GNU's zero-length array)
                        size = 0
                        t = FlexibleArray(t, 0)
                        counts.append(None)
                        continue
                    count = self.const(node.dim, array_size=True)
                    if count < 0:
                        self.error(f"array size is negative ({count})", node)
                    if count * max(size, 1) >= 2**64:
                        self.error(f"array too large: {count} elements of {size} bytes (sizes must be below "
                                   "2**64)", node)
                    size *= count
                    t = Array(t, count)
                    counts.append(count)
                counts.reverse()
                # the element's own spelling (a typedef name) unless it is an array's
                spelling = array_spelling(inner_spelling if inner_spelling.endswith("]") else spelling, counts)
            i = j - 1
        return t, spelling

    def _base_of(self, node) -> tuple[object, str]:
        """(type, spelling) of what a declarator's pointers and dimensions apply to."""
        if isinstance(node, c_ast.IdentifierType):
            return self.base_type(node)
        if isinstance(node, (c_ast.Struct, c_ast.Union)):
            t = self.record(node)
            return t, t.name if node.name is None else f"{'struct' if isinstance(node, c_ast.Struct) else 'union'} {node.name}"
        if isinstance(node, c_ast.Enum):
            return self.enum(node)
        if isinstance(node, c_ast.PtrDecl):  # to a function
            return Pointer(None, self.abi.pointer_size, "function"), "void (*)()"
        if isinstance(node, c_ast.FuncDecl):  # valid in a typedef; refused as a member (below)
            return Scalar("a function type", 0, 1, False, "function"), "function"
        self.error(f"unsupported declaration ({type(node).__name__})", node)

    def base_type(self, node: c_ast.IdentifierType) -> tuple[object, str]:
        known = self.named.get(tuple(node.names))  # (a header names a few types, over and over)
        if known is not None:
            return known
        names = [n for n in node.names if n not in ("const", "volatile")]
        spelling = " ".join(names)
        if len(names) == 1 and names[0] in self.typedefs:
            t, _ = self.typedefs[names[0]]
            self.named[tuple(node.names)] = t, names[0]
            return t, names[0]
        key = tuple(names)
        known = self.scalars.get(key)
        if known is not None:
            self.named[tuple(node.names)] = known
            return known
        unknown = [n for n in names if n not in _C_KEYWORDS]
        if unknown:
            self.error(f"unknown type name {unknown[0]!r}{close_names(unknown[0], self.typedefs)}", node)
        canon = self.canonical(names, node)
        if canon == "void":
            known = Scalar("void", 1, 1, False, "void"), "void"
        else:
            size, align, signed = self.abi.base(canon)
            kind = "bool" if canon == "_Bool" else "float" if canon in ("float", "double", "long double") else "int"
            known = Scalar(spelling, size, align, signed, kind), spelling
        self.scalars[key] = self.named[tuple(node.names)] = known
        return known

    def canonical(self, names: list[str], node) -> str:
        refused = _refused_type_words(names)
        if refused is not None:
            index, message = refused
            raise LayoutError(message, self._type_word_pos(node, index))
        count = {n: names.count(n) for n in set(names)}
        unsigned = "unsigned" in count
        if "__int128" in count:
            self.error("__int128 is not supported", node)
        for word in ("void", "_Bool", "float"):
            if word in count:
                return word
        if "double" in count:
            return "long double" if "long" in count else "double"
        prefix = "unsigned " if unsigned else ""
        if "char" in count:
            return "unsigned char" if unsigned else "signed char" if "signed" in count else "char"
        if "short" in count:
            return prefix + "short"
        longs = count.get("long", 0)
        if longs >= 2:
            return prefix + "long long"
        if longs == 1:
            return prefix + "long"
        return prefix + "int"

    def _type_word_pos(self, node, index: int) -> "Pos | None":
        """Where the ``index``-th type word of ``node`` (an IdentifierType) is, as gcc locates a
        refused one: read from the prepassed text at the node's place (qualifiers and blanked
        attributes between the words are skipped); the node's place if it cannot be found."""
        pos = self.pos(node)
        if pos is None or pos.col is None:
            return pos
        if self._line_starts is None:
            self._line_starts = _line_starts(self.pre.text)
        start = self._line_starts.get((pos.file, pos.line))
        if start is None:
            return pos
        text, line, line_start = self.pre.text, pos.line, start
        seen = 0
        for m in re.finditer(r"[A-Za-z_]\w*|#|\n", text[start + pos.col - 1:]):
            at = start + pos.col - 1 + m.start()
            if m.group() == "#":  # a line marker: the words are not all on this file's lines
                return pos
            if m.group() == "\n":
                line, line_start = line + 1, at + 1
            elif m.group() in _C_KEYWORDS:
                if seen == index:
                    return Pos(pos.file, line, at - line_start + 1)
                seen += 1
        return pos

    def enum(self, node: c_ast.Enum) -> tuple[object, str]:
        spelling = f"enum {node.name}" if node.name else "enum <anonymous>"
        if node.values is None:
            t = self.tags.get(("enum", node.name))
            return (t or Scalar(spelling, 4, 4, False, "enum")), spelling
        value, t, values = 0, _INT, []
        for e in node.values.enumerators:
            if e.value is not None:
                value, t, _ = self.typed_const(e.value)
            # gcc: an enumerator is an int if its value fits, else of its value's type (until the
            # enum is complete: then of the enum's type)
            self.enumerators[e.name] = value, _INT if -(1 << 31) <= value < 1 << 31 else t
            values.append(value)
            value += 1
            if _wrap(value, t) != value:
                t = (64, t[1] and value < 1 << 63)
        signed = any(v < 0 for v in values)
        big = any(v >= 2**32 or v < -(2**31) for v in values) or (signed and any(v >= 2**31 for v in values))
        t = Scalar(spelling, 8 if big else 4, 8 if big else 4, signed, "enum")
        for e in node.values.enumerators:
            v = self.enumerators[e.name][0]
            if not -(1 << 31) <= v < 1 << 31:
                self.enumerators[e.name] = v, (t.size * 8, signed)
        if node.name:
            self.tags[("enum", node.name)] = t
        return t, spelling

    def record(self, node) -> Layout:
        kind = "struct" if isinstance(node, c_ast.Struct) else "union"
        key = (kind, node.name)
        existing = self.tags.get(key) if node.name else None
        if node.decls is None:
            if existing is None:
                existing = Layout(node.name, kind, self.abi)
                self.tags[key] = existing
            return existing
        if existing is not None and existing.complete:
            self.error(f"redefinition of {kind} {node.name}", node)
        if existing is not None and id(existing) in self.defining:  # (it would hold itself: no size)
            self.error(f"nested redefinition of {kind} {node.name}", node)
        layout = existing or Layout(node.name, kind, self.abi)
        if node.name:
            self.tags[key] = layout
        coord = node.coord
        rkey = (coord.file, coord.line, coord.column)
        rattrs = self.pre.record_attrs.get(rkey, Attrs())
        if rattrs.mode is not None:
            raise LayoutError("__attribute__((mode)) on a struct or union is not valid", rattrs.mode[1])
        if rattrs.vector is not None:  # (gcc's words)
            raise LayoutError("invalid vector type for attribute 'vector_size'", rattrs.vector.at)
        mattrs = self.pre.member_attrs.get(rkey, [])
        decls = [d for d in node.decls if isinstance(d, c_ast.Decl)]
        if len(mattrs) != len(decls):
            for a in mattrs:  # (a vector dropped would give the member a wrong size)
                if a.vector is not None:
                    raise LayoutError("__attribute__((vector_size)) here is not modelled by dtracepy", a.vector.at)
            mattrs = [Attrs()] * len(decls)
        specs = []
        self.defining.add(id(layout))
        for decl, a in zip(decls, mattrs):
            t, spelling = self.type_of(decl.type)
            if a.vector is not None:
                t = self._vector(t, a.vector)
                spelling = t.spelling()
            width = None if decl.bitsize is None else self.const(decl.bitsize)
            if t.__class__ is Scalar and t.kind in ("void", "function") or isinstance(t, Array):
                if getattr(t, "kind", None) == "void":
                    self.error(f"member {decl.name} has type void", decl)
                if getattr(getattr(t, "elem", t), "kind", None) == "function":
                    self.error("a function type cannot be a member; use a pointer to it", decl)
                # (x[0], GNU's zero-length array, may be anywhere: only x[] must be last)
                if isinstance(decl.type, c_ast.ArrayDecl) and decl.type.dim is None and decl is not decls[-1]:
                    self.error(f"flexible array member {decl.name} is not last", decl)
            if a.mode is not None:
                raise LayoutError("__attribute__((mode)) on a member changes layout in a way dtracepy does not "
                                  "model (on a typedef of an integer type it is modelled)", a.mode[1])
            aligned = self.alignment(a) if a.aligned else None
            # (an unnamed bit-field's Decl has no coord: its width's has)
            specs.append(MemberSpec(decl.name, t, spelling, width, a.packed, aligned,
                                    self.pos(decl) or self.pos(decl.bitsize) or self.pos(decl.type)))
        self.defining.discard(id(layout))
        lay_out(layout, specs, packed=rattrs.packed, aligned=self.alignment(rattrs),
                pack=self.pre.record_pack.get(rkey))
        if node.name and self._user(node):
            self.result[f"{kind} {node.name}"] = layout
        return layout

    # -- attribute arguments ------------------------------------------------------------------

    def alignment(self, a: Attrs) -> "int | None":
        """The largest alignment ``a`` asks for, or None (``aligned(0)``: gcc warns and ignores it)."""
        best = None
        for request in a.aligned:
            value = request if isinstance(request, int) else self.requested_alignment(request)
            if value:
                best = max(best or 0, value)
        return best

    def _aligned_typedef(self, node, t, a: Attrs):
        """``t`` with the alignment a typedef's ``aligned(N)`` gives it: gcc raises or lowers a
        typedef's alignment to N and leaves its size (``packed`` on a typedef: gcc ignores it)."""
        if a.mode is not None:
            t = self._mode(t, *a.mode)
        if a.vector is not None:
            t = self._vector(t, a.vector)
        align = self.alignment(a)
        if align is None or align == t.align:
            return t
        if isinstance(t, Layout) and t.complete:  # (glibc's __pthread_unwind_buf_t): the record's
            import copy                              # members and size, the typedef's alignment

            aligned = copy.copy(t)
            aligned.align = align
            return aligned
        if t.__class__ is Vector:
            return attrs.evolve(t, align=align)
        if not isinstance(t, Scalar) or t.kind in ("void", "function"):
            self.error(f"__attribute__((aligned({align}))) on a typedef of {t.spelling()} is not supported by "
                       "dtracepy (on a typedef of an integer, enum or floating type, or of a complete struct "
                       "or union, it is)", node)
        return attrs.evolve(t, align=align)

    #: gcc's integer machine modes by size in bytes (``word`` and ``pointer`` are the ABI's)
    _MODES = {"QI": 1, "byte": 1, "HI": 2, "SI": 4, "DI": 8}

    def _mode(self, t, mode: str, at: Pos):
        """``t`` (an integer type) as ``mode(M)`` makes it: the integer type of M's size, its
        signedness kept, aligned as that type is (an i386 DI is a ``long long``, 4 in a struct)."""
        size = self.abi.pointer_size if mode in ("word", "pointer") else self._MODES.get(mode)
        if size is None or not isinstance(t, Scalar) or t.kind not in ("int", "enum"):
            raise LayoutError(f"__attribute__((mode({mode[:20]}))) changes layout in a way dtracepy does not model "
                              "(it models QI, HI, SI, DI, word and pointer on a typedef of an integer type)", at)
        name = {1: "char", 2: "short", 4: "int", 8: "long long"}[size]
        _, align, _ = self.abi.base(name)
        return attrs.evolve(t, size=size, align=align)

    def _vector(self, t, arg: Argument) -> Vector:
        """``t`` as ``vector_size(N)`` makes it: N bytes of ``t``, placed in a record at N (gcc's
        TYPE_ALIGN; its ``_Alignof`` says at most 16, and of a struct holding one too, while the
        struct's size is a multiple of N), at most 16 on aarch64, and an i386 vector of 8 bytes
        of integers at 4, as its ``long long``; refused as gcc refuses it (N not a power of two
        of ``t``, ``t`` not an integer, enum or floating type).  A pointer or an array declared
        with it (a pointer to a vector, an array of them to gcc) is not modelled: refused."""
        value = self._argument_value(arg)
        if not isinstance(t, Scalar) or t.kind not in ("int", "enum", "float"):
            what = t.spelling() if hasattr(t, "spelling") else "this type"
            if isinstance(t, (Pointer, Array)):
                raise LayoutError(f"__attribute__((vector_size)) on a declarator of {what} is not modelled by "
                                  "dtracepy (on a typedef or member of an integer, enum or floating type, it is)",
                                  arg.at)
            raise LayoutError(f"invalid vector type for attribute 'vector_size' ({what})", arg.at)
        if value < 0:
            raise LayoutError(f"'vector_size' attribute argument value '{value}' is negative", arg.at)
        if value == 0:
            raise LayoutError("zero vector size", arg.at)
        if value % t.size:
            raise LayoutError("vector size not an integral multiple of component size", arg.at)
        count = value // t.size
        if count & (count - 1):
            raise LayoutError(f"number of vector components {count} not a power of two", arg.at)
        if value > MAX_ALIGNMENT:
            raise LayoutError(f"vector size {value} is over {MAX_ALIGNMENT} bytes; dtracepy stops there", arg.at)
        align = min(value, 16) if self.abi.name == "aarch64" else value
        if value == 8 and self.abi.name == "i386" and t.kind != "float":
            align = self.abi.base("long long")[1]
        return Vector(t, count, align)

    def _argument_value(self, arg: Argument) -> int:
        """An attribute argument's value, evaluated as an enumerator is."""
        node = self._argument_node(arg)
        try:
            return self.typed_const(node)[0]
        except LayoutError as err:
            if err.pos is None:  # (an error in a literal: at the attribute)
                raise LayoutError(err.message, arg.at) from None
            raise

    def requested_alignment(self, arg: Argument) -> int:
        """The value of ``aligned(N)``, evaluated as an enumerator is (typed as gcc types it, an
        overflow folded: gcc folds ``aligned(2147483647 + 1)`` to INT_MIN and refuses that), with
        the types and enumerators declared before it; refused as gcc refuses it, at the attribute."""
        done = self.alignments.get(id(arg))
        if done is not None:
            return done
        value = self._argument_value(arg)
        if value < 0 or value & (value - 1):
            raise LayoutError(f"requested alignment {value} is not a positive power of 2", arg.at)
        if value > MAX_ALIGNMENT:
            raise LayoutError(f"requested alignment {value} exceeds maximum {MAX_ALIGNMENT}", arg.at)
        self.alignments[id(arg)] = value
        return value

    def _argument_node(self, arg: Argument):
        """The expression of an attribute's argument: a literal as it is, else parsed by pycparser
        at its place in the header (its typedef names declared first, so a cast parses)."""
        from dtracepy.layout.fastc import _INTEGER

        text = arg.text.strip()
        if _INTEGER.fullmatch(text):  # the common aligned(8)
            return c_ast.Constant("int", text)
        # GNU's spelling of _Alignof (gcc's stddef.h: max_align_t), padded so columns stay right
        text = re.sub(r"\b__alignof(?:__)?\b", lambda m: "_Alignof".ljust(len(m.group())), arg.text)
        names = sorted(set(re.findall(r"[A-Za-z_]\w*", text)) & set(self.typedefs))
        source = "".join(f"typedef int {name};\n" for name in names) + (
            f'char __dtracepy_argument[(\n#line {arg.pos.line} "{arg.pos.file}"\n'
            f'{" " * (arg.pos.col - 1)}{text}\n)];\n')
        try:
            ast = _CParser().parse(source, arg.pos.file)
        except c_parser.ParseError as err:
            raise _located_parse_error(err, arg.at) from None
        return ast.ext[-1].type.dim

    # -- constant expressions -----------------------------------------------------------------
    #
    # Evaluated as gcc does for the target: every value has an integer type, (bits, signed) --
    # the rank of C's types only matters between types of one width, where the usual arithmetic
    # conversions pick the unsigned one either way.  Results wrap modulo 2**bits.  A signed
    # result out of its type's range has overflowed: gcc keeps the wrapped value (with a warning)
    # and carries the overflow with it through arithmetic and casts, but a comparison, ``&&``,
    # ``||`` or the chosen arm of ``?:`` with an overflowed operand is not a constant; the
    # condition of ``?:`` drops it.  A left shift of a negative value or into the sign bit is
    # not a constant either.  gcc refuses what is not a constant as an array size ("variably
    # modified at file scope") and folds it anyway for an enumerator or a bit-field width
    # (``enum { F = 1 << 31 }`` is INT_MIN): ``array_size`` says which.  A shift count beyond
    # the width or negative is refused everywhere (gcc: a warning, or an error when negative).

    def const(self, node, array_size: bool = False) -> int:
        """The value of an integer constant expression, evaluated without recursing (pycparser
        gives ``1+1+...+1`` as a chain as long as the sum), operands left to right as before."""
        value, _, overflow = self.typed_const(node, array_size)
        if array_size and isinstance(overflow, c_ast.Cast):
            self.error(f"floating constant {overflow.expr.value[:30]} is out of the range of "
                       f"{self.type_of(overflow.to_type)[1]}: not a constant array size (gcc: variably "
                       "modified)", overflow)
        if array_size and overflow is not None and self.abi.pointer_size == 4:
            # gcc keeps the overflow through the conversion to a 32-bit size_t (not to a 64-bit one)
            self.error("integer overflow in an array size (gcc for a 32-bit target: exceeds maximum object size)",
                       overflow)
        return value

    def _not_constant(self, overflowed, node):
        if not self.array_size:
            return
        op = getattr(node, "op", "?:")
        what = "integer overflow" if not isinstance(overflowed, c_ast.Cast) else \
            f"floating constant {overflowed.expr.value[:30]} out of range of {self.type_of(overflowed.to_type)[1]}"
        self.error(f"{what} in an operand of {op!r}: not a constant array size (gcc: variably modified)", overflowed)

    def typed_const(self, node, array_size: bool = False) -> tuple[int, tuple[int, bool], object]:
        outer, self.array_size = self.array_size, array_size  # (a sizeof may hold another one)
        try:
            return self._typed_const(node)
        finally:
            self.array_size = outer

    def _typed_const(self, node) -> tuple[int, tuple[int, bool], object]:
        """(value, (bits, signed), the node that overflowed or None) of a constant expression.
        The arm of ``?:`` and the operand of ``&&``/``||`` that are not evaluated are read
        "quietly": only for their type, their errors ignored (gcc accepts ``1 ? 1 : 1/0``)."""
        values: list[tuple[int, tuple[int, bool], object]] = []
        stack = [(node, 0, False)]
        while stack:
            node, state, quiet = stack.pop()
            try:
                if isinstance(node, c_ast.BinaryOp):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.left, 0, quiet))
                    elif state == 1 and node.op in ("&&", "||"):
                        decided = bool(values[-1][0]) == (node.op == "||")
                        stack += ((node, 2, quiet), (node.right, 0, quiet or decided))
                    elif state == 1:
                        stack += ((node, 2, quiet), (node.right, 0, quiet))
                    else:
                        b = values.pop()
                        values.append(self._binary(node, values.pop(), b, quiet))
                elif isinstance(node, c_ast.UnaryOp) and node.op not in ("sizeof", "_Alignof"):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.expr, 0, quiet))
                    else:
                        values.append(self._unary(node, values.pop()))
                elif isinstance(node, c_ast.Cast):
                    if state == 0 and _is_floating(node.expr):  # C allows a floating constant only here
                        values.append(self._floating_cast(node))
                    elif state == 0:
                        stack += ((node, 1, quiet), (node.expr, 0, quiet))
                    else:
                        values.append(self._cast(node, values.pop()))
                elif isinstance(node, c_ast.TernaryOp):
                    if state == 0:
                        stack += ((node, 1, quiet), (node.cond, 0, quiet))
                    elif state == 1:
                        yes = bool(values.pop()[0])
                        stack += ((node, 2 if yes else 3, quiet), (node.iffalse, 0, quiet or yes),
                                  (node.iftrue, 0, quiet or not yes))
                    else:
                        no, yes = values.pop(), values.pop()
                        t = _common(yes[1], no[1])
                        chosen = yes if state == 2 else no
                        if chosen[2] is not None:
                            self._not_constant(chosen[2], node)
                        values.append((_wrap(chosen[0], t), t, None))
                else:
                    values.append(self._operand(node))
            except LayoutError:
                if not quiet or _is_floating(node):  # (a floating operand makes the type not an integer's)
                    raise
                values.append((0, _INT, None))  # only the type of an unevaluated operand counts
        return values[0]

    def _int_type(self, t) -> "tuple[int, bool] | None":
        """(bits, signed) of an integer, enum or _Bool type; None for any other."""
        if isinstance(t, Scalar) and t.kind in ("int", "enum", "bool"):
            return (1, False) if t.kind == "bool" else (t.size * 8, t.signed)
        return None

    def _cast(self, node: c_ast.Cast, operand):
        value, t, overflow = operand
        target = self.type_of(node.to_type)[0]
        to = self._int_type(target)
        if getattr(target, "kind", None) == "float":  # (gcc folds it, warning that the size is variable)
            self.error(f"a cast to {target.spelling()} is not allowed in an integer constant expression", node)
        if to is None:  # a pointer type: the value as it was
            return operand
        if to == (1, False):  # _Bool
            return int(value != 0), _BOOL, overflow
        return _wrap(value, to), to, overflow

    def _floating_cast(self, node: c_ast.Cast):
        """``(T)2.5``: the floating constant as its type holds it (``16777217.0f`` is 16777216),
        truncated toward zero.  Beyond T's range (or infinite) gcc saturates and marks it
        overflowed: not a constant where an integer overflow is not one, nor as an array size."""
        target = self.type_of(node.to_type)[0]
        to = self._int_type(target)
        if to is None:
            self.error(f"a cast of a floating constant to {target.spelling()} is not an integer constant "
                       "expression", node)
        literal = node.expr.value
        if len(literal) > 4000:  # (digits Python's int() refuses beyond 4300)
            self.error(f"floating constant {literal[:30]}... is too long", node.expr)
        suffix = literal[-1].lower() if literal[-1] in "fFlL" else ""
        digits, max_exp = {"f": (24, 128), "l": (self.abi.long_double_digits, 16384)}.get(suffix, (53, 1024))
        value = _floating_value(literal.rstrip("fFlL"), digits, max_exp)
        if value is False:
            self.error(f"unsupported floating constant {literal[:30]}", node.expr)
        if to == _BOOL:
            return int(value != 0), _BOOL, None
        high = (1 << (to[0] - to[1])) - 1
        if value is None or value >= high + 1:
            return high, to, node
        return int(value), to, None

    def _unary(self, node: c_ast.UnaryOp, operand):
        value, t, overflow = operand
        if node.op == "!":  # (gcc: a fresh constant, without the operand's overflow)
            return int(not value), _INT, None
        if node.op not in ("-", "+", "~"):
            self.error(f"operator '{node.op}' is not allowed in an integer constant expression", node)
        t = _promote(t)
        exact = -value if node.op == "-" else ~value if node.op == "~" else value
        result = _wrap(exact, t)
        return result, t, overflow if result == exact or not t[1] else overflow or node

    def _operand(self, node):
        """A constant, an enumerator, ``sizeof`` or ``_Alignof``: (value, type, None)."""
        if isinstance(node, c_ast.Constant):
            if node.type == "char":
                body = node.value[1:-1]
                if not body:
                    return 0, _INT, None
                char = "?" if body == "\\?" else body.encode().decode("unicode_escape")
                if len(char) != 1:  # ord() of two characters was an internal error
                    self.error(f"multi-character character constant {node.value[:30]} is not supported", node)
                value = ord(char)
                if self.abi.char_signed and 128 <= value < 256:  # '\377' is -1 where char is signed
                    value -= 256
                return value, _INT, None
            if _is_floating(node):
                self.error(f"floating constant {node.value[:30]} in an integer constant expression: C allows "
                           "one only as the operand of a cast to an integer type", node)
            text = node.value.rstrip("uUlL")
            suffix = node.value[len(text):].lower()
            try:
                if text[:2].lower() in ("0x", "0b"):
                    value = int(text, 0)
                elif len(text) > 1 and text[0] == "0":
                    value = int(text, 8)
                else:
                    value = int(text)
            except ValueError:
                self.error(f"not an integer constant: {node.value}", node)
            if value >= 1 << 64:
                # (gcc warns and keeps its low 64 bits, which is no value the header meant)
                self.error(f"integer constant is too large for its type: {node.value[:30]} is 2**64 or more "
                           "(gcc keeps only its low 64 bits)", node)
            t = self._literal_type(value, text, suffix)
            return _wrap(value, t), t, None
        if isinstance(node, c_ast.ID):
            if node.name in self.enumerators:
                value, t = self.enumerators[node.name]
                return value, t, None
            self.error(f"{node.name!r} is not a known constant", node)
        size_t = (self.abi.long_size * 8, False)
        if isinstance(node, c_ast.UnaryOp) and node.op == "sizeof":
            t = self.type_of(node.expr)[0] if isinstance(node.expr, c_ast.Typename) else None
            if t is None:
                self.error("sizeof of an expression is not supported here", node)
            self._refuse_incomplete(t, node)
            return t.size, size_t, None
        if isinstance(node, c_ast.UnaryOp) and node.op == "_Alignof":
            t = self.type_of(node.expr)[0]
            self._refuse_incomplete(t, node)
            return t.align, size_t, None
        self.error(f"not an integer constant expression ({type(node).__name__})", node)

    def _refuse_incomplete(self, t, node):
        """gcc's error for ``sizeof``/``_Alignof`` of a struct not (yet) defined: its size was 0."""
        if isinstance(t, Layout) and not t.complete:
            self.error(f"invalid application of '{node.op}' to incomplete type '{t.name}'", node)

    def _literal_type(self, value: int, digits: str, suffix: str) -> tuple[int, bool]:
        """The type of an integer constant (C11 6.4.4.1): the first of its suffix's list that holds
        the value; a decimal one without ``u`` only among the signed types."""
        lng = self.abi.long_size * 8
        longs = suffix.count("l")
        candidates = [(32, True), (32, False), (lng, True), (lng, False), (64, True), (64, False)]
        candidates = candidates[4:] if longs == 2 else candidates[2 * longs:]
        decimal = not (digits[:2].lower() in ("0x", "0b") or (len(digits) > 1 and digits[0] == "0"))
        if "u" in suffix:
            candidates = [t for t in candidates if not t[1]]
        elif decimal:
            candidates = [t for t in candidates if t[1]]
        for bits, signed in candidates:
            if value < 1 << (bits - signed):
                return bits, signed
        # a decimal constant in [2**63, 2**64) without u: gcc warns that it "is so large that it is
        # unsigned" and makes it a (signed) __int128 where the target has one (the LP64 ABIs), a
        # long long wrapped to a negative value on i386
        return (128, True) if self.abi.pointer_size == 8 else (64, True)

    def _binary(self, node: c_ast.BinaryOp, a, b, quiet: bool = False):
        op = node.op
        (x, ta, oa), (y, tb, ob) = a, b
        overflow = oa or ob
        if op in ("&&", "||"):
            decided = bool(x) == (op == "||")  # b was read quietly: only a counts
            if (oa if decided else overflow) is not None:
                self._not_constant(oa if decided else overflow, node)
            return int(bool(x and y) if op == "&&" else bool(x or y)), _INT, None
        if op in ("<<", ">>"):
            t = _promote(ta)
            if not 0 <= y < t[0]:
                self.error(f"shift count {y} is out of range for {self._type_name(t)} (0 to {t[0] - 1})", node)
            if op == ">>":
                return x >> y, t, overflow
            if t[1] and (x < 0 or x << y >= 1 << (t[0] - 1)) and self.array_size:
                self.error(f"left shift of {x} by {y} overflows {self._type_name(t)} (gcc: not a constant)", node)
            return _wrap(x << y, t), t, overflow
        t = _common(ta, tb)
        x, y = _wrap(x, t), _wrap(y, t)
        compare = {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}
        if op in compare:
            if overflow is not None:
                self._not_constant(overflow, node)
            return int(compare[op]), _INT, None
        if op in ("/", "%") and y == 0:
            self.error("division by zero in a constant expression", node)
        ops = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
               "/": lambda: _c_quotient(x, y), "%": lambda: x - _c_quotient(x, y) * y,
               "&": lambda: x & y, "|": lambda: x | y, "^": lambda: x ^ y}
        if op not in ops:
            self.error(f"operator '{op}' is not allowed in an integer constant expression", node)
        exact = ops[op]()
        result = _wrap(exact, t)
        if t[1] and (result != exact or op == "%" and y == -1 and x == -(1 << (t[0] - 1))):
            overflow = overflow or node  # (gcc: INT_MIN % -1 overflows as INT_MIN / -1 does)
        return result, t, overflow

    def _type_name(self, t: tuple[int, bool]) -> str:
        name = {32: "int", 64: "long" if self.abi.long_size == 8 else "long long", 128: "__int128"}.get(
            t[0], f"{t[0]}-bit int")
        return name if t[1] else "unsigned " + name


_INT = (32, True)
_BOOL = (1, False)

_FLOATING = re.compile(r"(?:(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?|0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+))")


def _is_floating(node) -> bool:
    return isinstance(node, c_ast.Constant) and node.type in ("float", "double", "long double")


def _floating_value(text: str, digits: int, max_exp: int):
    """The value of a floating constant (without suffix) rounded to nearest, ties to even, to a
    ``digits``-bit significand, as a Fraction; None when beyond the type's range (infinite); False
    when it is not one this reads."""
    from fractions import Fraction

    m = _FLOATING.fullmatch(text)
    if m is None or not any(m.group(i) for i in (1, 2, 4, 5)):
        return False
    if m.group(6) is None:
        whole, frac, exp, base = m.group(1), m.group(2), int(m.group(3) or 0), 10
    else:
        whole, frac, exp, base = m.group(4), m.group(5), int(m.group(6)), 2
        exp -= 4 * len(frac)
    n = int(whole + frac or "0", 16 if base == 2 else 10)
    exp -= len(frac) if base == 10 else 0
    if n == 0:
        return Fraction(0)
    scale = exp if base == 2 else exp * 3.33  # (about log2 of the power of ten)
    if scale + n.bit_length() > max_exp + 8:  # (far beyond every type: not worth the exact power)
        return None
    if scale + n.bit_length() < -100:  # far below 1: it truncates to 0 whatever its rounding
        return Fraction(0)
    x = Fraction(n) * Fraction(base) ** exp
    e = x.numerator.bit_length() - x.denominator.bit_length()  # floor(log2(x)) is e or e - 1
    if Fraction(2) ** e > x:
        e -= 1
    rounded = Fraction(round(x / Fraction(2) ** (e - digits + 1))) * Fraction(2) ** (e - digits + 1)
    return None if rounded >= Fraction(2) ** max_exp else rounded  # promoted to int like any type narrower than int


def _promote(t: tuple[int, bool]) -> tuple[int, bool]:
    """C's integer promotions: a type narrower than int becomes int."""
    return _INT if t[0] < 32 else t


def _common(a: tuple[int, bool], b: tuple[int, bool]) -> tuple[int, bool]:
    """The usual arithmetic conversions, by width and signedness (see ``const``)."""
    a, b = _promote(a), _promote(b)
    if a == b:
        return a
    if a[1] == b[1]:
        return max(a, b)
    unsigned, signed = (a, b) if not a[1] else (b, a)
    return unsigned if unsigned[0] >= signed[0] else signed


def _wrap(value: int, t: tuple[int, bool]) -> int:
    """``value`` converted to the integer type ``t``: modulo 2**bits, then signed if ``t`` is."""
    bits, signed = t
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


# gcc's checks of a declaration's type words (c-decl.cc, declspecs_add_type), in gcc's words: the
# words are taken one by one and the first that cannot join those before it is refused
_NO_LONG = ("void", "__int128", "_Bool", "char", "float")  # 'long' cannot join these ...
_NO_SHORT = _NO_LONG + ("double",)  # ... 'short' these
_NO_SIGN = ("void", "_Bool", "float", "double")  # ... 'signed' and 'unsigned' these


def _refused_type_words(names: list[str]) -> "tuple[int, str] | None":
    """(index, gcc's message) of the first of ``names`` (C's type words, in order) gcc refuses."""
    longs, short, signed, unsigned, word = 0, False, False, False, None

    def both(a, b):
        return f"both '{a}' and '{b}' in declaration specifiers"

    for i, name in enumerate(names):
        if name == "long":
            if longs == 2:
                return i, "'long long long' is too long for GCC"
            if longs == 1 and word == "double":
                return i, both("long long", "double")
            if longs == 0 and short:
                return i, both("long", "short")
            if longs == 0 and word in _NO_LONG:
                return i, both("long", word)
            longs += 1
        elif name == "short":
            if longs:
                return i, both("long", "short")
            if word in _NO_SHORT:
                return i, both("short", word)
            if short:
                return i, "duplicate 'short'"
            short = True
        elif name in ("signed", "unsigned"):
            if (unsigned if name == "signed" else signed):
                return i, both("signed", "unsigned")
            if word in _NO_SIGN:
                return i, both(name, word)
            if (signed if name == "signed" else unsigned):
                return i, f"duplicate '{name}'"
            signed, unsigned = signed or name == "signed", unsigned or name == "unsigned"
        elif name in _C_KEYWORDS:
            if word is not None:
                return i, "two or more data types in declaration specifiers"
            if name == "__int128" and (longs or short):
                return i, both("__int128", "long" if longs else "short")
            if name == "double" and (longs == 2 or short):  # (long double is a type)
                return i, both("long long" if longs == 2 else "short", name)
            if name in _NO_LONG and (longs or short):
                return i, both("long" if longs else "short", name)
            if name in _NO_SIGN and (signed or unsigned):
                return i, both("signed" if signed else "unsigned", name)
            word = name
    return None


def _line_starts(text: str) -> dict:
    """(file, line) -> the offset where that line starts in ``text``, which has line markers."""
    out = {}
    file, line, offset = None, 0, 0
    for raw in text.split("\n"):
        m = _LINE_MARK.match(raw)
        if m:
            file, line = m.group(2) or file, int(m.group(1)[:9]) - 1
        else:
            line += 1
            out.setdefault((file, line), offset)
        offset += len(raw) + 1
    return out


_PARSE_ERROR = re.compile(r"^(.*?):(\d+):(\d+): (.*)$", re.S)


_WORD = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?(\d+)(?:[ \t]+"([^"]*)")?[^\n]*$|([A-Za-z_]\w*)|(\n)|([^\sA-Za-z_])', re.M)
_C_WORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
            "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
            "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
            "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Alignof",
            "_Alignas", "_Atomic", "_Static_assert", "__int128"}


_TYPEDEF_PARTS = re.compile(r"\btypedef\b|[{};]|[A-Za-z_]\w*")


def _typedef_names(text: str) -> set:
    """The names ``typedef`` declarations of ``text`` may declare: every word outside braces from
    a ``typedef`` to its ``;`` (a struct's nested braces skipped: glibc's ``__mbstate_t`` holds a
    union), so that no typedef name is taken for an unknown one (a few other words join them)."""
    names: set = set()
    depth, inside = 0, False
    for m in _TYPEDEF_PARTS.finditer(text):
        word = m.group()
        if word == "{":
            depth += 1
        elif word == "}":
            depth = max(depth - 1, 0)
        elif word == ";":
            if depth == 0:
                inside = False
        elif word == "typedef":
            inside = inside or depth == 0
        elif inside and depth == 0:
            names.add(word)
    return names


def _unknown_type_name(text: str):
    """After a parse error: the first ``NAME NAME`` at the start of a declaration whose first NAME
    is neither a keyword nor a typedef name, with its position."""
    typedefs = _typedef_names(text)
    file, line, line_start = "<string>", 1, 0
    prev = ";"
    last_word = None
    for m in _WORD.finditer(text):
        if m.group(1) is not None:
            file = m.group(2) or file
            line, line_start = int(m.group(1)) - 1, m.end()
            continue
        if m.group(4):
            line, line_start = line + 1, m.end()
            continue
        word = m.group(3)
        if word is not None:
            if last_word is not None:
                name, pos = last_word
                if name not in _C_WORDS and name not in typedefs:
                    return name, pos
            last_word = (word, Pos(file, line, m.start() - line_start + 1)) if prev in (";", "{", "}", "(", ",") else None
            prev = "word"
        else:
            prev = m.group(5)
            last_word = None
    return None


_LINE_MARK = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?(\d+)(?:[ \t]+"([^"]*)")?')


def _deepest(text: str, filename: str) -> Pos:
    """Where ``text`` (with ``#line`` markers) is nested deepest in ( [ {."""
    file, line = filename, 0
    best, depth, where = -1, 0, Pos(filename, 1, 1)
    for raw in text.split("\n"):
        m = _LINE_MARK.match(raw)
        if m:
            file, line = m.group(2) or file, int(m.group(1)[:9]) - 1
            continue
        line += 1
        for col, ch in enumerate(raw, start=1):
            if ch in "([{":
                depth += 1
                if depth > best:
                    best, where = depth, Pos(file, line, col)
            elif ch in ")]}":
                depth -= 1
    return where


class _CParser(c_parser.CParser):
    """pycparser, with each array dimension or function suffix added to a declarator in constant
    time (pycparser walks the declarator's whole chain for each, quadratic in the dimensions)."""

    _last = (None, None)  # (a declarator, its modifier just above its TypeDecl)

    def _parse_error(self, msg, coord):
        """pycparser's error, always at a line and column: some of its messages ("Invalid
        declaration", "Invalid expression", "At end of input") name only the file, or no place:
        those are put at the token the parser stopped before (at the end, its last token), whose
        place follows the #line markers to the header's own line."""
        if not isinstance(coord, c_parser.Coord) or not coord.line:
            stream = self._tokens
            ahead = stream.peek(1)
            if ahead is None:  # at the end: the last token read
                ahead = next((t for t in reversed(stream._buffer[:stream._index]) if t is not None), None)
            coord = (c_parser.Coord(ahead.filename, ahead.lineno, ahead.column) if ahead is not None
                     else c_parser.Coord(self.clex.filename, 1, 1))
            msg = "syntax error at end of input" if msg == "At end of input" else f"syntax error: {msg}"
        elif coord.column is None:
            coord = c_parser.Coord(coord.file, coord.line, 1)
        super()._parse_error(msg, coord)

    def _type_modify_decl(self, decl, modifier):
        if isinstance(decl, c_ast.TypeDecl):
            return super()._type_modify_decl(decl, modifier)
        modifier_tail = modifier
        while modifier_tail.type:
            modifier_tail = modifier_tail.type
        head, tail = self._last
        decl_tail = tail if head is decl and isinstance(tail.type, c_ast.TypeDecl) else decl
        while not isinstance(decl_tail.type, c_ast.TypeDecl):
            decl_tail = decl_tail.type
        modifier_tail.type = decl_tail.type
        decl_tail.type = modifier
        self._last = (decl, modifier_tail)
        return decl


#: Read what the fast reader can (:mod:`.fastc`) before pycparser; tests turn it off to compare.
FAST_READER = True

# What the prepass would change or refuse: comments, #pragma, GNU words (__attribute__ ...), any
# directive but a line marker; without these ("/*", "//", "__", "inline" or "asm" anywhere, or this)
# its text is the text and it finds no attribute and no pack
_NEEDS_PREPASS = re.compile(r"#(?![ \t]*(?:line[ \t]+)?\d)")


def read_fast(text: str, filename: str, abi: ABI, prelude: str = PRELUDE):
    """(FileAST, Prepassed) of preprocessed ``text`` as :func:`parse_c` gives them, from the
    fast reader; None when the text is outside its subset (pycparser reads it then)."""
    from dtracepy.layout import fastc

    # (substrings first: a regular expression trying words at every position took 0.2 s a 3 MB)
    needs = any(w in text for w in ("/*", "//", "__", "inline", "asm")) or _NEEDS_PREPASS.search(text)
    if not needs:
        pre = Prepassed(text)
    elif any(w in text for w in ("/*", "//", "__attribute", "asm")) or _NEEDS_PREPASS.search(text):
        pre = prepass(text, filename, abi.max_align)
    else:  # GNU words only (inline, __extension__ ...): blanked, without the scan of every token
        pre = blank_words(text)
    try:
        return fastc.read(prelude, pre.text, BUILTIN_FILE), pre
    except fastc.Unsupported:
        return None


def parse_c(text: str, filename: str, abi: ABI, prelude: str = PRELUDE):
    """Parse preprocessed ``text``: prepass, prelude, pycparser.  Returns (FileAST, Prepassed)."""
    pre = prepass(text, filename, abi.max_align)
    full = f'#line 1 "{BUILTIN_FILE}"\n{prelude}{pre.text}'
    try:
        ast = _CParser().parse(full, filename)
    except RecursionError:
        raise LayoutError("nested too deeply for dtracepy's C parser", _deepest(full, filename)) from None
    except c_parser.ParseError as err:
        guess = _unknown_type_name(full)
        if guess is not None:
            name, pos = guess
            raise LayoutError(f"unknown type name {name!r} (declare it with a typedef, or -I the header "
                              "that does)", pos) from None
        raise _located_parse_error(err, Pos(filename, 1, 1)) from None
    return ast, pre


def _located_parse_error(err: c_parser.ParseError, where: Pos) -> LayoutError:
    """pycparser's error at its place ("syntax error before: }"); at ``where`` if it has none."""
    m = _PARSE_ERROR.match(str(err))
    if m:
        msg = m.group(4)
        msg = f"syntax error {msg}" if msg.startswith("before") else msg
        return LayoutError(msg, Pos(m.group(1), int(m.group(2)), int(m.group(3))))
    words = str(err)
    if where.file and words.startswith(f"{where.file}: "):  # (pycparser names the file without a line)
        words = words[len(where.file) + 2:]
    return LayoutError(f"syntax error: {words}", where)


def _c_quotient(a: int, b: int) -> int:
    """C's integer division, which truncates toward zero (Python's // floors; a / b through a
    float lost the low bits of a 64-bit value)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def parse_layouts(source, abi="x86_64", include_dirs=(), defines=(), filename: "str | None" = None) -> Layouts:
    """Lay out every struct and union declared in ``source`` (a path or a string of C).
    ``include_dirs`` is a list of directories (or one), ``defines`` a list of ``NAME[=VALUE]``
    (or one), or a dict of NAME to value as ``Tracer(defines=...)`` takes."""
    abi = get_abi(abi)
    include_dirs, defines = _cpp_arguments(include_dirs, defines)
    text, filename = read_source(source, filename)
    refuse_binary(text, filename)
    skipped: list[tuple[str, str]] = []
    import gc

    collecting = gc.isenabled()
    gc.disable()  # as the D parser: pycparser's tree is many long-lived objects, which each
    try:          # collection would scan again (30,000 members: 2.6 CPU s with it, 1.9 without)
        system = reads_system_headers(filename, abi, include_dirs)
        prelude = PRELUDE + builtin_types(abi) if system else PRELUDE
        text = preprocess(text, filename, abi, include_dirs, defines, skipped, system)
        fast = read_fast(text, filename, abi, prelude) if FAST_READER else None
        if fast is not None:
            try:
                return _Converter(abi, fast[1]).run(fast[0])
            except (LayoutError, RecursionError):
                pass  # refused: pycparser's path refuses it too, located as it always was
        ast, pre = parse_c(text, filename, abi, prelude)
        return _Converter(abi, pre).run(ast)
    except RecursionError:
        raise LayoutError("nested too deeply for dtracepy's C parser", _deepest(text, filename)) from None
    except LayoutError as err:
        if skipped and err.pos is not None:
            _hint_system_headers(err, skipped, abi)
        raise
    finally:
        if collecting:
            gc.enable()


def _cpp_arguments(include_dirs, defines) -> tuple[list, list]:
    """``include_dirs`` and ``defines`` as lists of one-line strings: a str (or path) is one item
    and a dict ``{"N": "4"}`` is ``["N=4"]``, never iterated by its characters or keys (which laid
    out with ``-D N``, silently); anything else is refused."""
    def items(value, what):
        if isinstance(value, (str, os.PathLike)):
            value = [value]
        elif not isinstance(value, (list, tuple)):
            raise LayoutError(f"{what} is a list of strings, not {type(value).__name__} ({value!r:.60})")
        out = []
        for item in value:
            item = os.fspath(item) if isinstance(item, os.PathLike) else item
            if not isinstance(item, str) or "\n" in item or "\r" in item or "\0" in item:
                raise LayoutError(f"{what}: each is a one-line string, not {item!r:.60}")
            out.append(item)
        return out

    if isinstance(defines, dict):
        for name, value in defines.items():
            if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, (str, int)):
                raise LayoutError(f"defines: {{{name!r:.40}: {value!r:.40}}} is not NAME: value (a str or an int)")
        defines = [f"{name}={value}" for name, value in defines.items()]
    return items(include_dirs, "include_dirs"), items(defines, "defines")


def _hint_system_headers(err: LayoutError, skipped, abi: ABI) -> None:
    """Say which system headers were not read, and the -I that reads them; not for an ABI other
    than the machine's, whose headers would lay its structs out wrongly (say so instead)."""
    names = ", ".join(f"<{name}>" for name, _ in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
    host = host_abi_name()
    if host != abi.name:
        err.message += (f"; dtracepy skipped the system headers {names}: this machine's are "
                        f"{host or 'another ABI'}'s and would lay {abi.name} structs out wrongly, so -I "
                        f"the {abi.name} headers (a {abi.name} sysroot's usr/include)")
        return
    dirs = []
    for _, directory in skipped:
        if directory not in dirs:
            dirs.append(directory)
    flags = " ".join(f"-I {d}" for d in dirs)
    err.message += f"; dtracepy skipped the system headers {names}: {flags} reads them"
