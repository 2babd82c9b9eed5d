"""Judge many D scripts with the real D compiler, each in isolation, at a few ms per script.

``dtrace -e -s a.d -s b.d`` compiles every script with one libdtrace handle, so declarations and
variable types leak from one script into the next (``x = 1`` in a.d makes ``x = "s"`` in b.d an
error), and the first rejected script ends the process; a fresh ``dtrace`` per script costs about
1.3 s of CPU, nearly all of it opening the handle and loading the D libraries.  This program does
what ``dtrace -e`` does (cmd/dtrace.c: ``dtrace_open``, ``dtrace_init``, the default ``bufsize`` and
``aggsize``, ``-x`` options, ``dtrace_program_fcompile`` with ``-Z``/``-C`` and the macro arguments,
``dtrace_program_info``) through libdtrace itself, once, loads the D libraries with one throw-away
compile, then forks a child per script: each script is compiled by a copy of a fresh handle.

Run as root (libdtrace reads the probe lists) by tests/real_dtrace.py: ``judge_scripts()``.
Input on stdin, one JSON object: ``{"jobs": [{"name", "path", "flags": "ZC", "args": [...],
"options": {"defaultargs": null, ...}, "defines": ["N=1"], "target": false}]}``; output on stdout:
``{name: null | "dtrace's error message"}``.  ``target`` creates a process (``/bin/true``) as
``dtrace -c /bin/true`` does, so ``$target`` has a value.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import sys

DTRACE_VERSION = 3
DTRACE_C_ZDEFS = 0x0004
DTRACE_C_CPP = 0x0010
FLAGS = {"Z": DTRACE_C_ZDEFS, "C": DTRACE_C_CPP}
CHILD_SECONDS = 60


def _load() -> ctypes.CDLL:
    names = [os.environ.get("DTRACEPY_LIBDTRACE"), "libdtrace.so.2", "/usr/lib64/libdtrace.so.2",
             "/usr/lib/libdtrace.so.2", ctypes.util.find_library("dtrace")]
    errors = []
    for name in filter(None, names):
        try:
            lib = ctypes.CDLL(name, use_errno=True)
            break
        except OSError as err:
            errors.append(str(err))
    else:
        raise SystemExit("no libdtrace: " + "; ".join(errors))
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    lib.dtrace_open.restype = vp
    lib.dtrace_open.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.dtrace_init.argtypes = [vp]
    lib.dtrace_errno.argtypes = [vp]
    lib.dtrace_errmsg.restype = cp
    lib.dtrace_errmsg.argtypes = [vp, ctypes.c_int]
    lib.dtrace_setopt.argtypes = [vp, cp, cp]
    lib.dtrace_program_fcompile.restype = vp
    lib.dtrace_program_fcompile.argtypes = [vp, vp, ctypes.c_uint, ctypes.c_int, ctypes.POINTER(cp)]
    lib.dtrace_program_info.argtypes = [vp, vp, ctypes.c_char * 256]
    lib.dtrace_proc_create.restype = vp
    lib.dtrace_proc_create.argtypes = [vp, cp, ctypes.POINTER(cp), ctypes.c_int]
    return lib


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.fopen.restype = ctypes.c_void_p
LIBC.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def _message(lib, dtp) -> str:
    return lib.dtrace_errmsg(dtp, lib.dtrace_errno(dtp)).decode("utf-8", "replace").strip()


def _compile(lib, dtp, path: str, cflags: int, args: list[str]) -> str | None:
    """What ``compile_file`` in cmd/dtrace.c does: None if compiled, else the error message."""
    fp = LIBC.fopen(path.encode(), b"r")
    if not fp:
        return f"failed to open {path}"
    argv = (ctypes.c_char_p * (len(args) + 2))(path.encode(), *(a.encode() for a in args), None)
    prog = lib.dtrace_program_fcompile(dtp, fp, cflags, len(args) + 1, argv)
    if not prog:
        return _message(lib, dtp)
    lib.dtrace_program_info(dtp, prog, (ctypes.c_char * 256)())
    return None


def _child(lib, dtp, job: dict) -> str | None:
    for name, value in (job.get("options") or {}).items():
        if lib.dtrace_setopt(dtp, name.encode(), None if value is None else str(value).encode()):
            return f"option {name}: " + _message(lib, dtp)
    for define in job.get("defines") or ():
        if lib.dtrace_setopt(dtp, b"define", define.encode()):
            return f"-D{define}: " + _message(lib, dtp)
    if job.get("target"):
        argv = (ctypes.c_char_p * 2)(b"/bin/true", None)
        if not lib.dtrace_proc_create(dtp, b"/bin/true", argv, 0):
            return "-c /bin/true: " + _message(lib, dtp)
    cflags = 0
    for letter in job.get("flags", ""):
        cflags |= FLAGS[letter]
    for prelude in job.get("preludes") or ():
        error = _compile(lib, dtp, prelude, cflags, [])
        if error is not None:
            return f"prelude {prelude}: {error}"
    return _compile(lib, dtp, job["path"], cflags, [str(a) for a in job.get("args") or ()])


def main() -> int:
    request = json.load(sys.stdin)
    lib = _load()
    err = ctypes.c_int()
    dtp = lib.dtrace_open(DTRACE_VERSION, 0, ctypes.byref(err))
    if not dtp:
        raise SystemExit("dtrace_open failed: " + lib.dtrace_errmsg(None, err.value).decode())
    if lib.dtrace_init(dtp) < 0:
        raise SystemExit("dtrace_init failed: " + _message(lib, dtp))
    lib.dtrace_setopt(dtp, b"bufsize", b"4m")
    lib.dtrace_setopt(dtp, b"aggsize", b"4m")
    # Load the D libraries (the first compile does) before forking, so no child pays for it.
    warm = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "judge_warmup.d")
    error = _compile(lib, dtp, warm, 0, [])
    if error is not None:
        raise SystemExit(f"the real compiler rejects {warm}: {error}")
    sys.stdout.flush()
    verdicts: dict[str, str | None] = {}
    for job in request["jobs"]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            signal.alarm(CHILD_SECONDS)
            try:
                verdict = _child(lib, dtp, job)
                os.write(write, json.dumps({"v": verdict}).encode())
            finally:
                os._exit(0)
        os.close(write)
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        _, status = os.waitpid(pid, 0)
        if chunks:
            verdicts[job["name"]] = json.loads(b"".join(chunks))["v"]
        else:
            verdicts[job["name"]] = f"judge child died (wait status {status})"
    json.dump(verdicts, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
