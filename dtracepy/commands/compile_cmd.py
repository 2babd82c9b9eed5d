"""``dtracepy compile TRACER.py [-o OUT.d] [--tracer NAME] [--check] [--dialect NAME]``.

Imports the tracer module by path (its sibling modules importable, as a script's are; see
:func:`load_module`), finds its
:class:`~dtracepy.dsl.Tracer` objects, compiles the chosen one and prints the D (or writes an
executable file with ``-o``).  An error while importing the module is reported at the user's file
and line, without a traceback.  ``--check`` parses the emitted D back and runs the checks on it.
``--dialect`` overrides the tracer's ``Tracer(dialect=...)`` (``oracle`` lowers ``if``/``else``).
"""

from __future__ import annotations

import importlib.util
import os
import sys

from dtracepy.cli import FinderAfter, LoaderAround
from dtracepy.errors import CompileError, DTracePyError
from dtracepy.inputs import EMPTY_FILE_NAME, describe_exception, write_output
from dtracepy.source import Pos


def _user_frame(tb, path: str):
    """The innermost traceback frame in ``path``, else the innermost outside dtracepy."""
    import traceback  # (only for a failing tracer: it imports textwrap, which compiles patterns)

    frames = traceback.extract_tb(tb)
    real = os.path.realpath(path)
    for frame in reversed(frames):
        if os.path.realpath(frame.filename) == real:
            return frame
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in reversed(frames):
        if not os.path.abspath(frame.filename).startswith(pkg + os.sep) and "importlib" not in frame.filename:
            return frame
    return None


def _display(filename: str) -> str:
    rel = os.path.relpath(filename)
    return filename if rel.startswith("..") else rel


def _located(err: BaseException, path: str):
    """(position, source line) of the user's frame an exception came from."""
    frame = _user_frame(err.__traceback__, path)
    if frame is None:
        return Pos(_display(path), 1), None
    # the line as written, indented, as a DSL error shows it (the traceback's `line` is stripped)
    import linecache

    written = linecache.getline(frame.filename, frame.lineno).rstrip("\r\n") if frame.lineno else ""
    return Pos(_display(frame.filename), frame.lineno or 1), written if written.strip() else frame.line


#: Top-level modules that dtracepy itself imports (besides the standard library's): neither a
#: tracer's name nor a module in its directory may stand for one of them.
OWN_MODULES = frozenset({"dtracepy", "attr", "attrs", "lark", "pcpp", "pycparser", "matplotlib"})


def _protected(name: str) -> bool:
    return name in sys.stdlib_module_names or name in OWN_MODULES or name.startswith("_dtracepy_tracer")


def _same_file(origin, path: str) -> bool:
    try:
        return origin is not None and os.path.samefile(origin, path)
    except (OSError, TypeError, ValueError):
        return False


