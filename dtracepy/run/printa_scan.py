"""Where each entry of ``printa(fmt, @a)``'s output ends, and the text each conversion printed,
read off the format by a scanner: a literal text is compared, a number is read by one small
expression per kind of conversion, shared by every format.

A regular expression of the format (one group per conversion) took Python time worse than
linear to compile, and a piece of one per 64 conversions still cost 160 microseconds a
conversion when the format's texts differ (100,000 conversions: 16 s).  The scanner reads what
that expression matched, the first way it matched:

* a number (``%d``, ``%x``, ``%@d`` ...) takes its blanks and all its digits and gives none back;
  the blanks after it go to the text after it, as many as that text needs (the most that leave
  it a place to match);
* a string (``%s`` and any conversion not a number, ``%Y``, ``%a`` ...) and a stack (``%k``)
  end at the first place where the text after them matches and the conversions after them, up
  to the next string or stack and at most :data:`WINDOW` of them, match too; no other choice is
  tried again once they did (no backtracking, so no time worse than linear in the entry);
* a histogram (``%@d`` of a ``quantize``) is the table: its header, every row, then what the
  text after it needs.

Two conversions with nothing between them in the format whose texts touch in the output and
could have met at another border (``%f%f`` printed ``1.52.5``, ``%s%d`` printed ``ab12``, ``%d%s``
printed ``12ab``) cannot be told apart: :class:`RunTogether` is raised rather than a guess.
(``%d%d`` printed ``123`` does not match at all: the first number takes every digit.)
"""

from __future__ import annotations

import re

from dtracepy.facts.conversions import format_text, parse_format

#: The most conversions after a string or a stack that must match for it to end where it does
#: (the rest are read after, and a failure there is not undone by a longer string): the 64 of a
#: piece of the regular expressions this replaced, so the work an entry can cost stays linear.
WINDOW = 64

# What each kind of number prints (the whole text), and its blanks before: the first match of
# the blanks and the text is what an atomic group of them matched (no digit given back).
_INT_TEXT = r"-?\d+"
_HEX_TEXT = r"(?:0[xX])?[0-9a-fA-F]+"
# (a float as C prints one: its digits cannot run into the text after it, as \S+ given back did)
_FLOAT_TEXT = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan)"
_BLANKS = re.compile(r"\s*")
_SPACES = re.compile(r" *")
_HIST_HEADER = re.compile(r"\s*value\s+-+ Distribution -+\s+count")
_HIST_ROW = re.compile(r"[^\n|]*\|[^\n]*\n")

#: the kinds of conversions that print numbers (the words of :class:`RunTogether`'s message)
NUMBERS = frozenset(("agg", "int", "hex", "oct", "float"))


class RunTogether(ValueError):
    """An entry where two conversions with nothing between them printed texts that touch."""


def conversion_kind(conv) -> str:
    """The kind of value a conversion of a printa format prints (a :class:`Conv`; ``@`` is a
    flag: dtrace takes ``%@d``, ``%@8d``, ``%-@8d`` and ``%8@d`` alike): agg, int, hex, oct,
    float, stack or str."""
    letter = conv.conv
    if conv.agg:
        return "agg"
    if letter in "diu" or letter in "c":
        return "int"
    if letter in "xXp":
        return "hex"
    if letter == "o":
        return "oct"
    if letter in "eEfgG":
        return "float"
    if letter == "k":
        return "stack"
    return "str"


# A step is one conversion and the literal text after it, a tuple (fast to unpack, shared by
# the steps that are alike): (head, blanks, table, search, text, fit, newline, joined)
#   head    the expression of its number (None for a string or a stack)
#   blanks  the blanks it leaves to the text after it (_BLANKS, _SPACES after %@d, or None)
#   table   whether it may be a histogram instead of a number (%@d, and a format without %@)
#   search  None, "any" (a string: any text) or "lines" (a stack: newline-ended lines)
#   text    the literal text after it
#   fit     -1 when that text is made of blanks only (it fits at the last place the blanks
#           leave it), else how many blanks it starts with (it fits at one place)
#   newline whether a stack comes next (it starts with a newline, which the text must leave it)
#   joined  (the two conversions' texts, numbers?) when nothing is between it and the one before
_SEARCHES = {"str": "any", "stack": "lines"}


