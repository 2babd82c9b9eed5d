"""The ``dtracepy`` command: argument parsing and exit codes only.

Each subcommand's work lives in its own module; this file only wires arguments to it.  No
subcommand may let a Python traceback reach the user: :func:`main` turns any dtracepy error into
a located message and exit status 1, and an unexpected exception into an ``internal error`` line
(exit 70) that still names the input.  Standard output that cannot be written (a full disk) is
``dtracepy: error: cannot write to standard output: ...`` (exit 1); a reader that went away (EPIPE)
ends the command quietly with 141, as SIGPIPE would.  Usage errors name the subcommand and suggest
what a misspelt option or choice meant.
"""

from __future__ import annotations

import gc
import os
import sys


def _count(text: str) -> int:
    """A number of macro arguments: 0 to 9999."""
    import argparse

    if not text.strip().isdigit() or len(text.strip()) > 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of arguments (0 to 9999)")
    return int(text)


def _output(text: str) -> str:
    """``-o FILE``: a file name; an empty one is a usage error (it is no file, not standard
    output: ``-o /dev/stdout`` is)."""
    import argparse

    if not text:
        raise argparse.ArgumentTypeError("empty file name (to write standard output, leave -o out "
                                          "or write -o /dev/stdout)")
    return text


_MACRO_NAME = None


def _define(text: str) -> str:
    """``-D NAME[=VAL]``: NAME is a C identifier, or one with a parameter list (``f(x)=x``), as
    cpp requires of a macro's name."""
    import argparse

    global _MACRO_NAME
    if _MACRO_NAME is None:
        import re

        _MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\([ \t]*(?:[A-Za-z_][A-Za-z0-9_]*[ \t]*"
                                 r"(?:,[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*)*)?\))?").fullmatch
    name = text.partition("=")[0]
    if _MACRO_NAME(name) is None:
        raise argparse.ArgumentTypeError(f"{name!r} is not a macro name (a C identifier, as in "
                                         "-D NAME or -D NAME=VALUE)")
    return text


def _abi(text: str) -> str:
    """An ABI's name (or alias: amd64, arm64 ...); another is a usage error listing the ABIs."""
    import argparse

    from dtracepy.layout.abi import ABIS, ALIASES

    key = ALIASES.get(text.lower(), text.lower())
    if key not in ABIS:
        guess = _suggest(text.lower(), [*ABIS, *ALIASES])
        meant = f"did you mean {ALIASES.get(guess, guess)!r}? " if guess else ""
        raise argparse.ArgumentTypeError(f"unknown ABI {text!r} ({meant}choose from {', '.join(ABIS)})")
    return key


def _version() -> str:
    from dtracepy import __version__

    return f"dtracepy {__version__}"


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (see
    :func:`_argparse_classes`)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _argparse_classes():
    """argparse and the command line's two subclasses of its classes, made on first need: a plain
    ``check`` command line is read without argparse (see :func:`_quick_check_args`)."""
    global _classes
    if _classes is not None:
        return _classes
    import argparse

    class _VersionAction(argparse.Action):
        """``--version``: the version is looked up only when asked for."""

        def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
            super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

        def __call__(self, parser, namespace, values, option_string=None):
            print(_version())
            parser.exit()

    class _Formatter(argparse.HelpFormatter):
        """argparse's help formatter; argparse makes one for every ``add_argument`` (to check the
        metavar), and its own asks shutil for the terminal's width: importing shutil (with bz2 and
        lzma) cost every ``dtracepy check`` a few milliseconds."""

        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None, **kwargs):
            if width is None:
                width = _terminal_columns() - 2
            super().__init__(prog, indent_increment, max_help_position, width, **kwargs)

    class _Parser(argparse.ArgumentParser):
        """argparse's parser, whose usage errors show a byte that is not UTF-8 as the shell does
        (``\\xff``, not Python's ``'\\udcff'``) and suggest the choice a misspelt one meant."""

        raising = False     # raise _ParseFailed instead of printing the error and exiting

        def error(self, message: str):
            if self.raising:
                raise _ParseFailed(message)
            import re

            from dtracepy.source import shown_text

            # raw (unrecognized arguments) and repr'd ('\udcff', invalid choice) surrogate escapes
            message = re.sub(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])", r"\1\\x\2", shown_text(message))
            choice = re.fullmatch(r"(.*invalid choice: )('.*?') \(choose from (.*)\)", message, re.DOTALL)
            if choice is not None:
                word, known = choice.group(2)[1:-1], re.findall(r"'([^']*)'", choice.group(3))
                guess = _suggest(word, known)
                if guess is None and "--dialect" in message:
                    from dtracepy.facts.dialects import meant

                    guess = meant(word)
                if guess:
                    message = (f"{choice.group(1)}{choice.group(2)} (did you mean {guess!r}? choose from "
                               f"{choice.group(3)})")
            super().error(message)

    _classes = argparse, _VersionAction, _Formatter, _Parser
    return _classes


class _ParseFailed(Exception):
    """A usage error while a parser is ``raising``: the caller tries another reading."""


