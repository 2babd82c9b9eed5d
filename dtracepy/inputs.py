"""Reading inputs and writing outputs safely: what every subcommand shares.

* :func:`read_input` reads a file, ``-`` (standard input) or a pipe, but never more than the size
  limit plus one byte, so ``/dev/zero`` or an endless pipe is refused at once instead of filling
  memory.  Errors (a directory, a missing file, a closed standard input) are located
  :class:`InputError` exceptions.
* :func:`write_output` writes a file through a temporary file in the same directory and a rename,
  so a failed write (a full disk, a read-only directory) leaves any old file as it was and never a
  truncated one; it refuses to overwrite one of the inputs (``-o tracer.py``), however the path is
  spelled (:func:`refuse_overwriting`, which a command may call before it starts), and ``compile``
  refuses one that is the file of a module the tracer loaded (:func:`refuse_overwriting_modules`).  Device files
  and pipes are written in place; ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and
  ``/proc/self/fd/N`` are written through the descriptor they name, whatever it is (a pipe, a
  terminal, a file the shell opened).  :class:`AtomicOutput` does the same for an output
  written as it comes.
* :func:`read_regular_file` reads a regular file, bounded, and nothing else (no device, no pipe):
  what an error message reads to show the user's source line.
* :func:`describe_exception` names an exception even when its ``__str__`` raises.
"""

from __future__ import annotations

import os
import stat
import sys

from dtracepy.errors import DTracePyError
from dtracepy.source import Pos, shown_name


class InputError(DTracePyError):
    """An input that cannot be read or an output that cannot be written, located at its path."""

#: The largest input dtracepy reads: the parser reads dense D at about 1 MB/s and the largest real
#: script known is 16 KB.
MAX_INPUT_BYTES = 4 * 1024 * 1024
LIMIT_TEXT = f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB"


#: What reading ``""`` says (an empty shell variable given as the file): open("") says only
#: "no such file or directory".
EMPTY_FILE_NAME = "cannot read: the file name is empty"


def too_large(filename: str) -> InputError:
    return InputError(f"input too large: over {LIMIT_TEXT}; dtracepy reads files of at most {LIMIT_TEXT}",
                      Pos(filename, 1, 1))