def module_name(path: str) -> str:
    """The name a tracer module is imported under: its file's stem (``tcpq.py``: ``tcpq``), unless
    that is no identifier or names another module (``re.py``, ``dtracepy.py``, ``json.py``, one
    already imported or installed), whose importers would get the tracer instead: then a private
    ``_dtracepy_tracer_<stem>``."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.isidentifier() and not _protected(stem):
        loaded = sys.modules.get(stem)
        if loaded is not None:
            if _same_file(getattr(loaded, "__file__", None), path):
                return stem         # the same tracer compiled again (in one process)
        else:
            try:
                found = importlib.util.find_spec(stem)
            except (ImportError, ValueError):
                found = None
            if found is None or _same_file(found.origin, path):
                return stem
    tail = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in stem)
    return f"_dtracepy_tracer_{tail}"


class SiblingFinder:
    """Finds the modules beside a tracer (``import helpers`` in ``tracer.py`` finds
    ``helpers.py``), ahead of installed ones as a script's own directory is, but never one named
    as a module of the standard library or of dtracepy's own (:data:`OWN_MODULES`): a ``re.py`` or
    ``typing.py`` beside a tracer cannot stand in for the real one when dtracepy imports it later.
    (Submodules of a sibling package are found through the package's own path.)"""

    def __init__(self, directory: str):
        self.directory = directory

    def find_spec(self, name, path=None, target=None):
        if path is not None or _protected(name):
            return None
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(name, [self.directory], target)

    def invalidate_caches(self) -> None:
        pass


def add_sibling_finder(directory: str) -> None:
    """Make the modules in ``directory`` importable (the newest tracer's directory first), in
    place of putting it first on ``sys.path``, where it would shadow the standard library."""
    from importlib.machinery import PathFinder

    finders = [f for f in sys.meta_path
               if not (isinstance(f, SiblingFinder) and f.directory == directory)]
    at = next((i for i, f in enumerate(finders) if isinstance(f, SiblingFinder) or f is PathFinder),
              len(finders))
    finders.insert(at, SiblingFinder(directory))
    sys.meta_path[:] = finders


class _ModuleOsExit(BaseException):
    """``os._exit()`` called by a tracer module while it is imported (see :func:`load_module`)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class _ThreadFailed(Exception):
    """An exception in a thread the tracer module started while it was imported."""

    def __init__(self, err: BaseException):
        super().__init__(err)
        self.err = err


def _refusing_os_exit(real_exit):
    """``os._exit`` for the time a tracer module runs: in dtracepy's own process it raises (the
    real one ends the process at once: ``compile`` exited 0 having written nothing); in a child the
    module forked it is the real one."""
    pid = os.getpid()

    def _exit(code):
        if os.getpid() != pid:
            real_exit(code)
        raise _ModuleOsExit(code)

    return _exit


class _OwnBytecode(FinderAfter):
    """While a tracer module runs (``sys.dont_write_bytecode`` on: no ``__pycache__`` beside the
    user's files), a module of dtracepy's own that the tracer is the first to import (``from
    dtracepy.layout import define``) is loaded as any of dtracepy's modules is, its bytecode
    cached where Python caches it: ``dtracepy.layout`` was compiled from source on every
    compile where no install had written its bytecode (39 M machine instructions of a
    compile of examples/tcpq.py).  It finds the module as the finders after it would."""

    def find_spec(self, name, path=None, target=None):
        if self.finding or not (name == "dtracepy" or name.startswith("dtracepy.")):
            return None
        return _OwnBytecodeLoader.around(self.others_spec(name, path, target))


class _OwnBytecodeLoader(LoaderAround):
    """A dtracepy module's own loader, run with bytecode written (see :class:`_OwnBytecode`)."""

    def run(self, module):
        written, sys.dont_write_bytecode = sys.dont_write_bytecode, False
        try:
            self.loader.exec_module(module)
        finally:
            sys.dont_write_bytecode = written


def load_module(path: str):
    """Import the module at ``path``; errors become located CompileErrors."""
    if path == "-" and not os.path.exists(path):
        raise CompileError("a tracer is a Python module read from its file (TRACER.py), not from standard "
                           "input: Python imports it by its path", Pos(path, 1))
    if not path:
        raise CompileError(EMPTY_FILE_NAME, Pos(path, 1))
    if not os.path.exists(path):
        raise CompileError("cannot read: no such file or directory", Pos(path, 1))
    if not os.path.isfile(path):
        raise CompileError("not a regular file (a tracer is a Python module, TRACER.py)", Pos(path, 1))
    directory = os.path.dirname(os.path.abspath(path))
    name = module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        hint = ""
        if path.endswith(".d"):
            hint = ("; it is a D script (.d): use `dtracepy check` or `dtracepy run` on it, or "
                    "`dtracepy import` to turn it into a tracer module")
        else:
            hint = " (a tracer module's file name ends in .py)"
        raise CompileError(f"cannot be imported as a Python module{hint}", Pos(path, 1))
    module = importlib.util.module_from_spec(spec)
    add_sibling_finder(directory)
    sys.modules[name] = module
    # Like ``python tracer.py``, compiling a tracer leaves no __pycache__ beside it (nor beside
    # the modules it imports from its directory): dtracepy reads the user's files, never adds any.
    # The DSL, which every tracer imports, is imported before, as any of dtracepy's modules is
    # (its bytecode cached where Python caches it): first imported by the tracer, it was compiled
    # from source on every compile where no install had written its bytecode.  Another of
    # dtracepy's modules that the tracer is the first to import is cached too (_OwnBytecode).
    import dtracepy.dsl  # noqa: F401

    import threading

    wrote_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    real_exit = os._exit
    # an exception in a thread the module started (and let end) is printed by Python as a
    # traceback and ends nothing: the compile went on and exited 0 without what the thread did
    thread_errors: list[BaseException] = []
    real_hook = threading.excepthook

    def _thread_failed(args):
        if args.exc_type is SystemExit:
            return real_hook(args)
        thread_errors.append(args.exc_value)

    threading.excepthook = _thread_failed
    os._exit = _refusing_os_exit(real_exit)
    own = _OwnBytecode() if not wrote_bytecode else None
    if own is not None:
        sys.meta_path.insert(0, own)
    try:
        spec.loader.exec_module(module)
        if thread_errors:
            raise _ThreadFailed(thread_errors[0])
    except _ThreadFailed as failed:
        err = failed.err
        where = _located(err, path)
        what = err.message if isinstance(err, DTracePyError) else describe_exception(err)
        raise CompileError(f"in a thread the module started: {what}",
                           err.pos if isinstance(err, DTracePyError) and err.pos else where[0],
                           where[1]) from None
    except _ModuleOsExit as err:
        raise CompileError(f"the module called os._exit({err.code!r}) while being imported, which would end "
                           "dtracepy without a word or any D; a tracer module must define its Tracer, "
                           "not exit", *_located(err, path)) from None
    except DTracePyError as err:
        if err.pos is None:  # raised below the DSL without a position: the user's line that called it
            err.pos, err.source_line = _located(err, path)
        raise
    except SyntaxError as err:
        pos = Pos(_display(err.filename or path), err.lineno or 1, err.offset or None)
        raise CompileError(f"invalid Python syntax: {err.msg}", pos, err.text) from None
    except KeyboardInterrupt as err:
        # Ctrl-C (or the module's own raise): still an interrupt (exit 130), said where it stopped
        raise TracerInterrupted(*_located(err, path)) from None
    except SystemExit as err:
        # sys.exit() in a tracer module must not become dtracepy's own exit status
        hint = ""
        if getattr(err, "dtracepy_in_probe_body", False):  # (set by Tracer.probe)
            code = err.code if isinstance(err.code, int) and not isinstance(err.code, bool) else 0
            hint = (f"; did you mean exit_({code}), D's exit? (`from dtracepy import exit` for the "
                    "plain name)")
        raise CompileError(f"the module exited while being imported (SystemExit({err.code!r})); a tracer "
                           f"module must define its Tracer, not exit{hint}", *_located(err, path)) from None
    except BaseException as err:  # noqa: BLE001 - the user's module may raise anything
        raise CompileError(describe_exception(err) + _did_you_mean(err), *_located(err, path)) from None
    finally:
        threading.excepthook = real_hook
        os._exit = real_exit
        sys.dont_write_bytecode = wrote_bytecode
        if own is not None and own in sys.meta_path:
            sys.meta_path.remove(own)
        from dtracepy.dsl import context

        context.reset()
    return module


def _did_you_mean(err: BaseException) -> str:
    """A did-you-mean for a misspelt name, which Python 3.11 prints only in its own traceback:
    a ``NameError`` (``prinft``: the names the module's line could see; one of dtracepy's names
    not imported says so) or an ``ImportError`` of a name dtracepy does not have (``from dtracepy
    import execnam``)."""
    from dtracepy.errors import close_matches

    wanted = getattr(err, "name", None)
    if isinstance(err, NameError) and isinstance(wanted, str):
        tb, frame = err.__traceback__, None
        while tb is not None:
            frame, tb = tb.tb_frame, tb.tb_next
        if frame is None:
            return ""
        import builtins

        import dtracepy

        if not wanted.startswith("_") and wanted in dir(dtracepy):  # (the usual one: a name not imported)
            return f"; it is dtracepy's: from dtracepy import {wanted}"
        from dtracepy.facts.translated import ALL_CONSTANTS

        if wanted in ALL_CONSTANTS:     # (`from dtracepy import *` gives no named constant but NULL)
            return (f"; it is dtracepy's, one of D's named constants, which `from dtracepy import *` "
                    f"leaves out: from dtracepy import {wanted}")

        # the module's own names first (what it imported from dtracepy: prinft is printf, not print)
        own = sorted({*frame.f_locals, *frame.f_globals} - {wanted})
        close = close_matches(wanted, own)
        if not close and len(wanted) >= 2:
            # a word cut short (`exe` of an imported execname), which close_matches' ratio does not
            # reach: the one name of the module's that starts with it, before Python's own (exec)
            started = [name for name in own if name.startswith(wanted) and not name.startswith("_")]
            if 1 < len(started) <= 3:   # (after a star import: execargs, execname)
                return f"; did you mean {' or '.join(map(repr, started))}?"
            close = started if len(started) == 1 else []
        names = set() if close else set(vars(builtins))
    elif isinstance(err, TypeError) and " got an unexpected keyword argument " in str(err):
        return _keyword_meant(err)
    elif isinstance(err, ImportError) and wanted == "dtracepy":
        import re

        import dtracepy

        found = re.match(r"cannot import name '(\w+)' from 'dtracepy'", str(err))
        if found is None:
            return ""
        wanted, names, close = found.group(1), {name for name in dir(dtracepy) if not name.startswith("_")}, []
    else:
        return ""
    close = close or close_matches(wanted, sorted(names - {wanted}))
    return f"; did you mean {close[0]!r}?" if close else ""


def _keyword_meant(err: TypeError) -> str:
    """A did-you-mean for a misspelt keyword argument (``Tracer(option=...)``: ``options``;
    ``@t.probe("BEGIN", whn=...)``: ``when``), which Python 3.11 gives for none: the function is
    found by the name its message gives (``Tracer.__init__``), from the line that called it, else
    among dtracepy's names, and its parameters are the candidates."""
    import re

    found = re.match(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'$", str(err))
    if found is None:
        return ""
    qualname, wanted = found.groups()
    tb, frame = err.__traceback__, None
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
    import dtracepy

    first, *rest = qualname.split(".")
    scopes = ([frame.f_locals, frame.f_globals] if frame is not None else []) + [vars(dtracepy)]
    target = next((scope[first] for scope in scopes if first in scope), None)
    for part in rest:
        target = getattr(target, part, None)
    if target is None:
        return ""
    import inspect

    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return ""
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
             and p.name != "self" and not p.name.startswith("_")]
    from dtracepy.errors import close_matches

    close = close_matches(wanted, names)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (its keyword arguments: {', '.join(names)})" if names else ""


class TracerInterrupted(KeyboardInterrupt):
    """A KeyboardInterrupt while the tracer module ran: the command line says where it stopped
    (one line, as a compiler reports an interrupt) and exits 130, as for any Ctrl-C."""

    def __init__(self, pos: Pos, source_line: str | None = None):
        super().__init__(pos)
        self.pos, self.source_line = pos, source_line

    def render(self) -> str:
        return f"{self.pos}: error: interrupted (KeyboardInterrupt) while the tracer module ran; nothing was compiled"


def find_tracers(module) -> dict:
    from dtracepy.dsl.tracer import Tracer

    found: dict = {}
    for attr, value in vars(module).items():
        if isinstance(value, Tracer) and all(value is not v for v in found.values()):
            found[attr] = value
    return found


def choose(module, path: str, wanted: str | None):
    tracers = find_tracers(module)
    if not tracers:
        raise CompileError("defines no Tracer (write `t = Tracer(...)` at module level)", Pos(path, 1))
    if wanted is not None:
        if wanted not in tracers:
            from dtracepy.errors import close_matches

            # (a tracer's name is often a letter or two, `t`: a name in other capitals, else
            # close_matches' ranking, which takes short words)
            close = [name for name in tracers if name.lower() == wanted.lower()] or close_matches(wanted, list(tracers))
            meant = f"; did you mean {close[0]!r}?" if close else ""
            raise CompileError(f"no tracer named {wanted!r}{meant} (it defines: {', '.join(tracers)})", Pos(path, 1))
        attr = wanted
    elif len(tracers) > 1:
        raise CompileError(f"defines several tracers ({', '.join(tracers)}); choose one with "
                           "--tracer NAME", Pos(path, 1))
    else:
        attr = next(iter(tracers))
    tracer = tracers[attr]
    if tracer.name is None:
        tracer.name = attr
    if tracer.description is None and module.__doc__:
        # The module docstring's first paragraph says what the tracer is for.
        tracer.description = module.__doc__.strip().split("\n\n")[0]
    return tracer


def compile_path(path: str, tracer_name: str | None = None, *, with_tracer: bool = False,
                 dialect=None):
    """``dialect`` (a name) overrides the tracer's own (``--dialect``)."""
    module = load_module(path)
    tracer = choose(module, path, tracer_name)
    try:
        compiled = tracer.compile(dialect=dialect)
    except DTracePyError as err:
        if err.pos is None:  # every error names a file and line: at least the tracer's
            err.pos = Pos(_display(path), 1)
        raise
    except RecursionError:
        # a pass that still recurses once per nesting level: say so, located at the tracer
        raise CompileError("the tracer's D is nested too deeply for dtracepy to process",
                           Pos(_display(path), 1)) from None
    return (compiled, tracer) if with_tracer else compiled


class _ModuleOutput:
    """What a tracer module writes to ``sys.stdout`` while it is imported and compiled: sent to
    standard error, so that dtracepy's standard output holds the D and nothing else.  A write made
    inside a probe body is almost always Python's ``print`` where D's was meant (``print(x)``
    after ``from dtracepy import *``): it is also reported, at the user's line."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, target):
        self.target = target
        self.reports: list[str] = []
        self.closed = False

    def close(self) -> None:
        """As a file's ``close``: later writes fail; standard error itself stays open (dtracepy
        still reports to it, and the D goes to the real standard output)."""
        if not self.closed:
            self.target.flush()
        self.closed = True

    def _open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        self._open()
        return True

    def seekable(self) -> bool:
        return False

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __enter__(self):
        self._open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, text: str) -> int:
        self._open()
        from dtracepy.dsl import context
        from dtracepy.errors import render_located
        from dtracepy.source import user_pos

        if context.active() and text.strip():
            self.reports.append(render_located(
                "warning", f"the tracer wrote {text.strip()!r} to standard output inside a probe body, "
                "which records nothing in the D: Python's print is not D's (write print_(x), or "
                "`from dtracepy import print`); the text went to standard error", user_pos()))
        return self.target.write(text)

    def flush(self) -> None:
        self._open()
        self.target.flush()

    def isatty(self) -> bool:
        self._open()
        return False

    def fileno(self) -> int:
        return self.target.fileno()


class module_output_to_stderr:  # noqa: N801 - a context manager used like a function
    """Within: ``sys.stdout`` and file descriptor 1 lead to standard error (so a tracer module's
    ``print``, ``os.system("echo")`` or C extension output cannot mix into the D)."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved_stdout = sys.stdout
        self.saved_fd = None
        try:
            self.saved_fd = os.dup(1)
            os.dup2(2, 1)
        except OSError:  # no file descriptor 1 (an embedding host): the Python level is enough
            self.saved_fd = None
        self.output = _ModuleOutput(sys.stderr)
        sys.stdout = self.output
        return self.output

    def __exit__(self, *exc):
        sys.stdout = self.saved_stdout
        if self.saved_fd is not None:
            try:
                sys.stderr.flush()
            finally:
                os.dup2(self.saved_fd, 1)
                os.close(self.saved_fd)
        for report in self.output.reports:
            print(report, file=sys.stderr)
        return False


