"""D's built-in variables as DSL values, and macro variables (``$1``, ``$$1``, ``$target``).

Every built-in of ``D-REFERENCE.md`` is here under its D name (``arg0`` ... ``arg9``, ``args``,
``timestamp``, ``execname`` ...).  ``id`` and ``errno`` shadow Python names only where imported.
:func:`builtin` names any other (a translator-provided ``curpsinfo`` works the same way).
"""

from __future__ import annotations

import re

from dtracepy import tree
from dtracepy.dsl.values import D
from dtracepy.errors import DSLError
from dtracepy.source import user_pos

BUILTIN_NAMES = (
    "arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9 args caller curcpu curthread epid errno "
    "execname gid id ipl pid ppid probefunc probemod probename probeprov stackdepth tid timestamp "
    "ucaller uid uregs ustackdepth vtimestamp walltimestamp zonename cpu jid jailname execargs "
    "curpsinfo curlwpsinfo cwd rootdir"
).split()

# Documentation attached to macro arguments by `macro(1, "listening port")`, by D name.
MACRO_DOCS: dict[str, str] = {}

_MACRO_NAMES = ("target", "pid", "ppid", "uid", "gid", "euid", "egid", "pgid", "sid", "projid", "taskid")


def builtin(name: str) -> D:
    """A built-in variable (or any identifier D knows) by name."""
    return D(tree.Ident(name, pos=user_pos()))


def ksym(name: str, module: str = "") -> D:
    """A kernel symbol scoped with a backquote: ``ksym("kmem_flags")`` is `` `kmem_flags``,
    ``ksym("kmem_flags", "genunix")`` is ``genunix`kmem_flags``."""
    pos = user_pos()
    if not tree.is_identifier(name):
        raise DSLError(f"ksym() takes a symbol name (a D identifier), not {name!r}", pos)
    if not isinstance(module, str) or not (module == "" or tree.is_identifier(module)):
        raise DSLError(f"ksym(): {module!r} is not a kernel module name", pos)
    return D(tree.Ident(name, module, pos=pos))


def macro(n, doc: str | None = None) -> D:
    """A macro variable: ``macro(1)`` is ``$1``, ``macro("target")`` is ``$target``.  ``doc`` is
    listed in the emitted D's header comment."""
    if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
        name = f"${n}"
    elif isinstance(n, str) and n in _MACRO_NAMES:
        name = f"${n}"
    else:
        raise DSLError(f"no macro variable {n!r}: use a number (macro(1) is $1) or one of "
                       + ", ".join(_MACRO_NAMES), user_pos())
    if doc is not None and not isinstance(doc, str):
        raise DSLError(f"macro(): doc is a str, not {type(doc).__name__}", user_pos())
    if doc:
        MACRO_DOCS[name] = doc
    return D(tree.MacroVar(name, pos=user_pos()))


def macro_str(n: int, doc: str | None = None) -> D:
    """``$$1``: macro argument ``n`` always as a string."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise DSLError(f"macro_str takes an argument number, not {n!r}", user_pos())
    if doc is not None and not isinstance(doc, str):
        raise DSLError(f"macro_str(): doc is a str, not {type(doc).__name__}", user_pos())
    name = f"$${n}"
    if doc:
        MACRO_DOCS[name] = doc
    return D(tree.MacroVar(name, pos=user_pos()))


def macro_number(name: str) -> int | None:
    m = re.fullmatch(r"\$\$?(\d+)", name)
    return int(m.group(1)) if m else None


def _make(name):
    return D(tree.Ident(name))


arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9 = (_make(f"arg{i}") for i in range(10))
args = _make("args")
caller = _make("caller")
curcpu = _make("curcpu")
curthread = _make("curthread")
epid = _make("epid")
errno = _make("errno")
execname = _make("execname")
gid = _make("gid")
id = _make("id")  # noqa: A001 - D's name
ipl = _make("ipl")
pid = _make("pid")
ppid = _make("ppid")
probefunc = _make("probefunc")
probemod = _make("probemod")
probename = _make("probename")
probeprov = _make("probeprov")
stackdepth = _make("stackdepth")
tid = _make("tid")
timestamp = _make("timestamp")
ucaller = _make("ucaller")
uid = _make("uid")
uregs = _make("uregs")
ustackdepth = _make("ustackdepth")
vtimestamp = _make("vtimestamp")
walltimestamp = _make("walltimestamp")
zonename = _make("zonename")
cpu = _make("cpu")
jid = _make("jid")
jailname = _make("jailname")
execargs = _make("execargs")
curpsinfo = _make("curpsinfo")
curlwpsinfo = _make("curlwpsinfo")
cwd = _make("cwd")
rootdir = _make("rootdir")
target = D(tree.MacroVar("$target"))