def _suggest(word: str, known) -> str | None:
    """The one of ``known`` that a misspelt ``word`` most likely meant, or None."""
    from dtracepy.errors import close_matches

    # (a choice in other capitals, `--format CSV`, is no near miss to close_matches, which tells
    # capitals apart; a one-letter option is left to it: `-C` is not run's `-c`)
    same = [k for k in known if k.lower() == word.lower() != word]
    if len(same) == 1 and len(word.lstrip("-")) > 1:
        return same[0]
    close = close_matches(word, known)
    return close[0] if close else None


def _unrecognized(parser, extra: list[str]):
    """A usage error for arguments ``parser`` does not know, with a did-you-mean for an option."""
    from dtracepy.source import shown_text

    first = extra[0]
    if first.startswith("-") and len(first) > 1:
        name = first.partition("=")[0]
        guess = _suggest(name, [o for o in parser._option_string_actions if o.startswith("--")]
                         if name.startswith("--") else parser._option_string_actions)
        hint = f" (did you mean {guess}?)" if guess else ""
        parser.error(f"unrecognized option {shown_text(first)}{hint}")
    parser.error(f"unrecognized arguments: {' '.join(extra)}")


_classes = None


class _Subcommands:
    """``add_subparsers``' action, building only the subcommand ``only`` (all when ``None``)."""

    def __init__(self, action, only: str | None):
        self.action = action
        self.only = only
        self.found = False

    def add_parser(self, name: str, **kwargs):
        if self.only is None or name == self.only:
            self.found = True
            # allow_abbrev=False: --durat is a typo to point out (did you mean --duration?), not
            # an abbreviation that silently means --duration
            return self.action.add_parser(name, formatter_class=_argparse_classes()[2],
                                          allow_abbrev=False, **kwargs)
        return _Unbuilt()


class _Unbuilt:
    """A subcommand the command line does not name: its arguments are not built."""

    def add_argument(self, *args, **kwargs):
        pass

    def set_defaults(self, **kwargs):
        pass