def run(args) -> int:
    if args.output:
        # refuse `-o TRACER.py` (however spelled) before anything runs
        from dtracepy.inputs import refuse_overwriting

        if os.path.exists(args.tracer):
            refuse_overwriting(args.output, [args.tracer])
    try:
        with module_output_to_stderr():
            compiled, tracer = compile_path(args.tracer, args.tracer_name, with_tracer=True,
                                            dialect=getattr(args, "dialect", None))
    except DTracePyError as err:
        _add_source_lines(err)
        raise
    if args.output:
        # nor over a module the tracer loaded while it ran (`-o helpers.py`): now they are known
        from dtracepy.inputs import refuse_overwriting_modules

        refuse_overwriting_modules(args.output)
    for finding in compiled.findings:
        print(finding.render(), file=sys.stderr)
    text = compiled.text
    status = 0
    # quoted headers are read from the #! line's -I directories only, as dtrace -C reads them: it
    # gives cpp the script through /dev/stdin, so a header beside the tracer is not found
    folders = _include_dirs(text)
    said = _report_cpp_warnings(compiled, args.tracer, folders)
    if args.check:
        # The compiler has printed its findings at the Python lines; the emitted D's own check
        # adds only what it finds beyond them.
        from dtracepy.compiler import runs_through_cpp, shebang
        from dtracepy.preprocess import collected_warnings

        already = {(f.check, f.message) for f in compiled.findings}
        dialect = getattr(args, "dialect", None) or tracer.dialect
        checked = args.output or "<compiled>"
        with collected_warnings() as warnings:
            try:
                status = check_text(text, checked, dialect, skip=already, include_dirs=folders,
                                    cpp=runs_through_cpp(tracer, shebang(tracer)))
            except DTracePyError as err:
                _say_beside_the_tracer(err, args.tracer)
                _at_the_tracers_line(err, checked, compiled, text, tracer.pos or Pos(_display(args.tracer), 1))
                raise
        for pos, message in warnings:  # a header's own; the D's were said above, at the tracer's lines
            if os.path.abspath(pos.file) != os.path.abspath(checked) and (pos, message) not in said:
                print(f"{pos}: warning: {message}", file=sys.stderr)
    if args.output:
        write_output(args.output, text, executable=True, inputs=[args.tracer])
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return status


