"""Session 22, formats23: a printf of two million conversions (review22's P2).

``check`` of ``BEGIN { printf("%d%d...%d", 1); }`` at 4 MiB took 9.8 s and 490 MB: the format
was read character by character into one object per conversion.  Now the printf check reads a
format only up to its conversion past the 7,999 arguments a call can be given (dtrace runs no
printf of 8,000 arguments; the lexer reads no longer list) and refuses it there, located at the
conversion; and a conversion written again is read once, as one shared object (printa's ``%@d``
take no argument: dtrace -e takes a printa of 4 MiB of them).

Each test fails on the code before the fix (memory is counted with tracemalloc, not timed).
"""

from __future__ import annotations

import tracemalloc

import pytest
from tests.check_findings import findings

from dtracepy.facts.conversions import FormatError, parse_format


def _peak(work) -> int:
    findings("BEGIN { printf(\"%d\", 1); }\n")  # (the checks' tables, loaded once, are not this test's)
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_printf_of_more_conversions_than_a_call_takes_is_refused_at_the_conversion():
    text = 'BEGIN { printf("' + "%d" * 20_000 + '", 1); }\n'
    found = findings(text)
    assert len(found) == 1, found
    finding = found[0]
    assert finding.check == "printf-args"
    assert "conversion #8,000 '%d'" in finding.message and "at most 7,999" in finding.message
    assert "failed to create BPF map 'mem': Too big" in finding.message
    # located at the conversion: the opening quote is column 16, the conversion's offset 15,998
    assert (finding.pos.line, finding.pos.col) == (1, 16 + 1 + 15_998)


def test_stars_count_as_arguments():
    found = findings('BEGIN { printf("' + "%*d" * 5_000 + '", 1); }\n')
    assert [f.check for f in found] == ["printf-args"]
    assert "conversion #4,000 '%*d'" in found[0].message and "argument #8,000" in found[0].message


def test_after_an_escape_the_refusal_stands_at_the_format():
    found = findings('BEGIN { printf("\\n' + "%d" * 9_000 + '", 1); }\n')
    assert "conversion #8,000" in found[0].message
    assert (found[0].pos.line, found[0].pos.col) == (1, 16)


def test_a_format_of_as_many_conversions_as_a_call_takes_is_judged_as_before():
    found = findings('BEGIN { printf("' + "%d" * 7_999 + '", 1); }\n')
    assert [f.check for f in found] == ["printf-args"]
    assert "too few arguments" in found[0].message and "takes 7999, 1 given" in found[0].message


def test_the_printf_check_reads_a_4_mib_format_in_little_memory():
    text = 'BEGIN { printf("' + "%d" * 2_000_000 + '", 1); }\n'
    peak = _peak(lambda: findings(text))
    assert peak < 60_000_000, peak  # (was 480 MB)


def test_printa_reads_a_format_of_many_conversions_in_little_memory():
    text = 'BEGIN { @a[1] = count(); printa("' + "%@d" * 300_000 + '", @a); }\n'
    found = []
    peak = _peak(lambda: found.extend(findings(text)))
    assert found == []
    assert peak < 20_000_000, peak  # (was 75 MB: an object per conversion)


def test_printa_judges_a_repeated_conversion_as_before():
    found = findings('BEGIN { @a[1] = count(); printa("%d %@s %@s %@d\\n", @a); }\n')
    assert [f.check for f in found] == ["printf-type"]
    assert "'%@s' prints the value of @a" in found[0].message


def test_a_conversion_written_again_is_one_object():
    convs = parse_format("%d %5s %d %ld %5s %%d %ld", located=False)
    assert [c.text for c in convs] == ["%d", "%5s", "%d", "%ld", "%5s", "%ld"]
    assert convs[0] is convs[2] and convs[1] is convs[4] and convs[3] is convs[5]
    assert all(c.start == -1 for c in convs)
    # as read one by one (located: each its own, with where it starts)
    located = parse_format("%d %5s %d %ld %5s %%d %ld")
    assert located == convs and [c.start for c in located] == [0, 3, 7, 10, 14, 22]
    assert [(c.flags, c.width, c.size) for c in located] == [(c.flags, c.width, c.size) for c in convs]


@pytest.mark.parametrize("fmt", ["%d%**d", "%d%.3.4d", "%d%Lx", "%d%z", "%d%", "%d%5"])
def test_a_shared_read_refuses_what_a_located_read_refuses(fmt):
    with pytest.raises(FormatError) as located:
        parse_format(fmt)
    with pytest.raises(FormatError) as shared:
        parse_format(fmt, located=False)
    assert str(located.value) == str(shared.value)


def test_most_stops_the_read_at_the_conversion_past_it():
    from dtracepy.facts.conversions import TooManyArguments

    with pytest.raises(TooManyArguments) as err:
        parse_format("%d%%%*d%d%z", located=False, most=3)
    assert (err.value.number, err.value.start, err.value.text) == (3, 7, "%d")
    assert len(parse_format("%d%*d", located=False, most=3)) == 2


def test_the_real_dtrace_refuses_a_format_of_8000_conversions_given_one_argument():
    from tests.real_dtrace import compile_scripts, need_dtrace

    need_dtrace()
    text = 'BEGIN { printf("' + "%d" * 8_000 + '", 1); }\n'
    why = compile_scripts({"f": text})["f"]
    assert why is not None and "is missing a corresponding value argument" in why, why