def _build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``only``: the subcommand the command line names, the only one built.

    Building all six parsers cost every run a few milliseconds; the others are not needed to parse
    or to report a usage error, since the top-level usage says ``COMMAND``, not the list.  When
    ``only`` is not a subcommand (a typo, ``--help``), all are built, for argparse's message.
    ``prog`` is given to ``add_subparsers`` so that argparse does not build a help formatter
    (which imports shutil) to compute it."""
    from dtracepy.facts.dialects import DEFAULT as DEFAULT_DIALECT
    from dtracepy.facts.dialects import NAMES as DIALECTS

    argparse, _VersionAction, _Formatter, _Parser = _argparse_classes()
    parser = _Parser(
        prog="dtracepy",
        allow_abbrev=False,
        formatter_class=_Formatter,
        description="Write DTrace tracers as Python modules; compile them to readable, checked D.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print dtracepy's version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", prog="dtracepy")
    subparsers.required = True
    parser.commands = subparsers.choices    # the subcommands' parsers, for their usage errors
    sub = _Subcommands(subparsers, only)

    # --- compile (issue 3) -------------------------------------------------------------------
    p = sub.add_parser("compile", help="compile a tracer module (.py) to D")
    p.add_argument("tracer", metavar="TRACER.py", help="the tracer module (a .py file)")
    p.add_argument("-o", "--output", type=_output, metavar="OUT.d", help="write an executable D script here")
    p.add_argument("--tracer", dest="tracer_name", metavar="NAME", help="which tracer of the module")
    p.add_argument("--check", action="store_true", help="parse and check the emitted D as well")
    p.add_argument("--dialect", choices=DIALECTS, default=None,
                   help="the D to write, overriding the tracer's (oracle lowers if/else)")
    p.set_defaults(run="dtracepy.commands.compile_cmd:run")

    # --- check (issues 2 and 5) --------------------------------------------------------------
    p = sub.add_parser("check", help="parse and check D scripts ('-' reads standard input)")
    p.add_argument("files", nargs="+", metavar="FILE.d", help="D scripts ('-' reads standard input)")
    p.add_argument("--strict", action="store_true", help="warnings count towards the exit status")
    p.add_argument("--disable", action="append", default=[], metavar="NAME[,NAME]",
                   help="turn checks off (repeatable)")
    p.add_argument("--dialect", choices=DIALECTS, default=None,
                   help=f"the D the script is written for (default {DEFAULT_DIALECT}; when given, a "
                        "function, variable or option that D lacks is an error)")
    p.add_argument("--syntax-only", action="store_true", help="only parse; run no checks")
    p.add_argument("--macro-args", type=_count, metavar="N", help="how many macro arguments ($1..$N) the script is given")
    p.add_argument("-w", dest="destructive", action="store_true", help="destructive actions are allowed, as dtrace -w")
    p.add_argument("-C", dest="cpp", action="store_true", help="run the C preprocessor first, as dtrace -C")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR", help=_INCLUDE_HELP)
    p.add_argument("-D", dest="defines", action="append", default=[], type=_define, metavar="NAME[=VAL]",
                   help=_DEFINE_HELP)
    p.set_defaults(run="dtracepy.commands.check_cmd:run")

    # --- layout (issue 4) --------------------------------------------------------------------
    p = sub.add_parser("layout", help="print the memory layout of a C type")
    p.add_argument("header", metavar="FILE.h", help="the C header")
    p.add_argument("type", metavar="TYPE", help="the type: struct ip, ip or a typedef name")
    p.add_argument("--abi", default="x86_64", type=_abi, help="x86_64 (default), i386, aarch64 or sparcv9")
    p.add_argument("--json", action="store_true", help="print the layout as JSON")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                   help="look for #include files here too (repeatable)")
    p.add_argument("-D", dest="defines", action="append", default=[], type=_define, metavar="NAME[=VAL]",
                   help="define a macro, as cpp -D (repeatable)")
    p.set_defaults(run="dtracepy.commands.layout_cmd:run")

    # --- run (issue 10) ----------------------------------------------------------------------
    p = sub.add_parser("run", help="run a tracer (.py) or D script under dtrace; decode its output")
    p.add_argument("script", metavar="TRACER.py|SCRIPT.d")
    # (default=[]: without one argparse counts a "*" positional as required, and `dtracepy run`
    # alone said "the following arguments are required: TRACER.py|SCRIPT.d, ARG")
    p.add_argument("macro_args", nargs="*", default=[], metavar="ARG",
                   help="macro arguments $1.. (the words that are no option, and all after --)")
    p.add_argument("--tracer", dest="tracer_name", metavar="NAME", help="which tracer of the module")
    p.add_argument("--duration", type=_duration, metavar="SECONDS", help="stop (as Ctrl-C) after this long")
    p.add_argument("--format", choices=["table", "csv", "jsonl", "json"],
                   help="output format (default: table, or from -o's extension)")
    p.add_argument("-o", "--output", type=_output, metavar="FILE", help="write the output here")
    p.add_argument("-c", dest="target_cmd", metavar="COMMAND", help="run COMMAND as $target (dtrace -c)")
    p.add_argument("-p", dest="pid", type=int, metavar="PID", help="trace PID as $target (dtrace -p)")
    p.add_argument("-w", dest="destructive", action="store_true", help="allow destructive actions")
    p.add_argument("-Z", dest="zdefs", action="store_true", help="allow probe descriptions that match nothing")
    p.add_argument("-x", dest="xoptions", action="append", default=[], metavar="OPT[=VAL]",
                   help="a dtrace option (dtrace -x)")
    p.add_argument("--dtrace", metavar="PATH", help="the dtrace to run (default: $DTRACEPY_DTRACE, PATH)")
    p.add_argument("--dialect", choices=DIALECTS, default=None,
                   help="compile a tracer for this D (default: the tracer's, else the dtrace's own)")
    p.add_argument("--no-status", action="store_true", help="no status line on a terminal")
    p.add_argument("--verifier-log", type=_output, metavar="FILE",
                   help="write the kernel's BPF verifier log here when it refuses dtrace's program")
    p.set_defaults(run="dtracepy.commands.run_cmd:run")

    # --- import (issue 13) -------------------------------------------------------------------
    p = sub.add_parser("import", help="turn a D script into a tracer module (.py)")
    p.add_argument("script", metavar="SCRIPT.d", help="the D script ('-' reads standard input)")
    p.add_argument("-o", "--output", type=_output, metavar="OUT.py", help="write the module here")
    p.add_argument("--exact", action="store_true",
                   help="faithful: the module compiles back to the same D program")
    p.add_argument("-C", dest="cpp", action="store_true", help="run the C preprocessor first, as dtrace -C")
    p.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR", help=_INCLUDE_HELP)
    p.add_argument("-D", dest="defines", action="append", default=[], type=_define, metavar="NAME[=VAL]",
                   help=_DEFINE_HELP)
    p.set_defaults(run="dtracepy.commands.import_cmd:run")
    if not sub.found:
        return _build_parser()
    return parser


_INCLUDE_HELP = "look for #include files here, as dtrace -I (repeatable)"
_DEFINE_HELP = "define a macro, as dtrace -D (repeatable)"


def _duration(text: str) -> float:
    """``--duration``: a finite number of seconds, not negative."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, 0 or more: {text!r}")
    import threading

    if value > threading.TIMEOUT_MAX:       # (as run's own check says it, but a usage error here)
        raise argparse.ArgumentTypeError(f"must be at most {threading.TIMEOUT_MAX:.0f} seconds: {text!r}")
    return value


# ``check``'s options that take no value, and their attributes.
_CHECK_SWITCHES = {"--strict": "strict", "--syntax-only": "syntax_only", "-w": "destructive", "-C": "cpp"}