def _at_the_tracers_line(err, checked: str, compiled, text: str, fallback: Pos) -> None:
    """An error the emitted D's check raised at a line of that D (``<compiled>``, or the ``-o``
    file, which is then not written: no file the user has) is moved to the tracer's line that made
    the line, else to the Tracer's (``Tracer(includes=[...])``), the D's line quoted."""
    if err.pos is None or err.pos.file != checked:
        return
    from dtracepy.run.origins import line_origins

    line = err.source_line
    err.pos = line_origins(compiled.program, text).get(err.pos.line) or fallback
    err.message += f" (the emitted D's line {line.strip()!r})" if line and line.strip() else ""
    err.source_line = None


def _say_beside_the_tracer(err, tracer: str) -> None:
    """A quoted header of the emitted D found nowhere that is beside the tracer: ``err`` says why
    dtrace -C does not find it there (the D, written elsewhere or not at all, is no guide)."""
    from dtracepy.preprocess import beside_message

    name, sep, _ = err.message.partition(": no such file (looked in")
    if sep and err.source_line is not None and f'"{name}"' in err.source_line:
        err.message = beside_message(name, os.path.dirname(tracer)) or err.message


def _include_dirs(text: str) -> tuple:
    """The ``-I`` directories of the emitted D's ``#!`` line (``Tracer(shebang=...)``)."""
    from dtracepy.facts.command_line import preprocessing

    return preprocessing(text[:text.find("\n")] if text.startswith("#!") else "")[2]


