"""A Python ``return``, ``break`` or ``continue`` inside ``with if_(...)`` in a probe body.

The body runs once, in Python, to record D.  A ``return`` inside ``with if_(arg0):`` reads as D's
"leave the clause when arg0", but it is Python's: it ends the recording there, and whatever the
body says after the ``with`` is never recorded, for any firing (``break``/``continue`` leaving the
``with`` likewise skip the rest of a loop's body).  The D is then silently short.  No Python
mechanism tells a ``with`` left by ``return`` from one left at its end (``__exit__`` sees the
same), so the body's source is read once per function (``ast``) and such a statement is an error
at its line.  A body whose source cannot be read (made by ``exec``, a lambda on a line that does
not parse alone) is not judged.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

_BRANCHES = frozenset({"if_", "elif_", "else_"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def early_exit(code) -> tuple[int, str] | None:
    """(line, statement) of the first ``return``/``break``/``continue`` that leaves a ``with
    if_/elif_/else_`` block of the function whose code object is ``code``, or None."""
    return _early_exit(code)


@functools.lru_cache(maxsize=512)  # (one function decorated in a loop is read once)
def _early_exit(code):
    try:
        lines, first = inspect.getsourcelines(code)
    except (OSError, TypeError):
        return None
    try:
        module = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    function = next((node for node in module.body if isinstance(node, (ast.FunctionDef,))), None)
    if function is None:
        return None
    found = _search(function, in_branch=False, loop_in_branch=False)
    if found is None:
        return None
    # (getsourcelines gives 0 as the first line of a module's code only; a function's is >= 1)
    return max(first, 1) + found.lineno - 1, type(found).__name__.lower()


def _search(node, in_branch: bool, loop_in_branch: bool):
    """Without recursion into nested functions or classes, which have their own returns."""
    stack = [(child, in_branch, loop_in_branch) for child in reversed(list(ast.iter_child_nodes(node)))]
    while stack:
        current, inside, looped = stack.pop()
        if isinstance(current, _SCOPES):
            continue
        if isinstance(current, ast.Return) and inside:
            return current
        if isinstance(current, (ast.Break, ast.Continue)) and inside and not looped:
            return current
        if isinstance(current, (ast.With, ast.AsyncWith)) and any(_is_branch(item.context_expr)
                                                                 for item in current.items):
            inside, looped = True, False
        elif isinstance(current, _LOOPS) and inside:
            looped = True
        stack.extend((child, inside, looped) for child in reversed(list(ast.iter_child_nodes(current))))
    return None


def _is_branch(node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name in _BRANCHES