class _Arguments:
    """The parsed arguments of a command line :func:`_quick_check_args` reads: the attributes
    argparse's namespace would have, with the same values."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Arguments({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


def _quick_check_args(argv: list[str]):
    """The arguments of a plain ``check`` command line, read without argparse (importing argparse
    and building its parser cost a seed-sized check some 20 M machine instructions, a quarter of
    what it does beyond importing the tree): ``check``, then file names in one run (``-``, or
    names that do not start with ``-``) and the options that take no value (``--strict``,
    ``--syntax-only``, ``-w``, ``-C``), each spelt in full, before or after the names.  ``None``
    for any other command line (another option, an abbreviation, ``--``, no name, names in two
    runs, which argparse refuses): argparse reads it, and says what is wrong.  The result has the
    attributes and values argparse's would (``tests/test_startup.py`` compares them)."""
    if not argv or argv[0] != "check":
        return None
    values = dict.fromkeys(_CHECK_SWITCHES.values(), False)
    files: list[str] = []
    names_ended = False
    for arg in argv[1:]:
        switch = _CHECK_SWITCHES.get(arg)
        if switch is not None:
            values[switch] = True
            names_ended = bool(files)
        elif arg == "-" or not arg.startswith("-"):
            if names_ended:
                return None
            files.append(arg)
        else:
            return None
    if not files:
        return None
    return _Arguments(command="check", files=files, strict=values["strict"], disable=[],
                      dialect=None, syntax_only=values["syntax_only"], macro_args=None,
                      destructive=values["destructive"], cpp=values["cpp"], include_dirs=[], defines=[],
                      run="dtracepy.commands.check_cmd:run")


def _quick_compile_args(argv: list[str]):
    """The arguments of a plain ``compile`` command line, read without argparse as
    :func:`_quick_check_args` reads a check's (argparse and its parser cost a compile some 20 M
    machine instructions): ``compile``, one tracer file name (not starting with ``-``), and
    ``--check`` and ``-o FILE`` / ``--output FILE`` (a name not starting with ``-``, not empty),
    each at most once, in any order.  ``None`` for any other command line: argparse reads it
    (``tests/test_startup.py`` compares the two)."""
    if not argv or argv[0] != "compile":
        return None
    tracer = output = None
    check = False
    words = iter(argv[1:])
    for arg in words:
        if arg == "--check" and not check:
            check = True
        elif arg in ("-o", "--output") and output is None:
            output = next(words, "")
            if not output or output.startswith("-"):
                return None
        elif tracer is None and not arg.startswith("-"):
            tracer = arg
        else:
            return None
    if tracer is None:
        return None
    return _Arguments(command="compile", tracer=tracer, output=output, tracer_name=None, check=check,
                      dialect=None, run="dtracepy.commands.compile_cmd:run")


def _prime_patterns() -> None:
    """Put the regular expressions a check compiles into the ``re`` module's cache, made from
    their shipped compiled code (``dtracepy/regex_codes.py``): ``re.compile`` then finds them
    there.  Compiling them (re's parser and compiler are Python code) cost a seed-sized check
    some 20 M machine instructions, as much as the rest of its start-up beyond Python, attrs and
    the tree; this costs 0.3 M.  The pattern objects are the ones ``re.compile`` would make (a
    test compares them); on a Python whose ``re`` compiles to other code (another version) or
    keeps another cache, nothing is done."""
    import re

    from dtracepy import re_lite, regex_codes

    cache = getattr(re, "_cache", None)
    if type(cache) is not dict or not re_lite.usable():
        return
    for entry in regex_codes.PATTERNS:
        key = (type(entry[0]), entry[0], entry[1])
        if key not in cache:
            cache[key] = re_lite.make(entry)


# The flags compile() inherits from the code that calls it (CPython's PyCF_MASK: the __future__
# features' flags; tests/test_attrs_codes.py checks it against the __future__ module).
_FUTURE_FLAGS = 0x1FE0000


def _shipped_compile(codes, hashed, shipped_flags):
    """A ``compile`` for attrs' module (``attr._make``), whose code generator calls
    ``compile(script, filename, "exec")`` for every class's methods: a script that is exactly one
    of ``codes`` (attrs' name for it -> (the script, its code, marshalled)), or one of ``hashed``
    with its number (see :func:`_hashed_code`), compiled under the same inherited flags
    (``shipped_flags``), is
    the shipped code (the same source, Python and flags make the same code); any other call is
    the built-in ``compile``, with the flags it would have inherited from its caller."""
    import builtins
    import marshal

    real = builtins.compile

    def compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):  # noqa: A001
        inherited = 0 if dont_inherit else sys._getframe(1).f_code.co_flags & _FUTURE_FLAGS
        if mode == "exec" and not flags and optimize == -1 and not kwargs and inherited == shipped_flags \
                and type(source) is str:
            found = codes.get(filename)
            if found is not None and found[0] == source:
                return marshal.loads(found[1])
            found = hashed.get(filename)
            if found is not None:
                code = _hashed_code(source, *found)
                if code is not None:
                    return code
        return real(source, filename, mode, flags | inherited, True, optimize, **kwargs)

    compile.shipped = True
    return compile


def _hashed_code(source: str, before: str, after: str, placeholders: dict):
    """The code of a hashable class's script, ``before`` + a number + ``after``, or None.  attrs
    writes into its ``__hash__`` a number drawn from the string hash of the class's name, which
    PYTHONHASHSEED changes from process to process; its code ships compiled with a placeholder
    number of the same length in characters (``placeholders``: length -> (the placeholder, its
    code, marshalled); the number's columns are in the code's line table, so only one of the same
    length will do), and the script's own number takes the placeholder's place among the
    constants.  None when the source is not of that form, no placeholder is as long, or the code
    does not hold the placeholder once."""
    import marshal

    if len(source) <= len(before) + len(after) or not (source.startswith(before) and source.endswith(after)):
        return None
    number = source[len(before):len(source) - len(after)]
    found = placeholders.get(len(number))
    if found is None or not number.lstrip("-").isdigit() or str(int(number)) != number:
        return None
    placeholder, code = found
    code, replaced = _with_constant(marshal.loads(code), placeholder, int(number))
    return code if replaced == 1 else None