def _report_cpp_warnings(compiled, path: str, folders) -> list:
    """A ``#warning`` the tracer's D reaches when ``dtrace -C`` reads it (``t.directive("warning",
    ...)``), said as cpp will say it, but at the tracer's line that made it (or at the line of the
    header it is in); returns those said in a header, as ``(Pos, message)``."""
    from dtracepy import tree

    if not any(isinstance(item, tree.Directive) and item.name == "warning" for item in compiled.program.items):
        return []
    from dtracepy.errors import DTracePyError
    from dtracepy.preprocess import preprocess
    from dtracepy.run.origins import line_origins

    warnings: list = []
    try:
        preprocess(compiled.text, "<compiled>", include_dirs=folders, warnings=warnings)
    except DTracePyError:
        return []  # (an expansion that fails is the destructive check's to say, and it has)
    origins = line_origins(compiled.program, compiled.text) if warnings else {}
    for pos, message in warnings:
        shown = origins.get(pos.line, Pos(_display(path), 1)) if pos.file == "<compiled>" else pos
        print(f"{shown}: warning: {message}", file=sys.stderr)
    return [(pos, message) for pos, message in warnings if pos.file != "<compiled>"]


def check_text(text: str, filename: str, dialect="illumos", skip=frozenset(), include_dirs=(),
               cpp: bool = False) -> int:
    """Parse emitted D back and run the checks; print findings (but those whose (check, message)
    is in ``skip``, printed already); 1 if any error.  ``cpp``: the D runs through the C
    preprocessor (it has an ``#include``, ``#define`` ...): it is checked so, as ``check -C``
    checks it, reading quoted headers from ``include_dirs`` (the ``#!`` line's ``-I``)."""
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import expanded, parse, parse_bytes

    if cpp:
        program = parse_bytes(text.encode("utf-8", "surrogateescape"), filename, cpp=True,
                              include_dirs=include_dirs)
    else:
        program = parse(text, filename)
    errors = 0
    for finding in check_program(program, options=CheckOptions(dialect=dialect, expand=expanded), source=text):
        errors += finding.severity == "error"
        if (finding.check, finding.message) not in skip:
            print(finding.render(), file=sys.stderr)
    return 1 if errors else 0


