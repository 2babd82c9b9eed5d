"""Review 20: a new user porting classic DTrace tools to the DSL (execsnoop, opensnoop, syscall
latency, bytes by process, on-CPU time, io latency, a profile sampler, a pid-provider tracer).

Each test fails on the code before its fix (see /work/review20.md)."""

from __future__ import annotations

import pytest

from real_dtrace import judge_scripts
from test_check_rules import assert_dtrace_judges_both_ways, assert_flagged_at_its_place

B = "\nBEGIN { exit(0); }"

# --- R1: a typedef name as a key type before a ',' in an associative array's declaration -----------

TYPEDEF_KEYS = {
    "io latency keyed by device and block": ("uint64_t start[dev_t, uint64_t];" + B, "declaration", "1:16",
                                             "uint64_t start[unsigned long long, uint64_t];" + B),
    "a middle key": ("uint64_t st[int, uint64_t, string];" + B, "declaration", "1:18",
                     "uint64_t st[int, string, uint64_t];" + B),
    "a thread-local": ("self int n[size_t, int];" + B, "declaration", "1:12",
                       "self int n[size_t *, int];" + B),
    "the program's own typedef": ("typedef int myt;\nint n[myt, int];" + B, "declaration", "2:7",
                                  "typedef int myt;\nint n[myt const, int];" + B),
}


@pytest.mark.parametrize("name", sorted(TYPEDEF_KEYS))
def test_a_typedef_key_before_a_comma_is_refused_at_its_place(name):
    """`uint64_t start[dev_t, uint64_t];` (an io-latency tracer's declaration): dtrace says only
    "syntax error near ","" (its lexer returns a typedef name as an identifier once the declared
    name is read), where check and compile said nothing."""
    assert_flagged_at_its_place(TYPEDEF_KEYS, name)


def test_the_real_dtrace_refuses_each_typedef_key_and_accepts_its_variant():
    assert_dtrace_judges_both_ways(TYPEDEF_KEYS)


def test_the_last_key_a_pointer_and_a_single_key_are_taken_by_dtrace_and_by_check():
    from test_check_rules import errors

    taken = ["uint64_t a[int, dev_t];", "uint64_t a[dev_t];", "uint64_t a[dev_t *, int];",
             "uint64_t a[struct task_struct *, int];", "uint64_t a[string, int, dev_t];"]
    for text in taken:
        assert [f for f in errors(text + B) if f.check == "declaration"] == [], text
    verdicts = judge_scripts({text: {"text": text + B + "\n"} for text in taken})
    assert all(v is None for v in verdicts.values()), verdicts