def _with_constant(value, old: int, new: int):
    """``value`` (a code object, or a constant in one) with the integer ``old`` in it replaced by
    ``new`` (in a code object's constants, in code and tuples nested there: ``hash((N,))`` is
    one constant, a tuple), and how many were replaced."""
    if type(value) is int:
        return (new, 1) if value == old else (value, 0)
    if type(value) is tuple or hasattr(value, "co_consts"):
        parts = [_with_constant(part, old, new) for part in (value if type(value) is tuple else value.co_consts)]
        replaced = sum(count for _, count in parts)
        if not replaced:
            return value, 0
        consts = tuple(part for part, _ in parts)
        return (consts if type(value) is tuple else value.replace(co_consts=consts)), replaced
    return value, 0


class FinderAfter:
    """An import finder that finds a module as the finders after it in ``sys.meta_path`` would
    (:meth:`others_spec`), to wrap its loader in a :class:`LoaderAround`."""

    def __init__(self):
        self.finding = False    # (another finder that asks the others in turn asks this one)

    def others_spec(self, name, path, target):
        """The spec the other finders give ``name``, or None."""
        if self.finding:
            return None
        self.finding = True
        try:
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                spec = find(name, path, target) if find is not None and finder is not self else None
                if spec is not None:
                    return spec
            return None
        finally:
            self.finding = False


class LoaderAround:
    """A module's own loader (``loader``), which :meth:`run` runs; the module keeps it as its
    loader, as if this one never was."""

    def __init__(self, loader):
        self.loader = loader

    @classmethod
    def around(cls, spec, *args):
        """``spec`` with its loader wrapped (where it runs module code), or None."""
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = cls(spec.loader, *args)
        return spec

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        self.run(module)

    def run(self, module):
        self.loader.exec_module(module)


class _AttrsMakeFinder(FinderAfter):
    """An import finder that gives ``attr._make`` a global ``compile`` before its code runs:
    attrs' code generator looks ``compile`` up in its module's globals first, and attrs defines
    its own classes (``Attribute``, ``Factory``, the validators') with it while ``import attr``
    runs, so patching the module after its import was too late for them.  It finds the module
    as the finders after it would, and steps aside once it has (or at once, when the module is
    found by no loader that runs module code).  It also runs ``attr._compat`` and ``attr._make``
    with stand-ins for ``inspect`` and ``tokenize`` (:class:`_LazyModule`), and gives attrs an
    annotation reader that needs no ``inspect`` for a plain function
    (:func:`_annotation_extractor`)."""

    def __init__(self, compile_):
        super().__init__()
        self.compile = compile_

    def find_spec(self, name, path=None, target=None):
        if name not in ("attr._compat", "attr._make") or self.finding:
            return None
        if name == "attr._make" and self in sys.meta_path:
            sys.meta_path.remove(self)
        return _AttrsMakeLoader.around(self.others_spec(name, path, target),
                                       self.compile if name == "attr._make" else None)


class _AttrsMakeLoader(LoaderAround):
    """``attr._make``'s (or ``attr._compat``'s) own loader, which it runs after putting
    ``compile`` in the module (``attr._make``), with ``inspect`` standing in (both)."""

    def __init__(self, loader, compile_):
        super().__init__(loader)
        self.compile = compile_

    def run(self, module):
        if self.compile is not None:
            module.compile = self.compile
        stand_ins = [_LazyModule(name) for name in _LAZY_FOR_ATTRS if name not in sys.modules]
        for stand_in in stand_ins:
            sys.modules[stand_in.__name__] = stand_in
        try:
            self.loader.exec_module(module)
        finally:
            for stand_in in stand_ins:
                if sys.modules.get(stand_in.__name__) is stand_in:
                    del sys.modules[stand_in.__name__]
        extractor = module.__dict__.get("_AnnotationExtractor")
        if module.__name__ == "attr._compat" and isinstance(extractor, type):
            module._AnnotationExtractor = _annotation_extractor(extractor)


# What attrs' modules (and linecache, which ``attr._make`` imports) import but a check never uses.
_LAZY_FOR_ATTRS = ("inspect", "tokenize")


class _LazyModule(type(sys)):
    """What ``import inspect`` (or ``import tokenize``) gives a module while attrs' modules are
    loaded by the program: attrs imports ``inspect`` (with ``ast``, ``dis``, ``opcode``: ~20 M
    machine instructions of a seed-sized check's 242 M, ``_ast`` alone 9 M) only to call
    ``inspect.signature`` later, which a check never does, and ``linecache`` imports
    ``tokenize`` (3 M) to read a file for a traceback.  The first attribute asked of the
    stand-in imports the real module (into ``sys.modules`` as usual) and puts it in place of the
    stand-in wherever a module's global of that name is the stand-in; a stand-in is never in
    ``sys.modules`` once attrs' module ran, so any other ``import inspect`` is Python's own."""

    def __getattr__(self, attribute):
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        __import__(name)
        real = sys.modules[name]
        for module in list(sys.modules.values()):
            names = module.__dict__ if isinstance(module, type(sys)) else None
            if type(names) is dict and names.get(name) is self:
                names[name] = real
        return getattr(real, attribute)