def _add_source_lines(err) -> None:
    """Show the tracer's source line under each located error (the error's, or each finding's).
    Lines are read from regular files only, bounded (:func:`~dtracepy.inputs.read_regular_file`):
    the error may be that the path is ``/dev/zero`` or a FIFO, which must not be read."""
    import attrs

    files: dict = {}

    def line(pos):
        if pos is None or not isinstance(pos.file, str):
            return None
        if pos.file not in files:
            files[pos.file] = _source_lines(pos.file)
        lines = files[pos.file]
        return lines[pos.line - 1] if lines is not None and 0 < pos.line <= len(lines) else None

    if err.source_line is None:
        err.source_line = line(err.pos)
    findings = getattr(err, "findings", ())
    if findings:
        err.findings = tuple(f if f.source_line is not None else attrs.evolve(f, source_line=line(f.pos))
                             for f in findings)


def _source_lines(path: str) -> list[str] | None:
    """The lines of the Python source file ``path`` (decoded as Python decodes it), or None when it
    is no regular file, is over the size limit or cannot be decoded."""
    import io
    import tokenize

    from dtracepy.inputs import read_regular_file

    data = read_regular_file(path)
    if data is None:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return io.StringIO(data.decode(encoding), newline=None).readlines()  # Python's line breaks only
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None
