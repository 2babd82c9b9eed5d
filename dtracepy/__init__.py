"""dtracepy: write DTrace tracers as Python modules, compile them to readable, checked D.

The public API, and nothing else:

* the D syntax tree (:mod:`dtracepy.tree`), ``parse`` (D text -> tree) and ``to_d`` (tree -> D);
* the DSL that tracer modules import (``Tracer``, ``self``, ``this``, built-ins, actions ...).

Everything is imported lazily (PEP 562): ``import dtracepy`` costs almost nothing, and a command
such as ``dtracepy check`` loads only the modules it uses (no printer, no DSL).  ``from dtracepy
import Tracer, self, parse, to_d`` works as before; the first use of a DSL name imports
:mod:`dtracepy.dsl`, whose ``__all__`` is part of this package's ``__all__``.
"""

import os as _os

#: The package's version (pyproject.toml's; ``dtracepy --version`` prints it).
__version__ = "0.1.0"

# name -> (module, attribute); ``None`` attribute: the module itself.
_CORE = {
    "tree": ("dtracepy.tree", None),
    "same_tree": ("dtracepy.tree", "same_tree"),
    "parse": ("dtracepy.parser", "parse"),
    "to_d": ("dtracepy.printer", "to_d"),
    "Pos": ("dtracepy.source", "Pos"),
    "DTracePyError": ("dtracepy.errors", "DTracePyError"),
    "DSyntaxError": ("dtracepy.errors", "DSyntaxError"),
    "DSLError": ("dtracepy.errors", "DSLError"),
    "CompileError": ("dtracepy.errors", "CompileError"),
    "LayoutError": ("dtracepy.errors", "LayoutError"),
}

# D names that shadow Python built-ins: importable on request, never by ``import *``.
_DSL_EXTRA = ("exit", "id", "max", "min", "print", "sum")

_submodules: frozenset[str] | None = None


def _is_submodule(name: str) -> bool:
    """Whether ``dtracepy.<name>`` is a module or package of ours.  The import system asks
    ``hasattr(dtracepy, name)`` for ``from dtracepy import name``; such a name must not make
    :func:`__getattr__` import the DSL."""
    global _submodules
    if _submodules is None:
        here = _os.path.dirname(__file__)
        names = set()
        for entry in _os.listdir(here):
            if entry.endswith(".py"):
                names.add(entry[:-3])
            elif _os.path.isdir(_os.path.join(here, entry)):
                names.add(entry)
        _submodules = frozenset(names)
    return name in _submodules


def _is_constant(name: str) -> bool:
    """D's named constants (``B_READ``, ``SIGKILL`` ...) are importable by name, not by ``*``."""
    from dtracepy.facts.translated import ALL_CONSTANTS

    return name in ALL_CONSTANTS


def _dsl_all() -> list[str]:
    from dtracepy import dsl

    return list(dsl.__all__)


def __getattr__(name: str):
    import sys

    if name in _CORE:
        module_name, attr = _CORE[name]
        __import__(module_name)  # not importlib.import_module: -X importtime sees this one
        module = sys.modules[module_name]
        value = module if attr is None else getattr(module, attr)
    elif name == "__all__":
        value = [*_CORE, *_dsl_all()]
    elif name.startswith("_") or _is_submodule(name):
        raise AttributeError(f"module 'dtracepy' has no attribute {name!r}")
    else:
        __import__("dtracepy.dsl")
        dsl = sys.modules["dtracepy.dsl"]
        if name not in dsl.__all__ and name not in _DSL_EXTRA and not _is_constant(name):
            raise AttributeError(f"module 'dtracepy' has no attribute {name!r}")
        value = getattr(dsl, name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__"), *_DSL_EXTRA})
