"""cpp's assertions, for dtracepy's C preprocessor (:mod:`dtracepy.preprocess`, over pcpp, which
has none): ``#assert machine(x)``, ``#unassert machine[(x)]`` and ``#if #machine(x)`` / ``#if
#machine`` (a deprecated GCC extension, which dtrace -C's cpp still reads).

An answer is known when the script settles it; a predicate gcc predefines from the machine
(:data:`dtracepy.facts.directives.MACHINE_PREDICATES`) has answers dtracepy cannot know, and a
test of one the script has not settled is refused at its line rather than guessed.  A malformed
one is refused in cpp's words ("missing '(' after predicate").
"""

from __future__ import annotations

from dtracepy.facts.directives import MACHINE_PREDICATES


class AssertionProblem(Exception):
    """A malformed or unanswerable assertion: the message, located by the caller."""


class Assertions:
    """The assertions of one preprocessor run."""

    def __init__(self, cpp):
        self.cpp = cpp                  # (the pcpp Preprocessor: its token types)
        self.answers: dict[str, set[str]] = {}
        self.removed: dict[str, set[str]] = {}   # a machine predicate's answers unasserted
        self.cleared: set[str] = set()           # predicates unasserted whole

    # --- reading tokens ------------------------------------------------------------------------
    def _blank(self, tok) -> bool:
        cpp = self.cpp
        return tok.type in cpp.t_WS or tok.type in (cpp.t_COMMENT1, cpp.t_COMMENT2)

    def _skip(self, toks, i: int) -> int:
        while i < len(toks) and self._blank(toks[i]):
            i += 1
        return i

    def _predicate(self, toks, i: int, need_answer: bool):
        """``(name, answer or None, index after)`` of the predicate at ``toks[i]``."""
        i = self._skip(toks, i)
        if i >= len(toks):
            raise AssertionProblem("assertion without predicate")
        if toks[i].type != self.cpp.t_ID:
            raise AssertionProblem("predicate must be an identifier")
        name = toks[i].value
        j = self._skip(toks, i + 1)
        if j >= len(toks) or toks[j].value != "(":
            if need_answer:
                raise AssertionProblem("missing '(' after predicate")
            return name, None, i + 1
        words, k = [], j + 1
        while k < len(toks) and toks[k].value != ")":
            if not self._blank(toks[k]):
                words.append(toks[k].value)
            k += 1
        if k >= len(toks):
            raise AssertionProblem("missing ')' to complete answer")
        if not words:
            raise AssertionProblem("predicate's answer is empty")
        return name, " ".join(words), k + 1

    # --- the directives ------------------------------------------------------------------------
    def assert_(self, toks) -> None:
        name, answer, _ = self._predicate(toks, 0, need_answer=True)
        self.answers.setdefault(name, set()).add(answer)
        self.removed.get(name, set()).discard(answer)

    def unassert(self, toks) -> None:
        name, answer, _ = self._predicate(toks, 0, need_answer=False)
        if answer is None:
            self.answers.pop(name, None)
            self.removed.pop(name, None)
            self.cleared.add(name)
            return
        self.answers.get(name, set()).discard(answer)
        self.removed.setdefault(name, set()).add(answer)

    def holds(self, name: str, answer: str | None) -> bool:
        """``#name(answer)`` (``#name``: any answer) in an ``#if``; AssertionProblem when the
        machine's cpp answers it and the script has not said."""
        asserted = self.answers.get(name, set())
        machine = name in MACHINE_PREDICATES and name not in self.cleared
        if answer is None:
            if asserted:
                return True
            if not machine:
                return False
            if not self.removed.get(name):
                return True         # (gcc predefines at least one answer)
        else:
            if answer in asserted:
                return True
            if not machine or answer in self.removed.get(name, ()):
                return False
        shown = f"#{name}" + (f"({answer})" if answer is not None else "")
        raise AssertionProblem(
            f"{shown}: cpp predefines the answers of #{name} from the machine dtrace runs on (gcc: "
            f"#machine(x86_64), #system(linux) on x86-64 Linux), which dtracepy does not know: "
            f"#assert or #unassert {name} in the script first, or test a macro")

    def replaced(self, tokens) -> list:
        """An ``#if``'s tokens with each ``#name`` / ``#name(answer)`` as the integer it holds."""
        out, i = [], 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.value != "#":
                out.append(tok)
                i += 1
                continue
            name, answer, i = self._predicate(tokens, i + 1, need_answer=False)
            made = _copy(tok)
            made.type, made.value = self.cpp.t_INTEGER, self.cpp.t_INTEGER_TYPE(
                "1L" if self.holds(name, answer) else "0L")
            out.append(made)
        return out


def _copy(tok):
    import copy

    return copy.copy(tok)