def _texts(blanks_after: str) -> dict:
    """Each kind of number's expression: its blanks, its text (the group), ``blanks_after``."""
    pointer = r"\s*(" + _HEX_TEXT + ")" + blanks_after
    return {"agg": re.compile(r"\s*(" + _INT_TEXT + ")" + blanks_after),
            "int": re.compile(r"\s*(" + _INT_TEXT + ")" + blanks_after),
            "x": re.compile(r"\s*(?:0[xX])?([0-9a-fA-F]+)" + blanks_after),
            "p": re.compile(pointer), "oct": re.compile(r"\s*([0-7]+)" + blanks_after),
            "float": re.compile(r"\s*(" + _FLOAT_TEXT + ")" + blanks_after, re.I)}


# a number's expression by the blanks it leaves to the text after it: none (the value after a
# format without %@), any (\s*) or spaces (%@d: [ ]*)
_HEADS = {None: _texts(""), _BLANKS: _texts(r"\s*"), _SPACES: _texts(" *")}
# (from a place inside a float's text its expression may end elsewhere: 1e5 read from the e)
_FLOAT_HEADS = frozenset(heads["float"] for heads in _HEADS.values())
# what each kind's text is, whole (None: a string, any text), to find another border two texts
# that touch could have had
_TOKENS = {"agg": re.compile(_INT_TEXT), "int": re.compile(_INT_TEXT),
           "x": re.compile(_HEX_TEXT), "p": re.compile(_HEX_TEXT), "oct": re.compile(r"[0-7]+"),
           "float": re.compile(_FLOAT_TEXT, re.I)}
# the characters that would go on a number's text (a literal text starting with one cannot be
# told from it: the number takes it)
_GOES_ON = {"agg": frozenset("0123456789"), "int": frozenset("0123456789"),
            "hex": frozenset("0123456789abcdefABCDEF"), "oct": frozenset("01234567"),
            "float": frozenset("0123456789.eE")}