def _annotation_extractor(base, modules=sys.modules):
    """attrs' ``_AnnotationExtractor`` (``base``: the annotations of a converter's first
    parameter and return, for ``__init__``'s annotations), which reads those of a plain Python
    function (no attribute of its own: no ``__wrapped__``, ``__signature__`` ...) as
    ``inspect.signature`` would, without importing ``inspect``, while nothing has imported it:
    the tree's converters (``_tuple``, ``_opt_tuple``) are such.  Anything else is attrs' own
    reading (``tests/test_startup.py`` compares the two).  ``modules``: where to look whether
    anything imported ``inspect`` (``sys.modules``)."""
    import keyword

    function = type(_annotation_extractor)

    class _Annotations(tuple):
        """(the first parameter's annotation, the return's): None where there is none."""

    def plain(callable_):
        """The annotations of ``callable_`` as ``inspect.signature`` reads them, or None."""
        if type(callable_) is not function or callable_.__dict__ or "inspect" in modules:
            return None
        code = callable_.__code__
        positional, keyword_only, flags = code.co_argcount, code.co_kwonlyargcount, code.co_flags
        count = positional + keyword_only + bool(flags & 4) + bool(flags & 8)  # (*args, **kwargs)
        names = code.co_varnames[:count]
        if len(names) != count or not all(n.isidentifier() and not keyword.iskeyword(n) for n in names):
            return None  # (inspect refuses the name: attrs then reads no annotation at all)
        annotations = callable_.__annotations__
        if type(annotations) is not dict:
            return None
        # inspect's order: positional, *args, keyword-only, **kwargs
        first = names[keyword_only if not positional and flags & 4 else 0] if names else None
        return _Annotations((annotations.get(first) if first is not None else None, annotations.get("return")))

    class _AnnotationExtractor(base):
        __slots__ = ()

        def __init__(self, callable):  # noqa: A002 - attrs' name
            read = plain(callable)
            if read is None:
                super().__init__(callable)
            else:
                self.sig = read

        def get_first_param_type(self):
            return self.sig[0] if type(self.sig) is _Annotations else super().get_first_param_type()

        def get_return_type(self):
            return self.sig[1] if type(self.sig) is _Annotations else super().get_return_type()

    _AnnotationExtractor.__qualname__ = base.__qualname__
    _AnnotationExtractor.__module__ = base.__module__
    return _AnnotationExtractor