def read_bounded(handle, filename: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """At most ``limit`` bytes from a binary file object; more is a located error."""
    chunks = []
    size = 0
    while size <= limit:
        chunk = handle.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise too_large(filename)
    return b"".join(chunks)


def read_input(path: str, limit: int = MAX_INPUT_BYTES) -> tuple[str, bytes]:
    """``(name to show, bytes)`` of a file, or of standard input for ``-``."""
    if path == "-":
        stream = sys.stdin
        buffer = getattr(stream, "buffer", None) if stream is not None else None
        if buffer is None or buffer.closed:
            raise InputError("cannot read standard input: it is closed", Pos("<stdin>", 1))
        try:
            return "<stdin>", read_bounded(buffer, "<stdin>", limit)
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read standard input: {_reason(err)}", Pos("<stdin>", 1)) from None
    if not path:
        raise InputError(EMPTY_FILE_NAME, Pos(path, 1))
    try:
        with open(path, "rb") as handle:
            return path, read_bounded(handle, path, limit)
    except OSError as err:
        raise InputError(f"cannot read: {_reason(err)}", Pos(path, 1)) from None


def read_regular_file(path: str, limit: int = MAX_INPUT_BYTES) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes; else None (a
    device such as ``/dev/zero``, a pipe, a directory, a missing or unreadable or too large file).
    It never blocks (a FIFO is opened without waiting for a writer, then refused) and never reads
    past the limit: what an error message reads to show a source line."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # (replaced since the stat)
                return None
            return read_bounded(handle, path, limit)
        except (InputError, OSError):
            return None


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror[0].lower() + err.strerror[1:]
    return describe_exception(err)


#: A file name as text that can be written anywhere (a D comment, a Python docstring, an error's
#: prefix): the one helper of the error model, :func:`dtracepy.source.shown_name`.
printable_name = shown_name


def describe_exception(err: BaseException) -> str:
    """``TypeName: message``, even for an exception whose ``__str__`` raises."""
    name = type(err).__name__
    try:
        text = str(err)
    except BaseException:  # noqa: BLE001 - a user's exception class may do anything in __str__
        text = "(its message cannot be printed: its __str__ raised an exception)"
    return f"{name}: {text}" if text else name


def same_file(a: str, b: str) -> bool:
    """Do two paths name the same file (through ``./``, ``..`` or symlinks)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwriting(path: str, inputs=()) -> None:
    """A located :class:`InputError` if the output ``path`` names one of ``inputs`` (through
    ``./``, ``..`` or a symlink): called by :func:`write_output`, and by a command before it starts
    work that the refusal would waste."""
    for source in inputs:
        if source != "-" and same_file(path, source):
            raise InputError(f"refusing to write the output over the input {source}", Pos(path, 1))


def refuse_overwriting_modules(path: str, modules=None) -> None:
    """A located :class:`InputError` if the output ``path`` is the file of a Python module this
    process has loaded (``modules``, by default ``sys.modules``: a helper the tracer imported,
    ``-o helpers.py``; one of dtracepy's own), however the path is spelled."""
    try:
        target = os.stat(os.path.realpath(path))  # the file write_output replaces (`x/../h.py` too)
    except OSError:
        return  # nothing there yet: no module was loaded from it
    if not stat.S_ISREG(target.st_mode):
        return  # a device or a pipe (written in place): no module's file
    for name, module in list((sys.modules if modules is None else modules).items()):
        try:
            file = module.__dict__.get("__file__")
            found = os.stat(file) if isinstance(file, str) else None
        except (AttributeError, OSError, TypeError, ValueError):
            continue
        if found is not None and (found.st_dev, found.st_ino) == (target.st_dev, target.st_ino):
            relative = os.path.relpath(file)
            file = file if relative.startswith("..") else relative
            raise InputError(f"refusing to write the output over {shown_name(file)}, the file of the Python "
                             f"module {name}, which the tracer module loaded (directly or through "
                             "another module)", Pos(path, 1))


#: The names of the standard descriptors under /dev.
_STANDARD_DESCRIPTORS = {"stdin": 0, "stdout": 1, "stderr": 2}


def named_descriptor(path: str) -> int | None:
    """The open descriptor that ``path`` names as ``/dev/stdout``, ``/dev/stderr``, ``/dev/stdin``,
    ``/dev/fd/N`` or ``/proc/self/fd/N`` (``/proc/<this process>/fd/N``) spell it; else ``None``."""
    parts = os.path.normpath(os.path.abspath(path)).split("/")[1:]
    if len(parts) == 2 and parts[0] == "dev":
        return _STANDARD_DESCRIPTORS.get(parts[1])
    if len(parts) == 3 and parts[:2] == ["dev", "fd"]:
        number = parts[2]
    elif len(parts) == 4 and parts[0] == "proc" and parts[2] == "fd" and parts[1] in (
            "self", "thread-self", str(os.getpid())):
        number = parts[3]
    else:
        return None
    return int(number) if number.isascii() and number.isdigit() and len(number) < 10 else None


def write_output(path: str, text: str, *, executable: bool = False, inputs=()) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; errors are located :class:`InputError` exceptions.

    An output naming one of ``inputs`` is refused before anything is written.  A regular file (or
    a new one) is written to a temporary file beside it, flushed to disk, given its mode and
    renamed over the target (through a symlink, the file it points to), so the target is either
    the old file or the whole new one.  A device or pipe (``/dev/stdout``) is written in place.
    """
    data = text.encode("utf-8")
    output = AtomicOutput(path, executable=executable, inputs=inputs)
    try:
        output.write(data)
    except BaseException:
        output.discard()
        raise
    output.commit()


class AtomicOutput:
    """An output file written as :func:`write_output` writes one, but bit by bit (``dtracepy
    run -o`` streams a long run's rows there instead of holding them in memory): bytes go to the
    temporary file as they come; :meth:`commit` renames it over the target, :meth:`discard`
    removes it and leaves any old file as it was.  Errors are located :class:`InputError`
    exceptions, raised when opening (a directory, a read-only file, a missing directory) or when
    writing (a full disk)."""

    def __init__(self, path: str, *, executable: bool = False, inputs=()):
        refuse_overwriting(path, inputs)
        self.path = path
        self.temp: str | None = None
        descriptor = named_descriptor(path)
        if descriptor is not None:
            # /dev/stdout and its kin: written through the descriptor itself (os.path.realpath
            # would turn a pipe's into "/proc/<pid>/fd/pipe:[...]", a name no one can open, and a
            # file's into its path, to be replaced instead of written where the shell opened it)
            try:
                self.handle = os.fdopen(os.dup(descriptor), "wb")  # noqa: SIM115 - closed by commit/discard
            except OSError as err:
                raise self.error(err) from None
            return
        self.real = real = os.path.realpath(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as err:
            raise self.error(err) from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise InputError("cannot write: it is a directory", Pos(path, 1))
        if st is not None and not stat.S_ISREG(st.st_mode):
            try:     # a device or pipe: written in place, opened by its name as given
                self.handle = open(path, "wb")  # noqa: SIM115 - closed by commit/discard
            except OSError as err:
                raise self.error(err) from None
            return
        if st is not None and (not os.access(real, os.W_OK) or not st.st_mode & 0o222):
            raise InputError("cannot write: the file is read-only", Pos(path, 1))
        directory = os.path.dirname(real) or "."
        if not os.path.isdir(directory):
            raise InputError(f"cannot write: no such directory {shown_name(os.path.dirname(path) or '.')}", Pos(path, 1))
        self.mode = (st.st_mode & 0o7777) if st is not None else (0o666 & ~_umask())
        if executable:
            self.mode |= (self.mode & 0o444) >> 2  # x wherever r
        import tempfile

        try:
            fd, self.temp = tempfile.mkstemp(prefix="." + os.path.basename(real) + ".", suffix=".tmp",
                                             dir=directory)
        except OSError as err:
            raise self.error(err) from None
        self.handle = os.fdopen(fd, "wb")

    def error(self, err: OSError) -> InputError:
        return InputError(f"cannot write: {_reason(err)}", Pos(self.path, 1))

    def write(self, data: bytes) -> None:
        try:
            self.handle.write(data)
        except OSError as err:
            raise self.error(err) from None

    def commit(self) -> None:
        try:
            try:
                self.handle.flush()
                if self.temp is not None:
                    os.fsync(self.handle.fileno())
            finally:
                self.handle.close()
            if self.temp is not None:
                os.chmod(self.temp, self.mode)
                os.replace(self.temp, self.real)
                self.temp = None
        except OSError as err:
            raise self.error(err) from None
        finally:
            self.discard()

    def discard(self) -> None:
        """Drop what was written (nothing, after :meth:`commit`); safe to call twice."""
        try:
            self.handle.close()
        except OSError:
            pass
        if self.temp is not None:
            try:
                os.unlink(self.temp)
            except OSError:
                pass
            self.temp = None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