def test_a_tracer_declaring_a_typedef_key_first_fails_at_its_declare_line(tmp_path, capsys):
    from dtracepy.cli import main

    tracer = tmp_path / "iolat.py"
    tracer.write_text(
        "from dtracepy import Tracer, args, glob, timestamp\n"
        "t = Tracer()\n"
        "t.declare('start', 'uint64_t', keys=('dev_t', 'uint64_t'))\n"
        "@t.probe('io:::start')\n"
        "def start():\n"
        "    glob.start[args[0].b_edev, args[0].b_blkno] = timestamp\n")
    assert main(["compile", str(tracer)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tracer}:3: error: dev_t, a typedef name, is a key type"), err


# --- R2: the table showed a %x / %p / %o column in decimal -------------------------------------

def test_the_table_shows_a_hex_column_as_its_format_prints_it():
    """A malloc tracer's record `("Ptr", "0x%x")`: dtrace -s prints `0x560f769b92a0`, the table of
    `dtracepy run` printed `94145004061344`.  The row's value stays an int."""
    import io

    from dtracepy.run.decode import row_class
    from dtracepy.run.framing import RecordSpec, column
    from dtracepy.run.output import writer

    spec = RecordSpec(0, "r", (column("Func", "%s"), column("Ptr", "0x%x"), column("IP", "0x%08x"),
                               column("P", "%p"), column("Mode", "%#o"), column("Neg", "%x"),
                               column("Pad", "%.4x"), column("Size", "%d")))
    row = row_class(spec)("malloc", 0x560F769B92A0, 0x0100007F, 255, 0o644, 2**64 - 1, 10, 42)
    out = io.StringIO()
    w = writer("table", out)
    w.event(row)
    assert out.getvalue().splitlines()[1].split() == [
        "malloc", "0x560f769b92a0", "0x0100007f", "ff", "0644", "ffffffffffffffff", "000a", "42"]
    assert row.Ptr == 0x560F769B92A0


# --- R3: members Oracle's psinfo_t / lwpsinfo_t translators leave undefined --------------------

def test_the_untranslated_members_are_those_dtrace_refuses():
    """Each member of psinfo_t and lwpsinfo_t, read through curpsinfo/curlwpsinfo and through
    proc:::signal-send's args[1]: refused by Oracle's dtrace exactly when the facts say so."""
    from dtracepy.facts import translated as Tr

    missing = Tr.UNTRANSLATED_BY_DIALECT["oracle"]
    jobs = {}
    for var, struct in (("curpsinfo", "psinfo_t"), ("curlwpsinfo", "lwpsinfo_t")):
        for member in Tr.TYPES[struct]:
            jobs[f"{struct} {member} {var}"] = {"text": f"BEGIN {{ trace({var}->{member}); exit(0); }}\n"}
    for member in Tr.TYPES["psinfo_t"]:
        jobs[f"psinfo_t {member} args[1]"] = {"text": f"proc:::signal-send {{ trace(args[1]->{member}); }}\n"}
    verdicts = judge_scripts(jobs)
    wrong = [f"{var}->{member}: dtrace: {verdicts[key] or 'accepted'}"
             for key in jobs for struct, member, var in [key.split(" ")]
             if (verdicts[key] is not None and "does not define conversion" in verdicts[key])
             != (member in missing[struct])]
    assert not wrong, "\n".join(wrong)


def test_an_untranslated_member_is_an_error_for_oracle_only():
    from test_check_rules import errors

    text = ('proc:::exec-success { printf("%s %s\\n", curpsinfo->pr_psargs, curpsinfo->pr_fname); '
            'trace(curlwpsinfo->pr_nice); trace(curlwpsinfo->pr_pri); }')
    found = errors(text, dialect="oracle", dialect_given=True)
    assert [(f.check, f.pos.col) for f in found] == [("dialect-variable", 41), ("dialect-variable", 91)], found
    assert "psinfo_t translator does not define pr_psargs" in found[0].message
    assert errors(text) == []                                  # (illumos defines them all)


def test_execsnoop_with_psargs_fails_at_its_line_when_compiled_for_oracle(tmp_path, capsys):
    """`curpsinfo.pr_psargs` (execsnoop as on illumos): `compile --dialect oracle --check` said
    nothing; `run` started dtrace, which refused it."""
    from dtracepy.cli import main

    tracer = tmp_path / "execsnoop.py"
    tracer.write_text(
        "from dtracepy import Tracer, curpsinfo, execname, printf\n"
        "t = Tracer(options={'quiet': True})\n"
        "@t.probe('proc:::exec-success')\n"
        "def exec_():\n"
        "    printf('%s %s\\n', execname, curpsinfo.pr_psargs)\n")
    assert main(["compile", str(tracer)]) == 0
    capsys.readouterr()
    assert main(["compile", "--dialect", "oracle", str(tracer)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tracer}:5: error: curpsinfo->pr_psargs: "), err


# --- N3: a framed entry of the wrong number of fields blamed a string key only ---------------------

def test_a_broken_framed_entry_names_both_causes():
    """Oracle's dtrace aborts `printa("%A %@d\\n", @ufn)` of a ufunc() key ("processing aborted:
    Data record list does not match statement"); the warning said only that a string key held
    the separator byte."""
    from dtracepy.run.aggregations import parse_framed

    with pytest.raises(ValueError) as raised:
        parse_framed("\x1eK\x1fa\x1fb\x1f3\n", ("str", "agg"), ("a",))
    assert "3 fields, not 2" in str(raised.value) and "dtrace broke off the printa" in str(raised.value)


# --- N4: ufunc()/func() entries merged in the default format were blamed on string keys ------------

def test_symbol_keys_merged_say_why():
    """hotuser (`@[ufunc(arg1)] = count()`): Oracle keeps an entry per address and prints those of
    one function under one name; the run warned "string keys holding spaces cannot be told
    apart", which was not the cause.  The counts add up, as they should."""
    from dtracepy import parse
    from dtracepy.run.decode import decode_block
    from dtracepy.run.framing import Plan, PrintaSpec, aggregation_info

    program = parse("profile-997 /arg1/ { @u[ufunc(arg1)] = count(); }", "hot.d")
    plan = Plan(aggs=aggregation_info(program))
    lines = ["", "  libc.so.6`malloc                    3", "  libc.so.6`malloc                    4",
             "  spin`main                           2"]
    aggs, doubt = decode_block(PrintaSpec(0, ("u",), None), lines, plan)
    assert dict(aggs["u"]) == {("libc.so.6`malloc",): 7, ("spin`main",): 2}
    assert "symbol key" in doubt and "added up" in doubt and "spaces" not in doubt, doubt