def _ship_attrs_methods() -> None:
    """Let attrs take the methods it generates for its own classes and dtracepy's (``__init__``,
    ``__eq__``, ``__repr__``, ``__hash__`` ... of ``attr.Attribute``, the validators, the tree's
    nodes, ``Directives``, ``Finding`` ...) from their shipped compiled code
    (``dtracepy/attrs_codes.py``) instead of compiling their source: attrs writes each class's
    methods as Python source and compiles it as the class is defined, which cost a seed-sized
    check some 40 M of its 267 M machine instructions (half of them attrs' own classes, defined
    while ``import attr`` runs).  Only a source that is exactly the one shipped, under the name
    attrs gives it, is taken from there (see :func:`_shipped_compile`); any other (another
    attrs, another class, the user's own classes) is compiled as before.  On another Python
    (another bytecode) or under ``-O``, nothing is done; nor in a caller's process (only the
    program does this).  attrs not imported yet (the program's usual case) is given the
    ``compile`` as its module is loaded (:class:`_AttrsMakeFinder`), attrs imported already as
    it is."""
    from importlib._bootstrap_external import MAGIC_NUMBER

    from dtracepy import attrs_codes

    # (attr.__version__ is not asked: it imports importlib.metadata, 24 ms)
    if MAGIC_NUMBER != attrs_codes.MAGIC or sys.flags.optimize:
        return
    compile_ = _shipped_compile(attrs_codes.CODES, attrs_codes.HASHED, attrs_codes.FLAGS)
    made = sys.modules.get("attr._make")
    if made is None:
        if not any(isinstance(finder, _AttrsMakeFinder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _AttrsMakeFinder(compile_))
    elif not getattr(getattr(made, "compile", None), "shipped", False):
        made.compile = compile_


def _ship_classes(argv: list[str]) -> bool:
    """For the program ``dtracepy check`` (``argv``: its arguments), let the classes a check
    defines (the tree's nodes, the checks' findings and options ...) be made without attrs, from
    their shipped code (:mod:`dtracepy.attrs_lite` stands in for ``attrs``): importing attrs and
    its building of those classes was some 90 M of a seed-sized check's 226 M machine
    instructions.  Whether it did so: not for another command (which may define classes no check
    does, or run the user's code), on another Python (another bytecode), under ``-O``, or once
    attrs is imported."""
    from importlib._bootstrap_external import MAGIC_NUMBER

    if _after_end_of_options(argv)[:1] != ["check"] or "attrs" in sys.modules or "attr" in sys.modules \
            or sys.flags.optimize:
        return False
    from dtracepy import attrs_codes

    if MAGIC_NUMBER != attrs_codes.MAGIC:
        return False
    from dtracepy import attrs_lite

    sys.modules["attrs"] = attrs_lite
    if "re" not in sys.modules:
        from dtracepy import re_lite

        if re_lite.usable():
            sys.modules["re"] = re_lite
            return True
    _prime_patterns()
    return True


def main(argv: list[str] | None = None) -> int:
    # Start-up makes tens of thousands of long-lived objects (attrs, the tree's node classes, the
    # checks' tables) and the cyclic collector scanned them again and again while they were made
    # (some thirty collections, one of them of everything).  It stays off until the command's
    # module is loaded; then, when this is the program (no argv given: not a caller's process),
    # what start-up made is frozen out of the collector's sight (gc.freeze: it lives as long as
    # the process anyway), and the collector runs as usual.
    collecting = gc.isenabled()
    gc.disable()
    if argv is None:  # the program (not a caller's process): see _ship_classes, _prime_patterns
        if not _ship_classes(sys.argv[1:]):
            _prime_patterns()
            _ship_attrs_methods()
    try:
        return _main(argv, collecting)
    except KeyboardInterrupt:       # Ctrl-C anywhere (importing, parsing arguments): quietly
        return 130
    finally:
        if collecting:
            gc.enable()


#: The commands that end the program as soon as they return (see :func:`_end_now`), given
#: ``args.keep`` to hold what they need not free.
_ENDING_NOW = frozenset(("check", "import", "layout"))


def _end_now(status: int) -> None:
    """End the process with ``status`` once its output is flushed, without the interpreter's
    finalization: freeing the parsed tree (kept alive in ``args.keep`` for this), the modules
    and their objects one by one took a dense 4 MiB check several per cent of its time and a
    seed-sized one some 7 M machine instructions.  Only ``check`` and ``import`` end so: they
    start no thread or process and register nothing to run at exit, and the one file ``import``
    writes is whole and renamed into place (``inputs.write_output``) before it returns; freeing
    the tree of 20,000 one-line clauses was 1.7 % of importing them.  If a flush fails
    (standard output a closed pipe ...), nothing is skipped: the interpreter ends as usual and
    says what it always says."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the usual ending reports it
        return
    os._exit(status)


class _ClosedOutput:
    """Standard output when the shell closed it (``dtracepy compile x.py >&-``: Python's
    ``sys.stdout`` is None): writing to it is a located error, not an internal one; a command
    that writes nothing there (a clean ``check``) is unaffected."""

    def write(self, text: str) -> int:
        from dtracepy.inputs import InputError
        from dtracepy.source import Pos

        raise InputError("cannot write standard output: it is closed", Pos("<stdout>", 1))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _StdoutError(OSError):
    """Writing standard output failed (a full disk, a closed pipe, an I/O error)."""


def _guarded_stdout():
    """Python's standard output, rebuilt over a raw writer whose failures are
    :class:`_StdoutError`s: a failed write to descriptor 1 is then told apart from any other
    ``OSError``, wherever in a command it surfaces (a ``write``, a ``flush``, the last flush), and
    is remembered (``.buffer``'s ``failed``) where a caller swallows it (argparse's help)."""
    import io

    class _Raw(io.RawIOBase):
        failed: _StdoutError | None = None     # the first failure, even one a caller swallowed

        def writable(self) -> bool:
            return True

        def fileno(self) -> int:
            return 1

        def isatty(self) -> bool:
            return os.isatty(1)

        def write(self, data) -> int:
            view = memoryview(data)
            try:
                done = 0
                while done < len(view):     # all of it: a pipe may take a part
                    done += os.write(1, view[done:])
                return done
            except OSError as err:
                failure = _StdoutError(err.errno, err.strerror)
                if self.failed is None:
                    self.failed = failure
                raise failure from None

    old = sys.stdout
    old.flush()
    # buffered as Python buffered it (unbuffered under python -u or PYTHONUNBUFFERED, where a
    # `run`'s rows must reach a pipe as they come)
    raw = _Raw()
    buffered = isinstance(getattr(old, "buffer", None), io.BufferedWriter)
    return io.TextIOWrapper(io.BufferedWriter(raw) if buffered else raw, encoding=old.encoding,
                            errors=old.errors, line_buffering=old.line_buffering,
                            write_through=getattr(old, "write_through", False))


def _output_failed(err: OSError) -> int:
    """The exit status, and the message, for standard output that could not be written: a reader
    that went away (EPIPE: ``dtracepy compile x.py | head -1``) ends the command quietly, with the
    status of a process SIGPIPE ends (141), as ``cat`` does; any other failure is an error."""
    import errno

    try:    # nothing more can be written there, not even at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    if err.errno == errno.EPIPE:
        return 141
    reason = err.strerror or os.strerror(err.errno or 0)
    print(f"dtracepy: error: cannot write to standard output: {reason}", file=sys.stderr)
    return 1


def _flush_stdout() -> None:
    """Flush standard output; raise the first failure writing it, even one swallowed on the way."""
    sys.stdout.flush()
    raw = getattr(sys.stdout, "buffer", None)
    raw = getattr(raw, "raw", raw)
    failed = getattr(raw, "failed", None)
    if isinstance(failed, _StdoutError):
        raise failed


def _main(argv, collecting: bool) -> int:
    from dtracepy.errors import DTracePyError

    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:      # closed too: errors have nowhere to go, but must not go to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    program = argv is None
    if argv is None:
        argv = sys.argv[1:]
        if sys.stdout is sys.__stdout__ and sys.stdout is not None:
            sys.stdout = _guarded_stdout()
    try:
        status = _command(argv, program, collecting)
        _flush_stdout()         # a full disk is told here, not in the interpreter's last flush
    except _StdoutError as err:
        return _output_failed(err)
    except SystemExit:          # argparse's usage errors and --help, after their output is out
        try:
            _flush_stdout()
        except _StdoutError as err:
            return _output_failed(err)
        raise
    except DTracePyError as err:
        said = err.render()
        if err.pos is None and not said.startswith("dtracepy"):
            said = "dtracepy: " + said      # about the command line itself: the program's name
        print(said, file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        if hasattr(err, "render"):  # where a tracer module was interrupted (compile_cmd.TracerInterrupted)
            print(err.render(), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
    except RecursionError:
        print("dtracepy: error: input nested too deeply to process", file=sys.stderr)
        return 1
    except MemoryError:
        print("dtracepy: error: out of memory", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the last line of defence against a traceback
        from dtracepy.inputs import describe_exception
        from dtracepy.source import shown_text

        print(f"dtracepy: internal error: {shown_text(describe_exception(err))}", file=sys.stderr)
        return 70
    return status


def _after_end_of_options(argv: list[str]) -> list[str]:
    """``dtracepy -- COMMAND ...`` is ``dtracepy COMMAND ...``: ``--`` ends dtracepy's own options
    (``--version``, ``-h``), and the command follows, which reads its own arguments as ever.  (Python
    3.11's argparse took the ``--`` for the command: "invalid choice: '--'".)  A word after it that
    looks like an option is no command: argparse's reading (:func:`_parse`) says so."""
    if argv[:1] == ["--"] and len(argv) > 1 and not argv[1].startswith("-"):
        return argv[1:]
    return argv


def _command(argv: list[str], program: bool, collecting: bool) -> int:
    """Parse ``argv`` and run its subcommand: its exit status."""
    argv = _after_end_of_options(argv)
    args, extra = _quick_check_args(argv) or _quick_compile_args(argv), []
    if args is None:
        args, extra, parser = _parse(argv)
        if extra:
            _unrecognized(parser.commands[args.command], extra)
    module_name, func_name = args.run.split(":")
    try:
        module = __import__(module_name, fromlist=[func_name])
    finally:
        if collecting:
            if program:
                gc.freeze()
            gc.enable()
    if program and args.command in _ENDING_NOW:
        args.keep = []  # what the command need not free: the process ends when it returns
        status = int(getattr(module, func_name)(args) or 0)
        _end_now(status)
        return status
    return int(getattr(module, func_name)(args) or 0)


def _parse(argv: list[str]):
    """argparse's reading of ``argv``: (the arguments, the words it did not take, the parser)."""
    command = argv[0] if argv and not argv[0].startswith("-") else None
    parser = _build_parser(command)
    if argv[:1] == ["--"] and len(argv) > 1:
        # `dtracepy -- --version`: after `--` a word is the command, and this one is none (argparse
        # said "invalid choice: '--'"; _after_end_of_options took `-- check`)
        parser.error(f"argument COMMAND: invalid choice: {argv[1]!r} (choose from "
                     f"{', '.join(repr(name) for name in parser.commands)})")
    if argv and argv[0].startswith("-") and argv[0] != "--" and len(argv[0]) > 1 and \
            argv[0].partition("=")[0] not in parser._option_string_actions:
        # an option before the command that dtracepy has not (--vers): said as such, with a
        # did-you-mean, not argparse's "COMMAND is required" when nothing follows
        _unrecognized(parser, argv[:1])
    after = []
    args = None
    if command == "run" and "--" in argv:
        # `dtracepy run X.d [options] [ARG ...] [-- ARG ...]`: the macro arguments are the words
        # that are no option, wherever they stand, then all that follows the first `--`; unless
        # the script itself is named after it (`run -- -x.d 7`): then argparse's own reading
        run = parser.commands["run"]
        at = argv.index("--")
        run.raising = True
        try:
            args, extra = parser.parse_known_args(argv[:at])
            after = argv[at + 1:]
        except _ParseFailed:
            args = None
        finally:
            run.raising = False
    if args is None:
        args, extra = parser.parse_known_args(argv)
    if args.command == "run":
        if args.macro_args[:1] == ["--"]:
            args.macro_args = args.macro_args[1:]
        words = [w for w in extra if not (w.startswith("-") and len(w) > 1)
                 or parser._negative_number_matcher.match(w)]
        extra = [w for w in extra if w not in words]
        args.macro_args = [*args.macro_args, *words, *after]
        if args.tracer_name is not None and not args.script.endswith(".py"):
            parser.commands["run"].error(f"--tracer {args.tracer_name}: {args.script} is a D script, "
                                         "not a tracer module (TRACER.py): it has no tracers to choose from")
    return args, extra, parser


if __name__ == "__main__":
    sys.exit(main())