class PrintaScanner:
    """The scanner of one printa format: :meth:`match` reads one entry.

    ``kinds`` are the conversions' kinds in order (and a last ``agg`` for a format without a
    ``%@``, whose value dtrace prints after the format as the default would); ``pads`` each key
    conversion's (width, left-aligned); ``run_together`` the first two conversions the format
    prints with nothing between them (for the message when an entry does not match)."""

    def __init__(self, fmt: str):
        fmt = format_text(fmt)      # (dtrace prints up to the format's first NUL)
        self.pads: list = []
        # the first two conversions the format prints with nothing between them, or a number and
        # a text that continues it: (their texts, what they print), for the message
        self.run_together: tuple | None = None
        convs = parse_format(fmt, located=False)
        texts = []                  # the literal text after each conversion (equal: one object)
        seen: dict = {}
        # (not located: a conversion written again is one object, and where each starts is found
        # here as parse_format finds it, after the one before it and any %%)
        start = fmt.find("%")
        pos = 0
        for conv in convs:
            while fmt.startswith("%%", start):
                start = fmt.find("%", start + 2)
            text = fmt[pos:start].replace("%%", "%")
            texts.append(seen.setdefault(text, text))
            pos = start + len(conv.text)
            start = fmt.find("%", pos)
        texts.append(fmt[pos:].replace("%%", "%"))
        self.head = texts.pop(0)    # the text before the first conversion
        if not any(conv.agg for conv in convs):
            # dtrace prints the value after a format without %@ as the default would: a %@d
            # with nothing after it
            convs = convs + [None]
            texts.append("")
        read: dict = {}             # id(a Conv) -> (kind, pad, name): each conversion read once
        for conv in convs:
            if conv is not None and id(conv) not in read:
                kind = conversion_kind(conv)
                read[id(conv)] = (kind, None if kind == "agg" else (conv.width, "-" in conv.flags),
                                  ("p" if conv.conv == "p" else "x") if kind == "hex" else kind)
        value = ("agg", None, "agg")
        infos = [read[id(conv)] if conv is not None else value for conv in convs]
        self.kinds = kinds = [info[0] for info in infos]
        self.pads = [info[1] for info in infos if info[1] is not None]
        steps: list = []
        alike: dict = {}            # a step's parts -> the step (one tuple for steps alike)
        last = len(convs) - 1
        before = None               # the conversion before, when nothing is printed between
        for n, conv in enumerate(convs):
            text = texts[n]
            newline = n < last and kinds[n + 1] == "stack"
            key = (id(conv), text, id(before), newline)
            step = alike.get(key)
            if step is None:
                step = alike[key] = self._step(conv, infos[n], text, before, newline)
            steps.append(step)
            before = conv if conv is not None and not text else None
        self.steps = steps
        # where the steps from each one are read to: the next string or stack for a number (they
        # are read as one run), at most WINDOW further for a string or a stack (what it is
        # matched against before it is taken)
        stops = [0] * len(steps)
        following = len(steps)
        for i in range(len(steps) - 1, -1, -1):
            if steps[i][3] is not None:
                stops[i] = min(following, i + 1 + WINDOW)
                following = i
            else:
                stops[i] = following
        self.stops = stops
        # the numbers after a string found not to match from a place in the entry being read:
        # (their first step, stop) -> (lo, hi), blanks from lo to hi (see _tail)
        self._failed: dict = {}

    def _step(self, conv, info: tuple, text: str, before, newline: bool) -> tuple:
        """The step of ``conv`` (None: the value after a format without %@), ``text`` after it,
        ``before`` the conversion before it when nothing is printed between them."""
        kind, _, name = info
        blanks = None if conv is None else _SPACES if kind == "agg" else _BLANKS
        joined = None
        if before is not None:
            first_kind = conversion_kind(before)
            first_name = (("p" if before.conv == "p" else "x") if first_kind == "hex"
                          else first_kind)
            if "stack" not in (kind, first_kind):
                joined = (before.text + (conv.text if conv is not None else
                                         " and the value after it"),
                          _what(first_kind, kind), _TOKENS.get(first_name), _TOKENS.get(name))
                if self.run_together is None:
                    self.run_together = joined[:2]
        search = _SEARCHES.get(kind)
        if search is not None:
            return (None, None, False, search, text, 0, newline, joined)
        if self.run_together is None and conv is not None and text[:1] in _GOES_ON[kind]:
            self.run_together = (conv.text + text[:1], "a number and text")
        return (_HEADS[blanks][name], blanks, kind == "agg", None, text, _fit(text, blanks),
                newline, joined)

    def match(self, text: str, pos: int) -> tuple[int, list]:
        """(where the entry at ``pos`` ends, the texts its conversions printed: a number's
        digits, a string's text, a stack's lines; two for a ``%@d``, its number or None and its
        table or None); (-1, []) when it does not match.  Raises :class:`RunTogether`."""
        head = self.head
        if head:
            if not text.startswith(head, pos):
                return -1, []
            pos += len(head)
        if self._failed:
            self._failed.clear()
        steps, stops = self.steps, self.stops
        caps: list = []
        i, n = 0, len(steps)
        last_start = last_end = -1
        while i < n:
            step = steps[i]
            if step[3] is None:
                pos, last_start, last_end, joined = self._run(text, pos, i, stops[i], caps,
                                                              last_start, last_end)
                if pos < 0:
                    return -1, []
                if joined is not None:
                    raise _run_together(text, *joined)
                i = stops[i]
                continue
            # a string or a stack: its first end from which what follows matches
            joined = step[7]
            start = pos
            found = self._search(text, i, start, None)
            if found is None and search_may_start_earlier(steps, i, last_end):
                # the number before it left blanks (and a text of blanks) it may start in:
                # the latest start from which it has an end, as the number's blanks given back
                # one by one found it (the ends from the later starts were all tried)
                for earlier in _earlier_starts(text, steps[i - 1][4], last_end, start):
                    found = self._search(text, i, earlier, start)
                    if found is not None:
                        start = earlier
                        break
                    start = earlier
            if found is None:
                return -1, []
            end, after, sub, tail_start, tail_end, tail_joined = found
            if joined is not None and start == last_end and _ambiguous(
                    text, last_start, start, end, joined[2], None):
                raise _run_together(text, last_start, joined[0], joined[1])
            if tail_joined is not None:
                raise _run_together(text, *tail_joined)
            caps.append(text[start:end])
            caps += sub
            pos, last_start, last_end = after, tail_start, tail_end
            i = stops[i]
        return pos, caps

    def _search(self, text: str, i: int, start: int, before: int | None):
        """The first end of the string or stack of step ``i`` starting at ``start`` from which
        the steps after it, up to its stop, match, among those not tried from the later start
        ``before`` (when given): (end, where they end, their texts, their last conversion's start
        and end, two that touch), or None."""
        _, _, _, search, literal, _, newline, _ = self.steps[i]
        stop = self.stops[i]
        if literal and search == "any" and not newline and before is None:
            # (the usual string: ended by the text after it; the generator below, inline)
            run = self._tail
            end = text.find(literal, start)
            size = len(literal)
            while end >= 0:
                sub: list = []
                after, tail_start, tail_end, tail_joined = run(text, end + size, i + 1, stop, sub,
                                                               start, end)
                if after >= 0:
                    return end, after, sub, tail_start, tail_end, tail_joined
                end = text.find(literal, end + 1)
            return None
        for end in _ends(text, start, search, literal, newline, i + 1 == stop):
            # (from a later start ``before``, a string's ends from ``before`` on were tried, a
            # stack's after a newline from ``before`` on)
            if before is not None and (end > before if search == "lines" else end >= before):
                return None
            sub: list = []
            after, tail_start, tail_end, tail_joined = self._tail(
                text, end + len(literal), i + 1, stop, sub, start, end)
            if after >= 0:
                return end, after, sub, tail_start, tail_end, tail_joined
        return None

    def _tail(self, text: str, pos: int, i: int, stop: int, caps: list, last_start: int,
              last_end: int):
        """:meth:`_run` of the numbers after a string or a stack that ends at ``pos`` (or where
        they fail, known without reading them again).  A number's expression starts with
        ``\\s*`` and its text with no blank, so from any place among the blanks before it its
        steps read the same and end the same (an integer's from any of its digits too, but the
        last two): numbers that failed from one of them fail from all (``joined`` matters only to
        numbers that matched).  Each end of a string among k blanks read them again: time k
        squared (a key of 8,000 blanks before a ``%@d`` took 0.9 s, a string of 64 KiB a
        minute)."""
        failed = self._failed
        if failed and i < stop:
            known = failed.get((i, stop))
            if known is not None:
                low, high = known
                if low <= pos <= high:
                    return -1, last_start, last_end, None
                if pos < low and _BLANKS.match(text, pos, low).end() == low:
                    failed[i, stop] = (pos, high)
                    return -1, last_start, last_end, None
        found = self._run(text, pos, i, stop, caps, last_start, last_end)
        first = text[pos:pos + 1]  # (a place before no blank and no number has nothing to keep)
        if found[0] < 0 and i < stop and (first.isspace() or first.isalnum() or first in "-+."):
            head = self.steps[i][0]
            m = head.match(text, pos)
            if m is None:
                high = _BLANKS.match(text, pos).end()
            elif head in _FLOAT_HEADS:
                high = m.start(1)
            else:
                # (and from any place in an integer's digits but its last two, the same digits
                # to the same end: a key of 16,000 digits before a digit took 0.75 s; from the
                # last two a hex's 0x may begin, f0x1 read from the 0)
                high = max(m.start(1), m.end(1) - 2)
            if high > pos:
                failed[i, stop] = (pos, high)
        return found

    def _run(self, text: str, pos: int, i: int, stop: int, caps: list, last_start: int,
             last_end: int):
        """Steps ``i`` to ``stop`` (numbers and texts, none a string nor a stack) from ``pos``:
        (where they end or -1, the last conversion's text's start and end, (where, pair, what)
        of the first two that touch and could have met elsewhere, or None)."""
        steps = self.steps
        joined_at = None
        while i < stop:
            head, _, table, _, literal, fit, newline, joined = steps[i]
            i += 1
            m = head.match(text, pos)
            if m is None:
                if not table:
                    return -1, last_start, last_end, None
                end = _table_end(text, pos, literal, newline)
                if end < 0:
                    return -1, last_start, last_end, None
                caps.append(None)
                caps.append(text[pos:end])
                # (a table starts with its header's blanks and ends with a newline: it runs
                # together with nothing)
                last_start = last_end = -1
                pos = end + len(literal)
                continue
            start, end = m.span(1)
            caps.append(m.group(1))
            if table:
                caps.append(None)
            if joined is not None and joined_at is None and start == last_end and _ambiguous(
                    text, last_start, start, end, joined[2], joined[3]):
                joined_at = (last_start, joined[0], joined[1])
            last_start, last_end = start, end
            if fit >= 0:            # (the text's first character not a blank: one place)
                at = m.end() - fit
                if at < end or not text.startswith(literal, at):
                    return -1, last_start, last_end, None
                pos = at + len(literal)
            else:
                pos = _last_fit(text, literal, end, m.end(), newline)
                if pos < 0:
                    return -1, last_start, last_end, None
        return pos, last_start, last_end, joined_at


def search_may_start_earlier(steps: list, i: int, last_end: int) -> bool:
    """Whether the string or stack of step ``i`` may start earlier than where the number before
    it left it: that number gave it blanks, with no text after it or a text of blanks only."""
    if i == 0 or last_end < 0:
        return False
    before = steps[i - 1]
    return before[3] is None and before[1] is not None and before[5] < 0


def _earlier_starts(text: str, literal: str, start: int, latest: int):
    """The places, latest first and before ``latest``, where a string may start after a number
    ending at ``start`` followed by blanks and ``literal`` (blanks only, or nothing), which
    ``latest`` was the last of."""
    size = len(literal)
    if not size:
        yield from range(latest - 1, start - 1, -1)
        return
    at = text.rfind(literal, start, latest - 1)
    while at >= 0:
        yield at + size
        at = text.rfind(literal, start, at + size - 1)


def _fit(literal: str, blanks) -> int:
    """How ``literal`` follows a conversion that leaves it ``blanks``: -1 when it is made of such
    blanks only, or empty (it may start at any of them), else how many such blanks it starts
    with (it starts at one place)."""
    if blanks is None:
        return 0
    lead = blanks.match(literal).end()
    return -1 if lead == len(literal) else lead


def _last_fit(text: str, literal: str, start: int, after: int, newline: bool) -> int:
    """Where a literal made of blanks only ends when it starts at the last place among the blanks
    ``text[start:after]`` where it matches (and leaves a newline after it, ``newline``); -1 when
    it matches nowhere there."""
    size = len(literal)
    if not size:
        if not newline or text.startswith("\n", after):
            return after
        at = text.rfind("\n", start, after)
        return at
    at = text.rfind(literal, start, after)
    while at >= 0 and newline and not text.startswith("\n", at + size):
        at = text.rfind(literal, start, at + size - 1)
    return at if at < 0 else at + size


def _ends(text: str, start: int, search: str, literal: str, newline: bool, last: bool):
    """The places a string (``search`` "any") or a stack ("lines") starting at ``start`` may end,
    shortest first, each followed by ``literal`` (and a newline, ``newline``)."""
    if search == "lines":
        if not text.startswith("\n", start):
            return
        end = start + 1
        while True:
            if text.startswith(literal, end) and (not newline or text.startswith(
                    "\n", end + len(literal))):
                yield end
            at = text.find("\n", end)
            if at < 0:
                return
            end = at + 1
    if not literal:
        if last and not newline:
            yield start             # (nothing after it to match: the shortest, as .*? was)
            return
        for end in range(start, len(text) + 1):
            if not newline or text.startswith("\n", end):
                yield end
        return
    end = text.find(literal, start)
    while end >= 0:
        if not newline or text.startswith("\n", end + len(literal)):
            yield end
        end = text.find(literal, end + 1)


def _table_end(text: str, pos: int, literal: str, newline: bool) -> int:
    """Where a histogram's table starting at ``pos`` ends, as the expression of the table matched
    before the text after it (``\\s*value\\s+-+ Distribution -+\\s+count\\s*\\n``, its rows, one
    more newline if there is one: the latest end first); -1 when there is none."""
    m = _HIST_HEADER.match(text, pos)
    if m is None:
        return -1
    after = m.end()
    blanks_end = _BLANKS.match(text, after).end()
    newline_at = text.rfind("\n", after, blanks_end)
    while newline_at >= 0:
        rows = [newline_at + 1]
        while True:
            row = _HIST_ROW.match(text, rows[-1])
            if row is None:
                break
            rows.append(row.end())
        for end in reversed(rows):
            for stop in ((end + 1, end) if text.startswith("\n", end) else (end,)):
                if text.startswith(literal, stop) and (not newline or text.startswith(
                        "\n", stop + len(literal))):
                    return stop
        newline_at = text.rfind("\n", after, newline_at)
    return -1


#: How far from the border two touching texts have another border is looked for (a number
#: longer than this is not what dtrace prints, and the look stays linear).
_SHIFT = 64


def _ambiguous(text: str, first: int, border: int, end: int, first_text, second_text) -> bool:
    """Whether the texts ``text[first:border]`` and ``text[border:end]`` of two conversions that
    touch could have met at another border, each still what its conversion prints
    (``first_text``, ``second_text``: the expression of the whole text, None for a string)."""
    if first_text is None:
        # (a string ended at the first border after which the other matched: only a later one)
        low, high = border + 1, end
    elif second_text is None:
        # (a number took all it could: only an earlier border)
        low, high = first, border - 1
    else:
        low, high = first, end
    for at in range(max(low, border - _SHIFT), min(high, border + _SHIFT) + 1):
        if at != border and (first_text is None or first_text.fullmatch(text, first, at)) and (
                second_text is None or second_text.fullmatch(text, at, end)):
            return True
    return False


def why_run_together(pair: str, what: str) -> str:
    """Why an entry of a format printing ``pair`` (two conversions with nothing between them, or
    a number and the text after it) may not be read: ``what`` they print."""
    return (f"its {pair} print {what} with nothing between them, which dtrace's output does not "
            "tell apart")


def _what(first: str, second: str) -> str:
    return "numbers" if first in NUMBERS and second in NUMBERS else "texts"


def _run_together(text: str, where: int, pair: str, what: str) -> RunTogether:
    return RunTogether(f"printa output runs two conversions together at {text[where:where + 60]!r} "
                       f"({why_run_together(pair, what)})")
