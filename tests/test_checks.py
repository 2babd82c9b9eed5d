"""Checks over D programs (issue 5): one test per behaviour, from D text and from hand-built trees."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from dtracepy import tree as t
from dtracepy.checks import CheckOptions, Finding, check_program
from dtracepy.checks.printf import FormatError, parse_format
from dtracepy.checks.registry import BY_NAME, CHECKS
from dtracepy.checks.safety import probe_desc_problem
from dtracepy.errors import DSyntaxError
from dtracepy.parser import parse
from dtracepy.source import Pos

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "checks"
REPO = pathlib.Path(__file__).resolve().parent.parent


def check(text, **options):
    return check_program(parse(text, "x.d"), CheckOptions(**options), source=text)


def names(text, **options):
    return [f.check for f in check(text, **options)]


def only(text, name, **options):
    return [f for f in check(text, **options) if f.check == name]


# --- the seed's bug pattern ---------------------------------------------------------------------


def test_seed_pattern_reports_the_typo_and_the_leak_and_nothing_else():
    path = FIXTURES / "leak_typo.d"
    text = path.read_text()
    findings = check_program(parse(text, str(path)), CheckOptions(), source=text)
    rendered = [f.render() for f in findings]
    assert len(findings) == 2, rendered
    leak, typo = sorted(findings, key=lambda f: f.check)
    assert leak.check == "self-leak" and leak.severity == "error"
    assert "self->peerPort" in leak.message and "fbt:ip:tcp_input_listener:return" in leak.message
    assert leak.pos.line == 26 and leak.pos.col == 2
    assert typo.check == "self-zero-unassigned"
    assert "self->peerPrt" in typo.message and "did you mean self->peerPort?" in typo.message
    assert str(typo.pos) == f"{path}:53:2"
    assert rendered[0].startswith(f"{path}:26:2: error: self->peerPort is assigned at")
    assert rendered[0].endswith("[self-leak]")


def test_clean_script_has_no_findings():
    text = (FIXTURES / "clean.d").read_text()
    assert check(text) == []


# --- lifecycle ----------------------------------------------------------------------------------


def test_assigned_but_never_read():
    found = only("syscall::read:entry { self->x = 1; }\nsyscall::read:return { self->x = 0; }", "self-unused")
    assert [f.pos.line for f in found] == [1]
    assert found[0].severity == "warning"


def test_leak_without_cleanup_clause_is_a_warning():
    found = only("syscall::read:entry { self->ts = timestamp; }\n"
                 "syscall::read:return /self->ts/ { trace(timestamp - self->ts); }", "self-leak")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "syscall::read:return" in found[0].message


def test_zeroed_elsewhere_is_no_leak():
    text = ("fbt::tcp_conn_request:entry { self->t = arg0; }\n"
            "syscall::accept:return /self->t/ { trace(self->t); self->t = 0; }")
    assert only(text, "self-leak") == []


def test_read_in_return_without_guard_can_fire_before_assignment():
    text = ("syscall::read:entry { self->ts = timestamp; }\n"
            "syscall::read:return { @ = quantize(timestamp - self->ts); self->ts = 0; }")
    found = only(text, "self-read-unset")
    assert [(f.pos.line, f.severity) for f in found] == [(2, "warning")]


def test_read_after_assignment_in_earlier_clause_of_same_probe_is_fine():
    text = ("fbt:ip:f:entry { self->a = arg0; }\n"
            "fbt:ip:f:entry { trace(self->a); }\n"
            "fbt:ip:f:return { self->a = 0; }")
    assert only(text, "self-read-unset") == []


def test_counter_only_incremented_is_not_read_unset():
    text = "pid$target:::entry { trace(self->depth); self->depth++; }\npid$target:::return { self->depth--; }"
    assert only(text, "self-read-unset") == []


def test_read_never_assigned_is_an_error_with_suggestion():
    found = only("syscall::read:entry { self->start = 1; }\n"
                 "syscall::read:return /self->strat/ { self->start = 0; }", "self-undefined")
    assert len(found) == 1 and found[0].severity == "error"
    assert "did you mean self->start?" in found[0].message


def test_declared_thread_local_is_defined():
    assert only("self int x;\nBEGIN { trace(self->x); }", "self-undefined") == []


# --- printf -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,expected", [
    ("%d %s\\n", 2), ("%%d", 0), ("%-*.*lld", 3), ("%@d", 1), ("%5.2f %#x %08X", 3),
    ("%'d %?p % d %+d", 4), ("%hu %hd %lu %Lf %ws %wc %llx", 7), ("%k %Y %T %S %C %a %A", 7),
])
def test_parse_format_counts_conversions_and_stars(fmt, expected):
    fmt = fmt.replace("\\n", "\n")
    convs = parse_format(fmt)
    assert sum(c.stars + (0 if c.agg else 1) for c in convs) + sum(1 for c in convs if c.agg) == expected


C_ONLY_SIZES = {"%hhd": "%h", "%zu": "%z", "%jd": "%j", "%td": "%t"}


@pytest.mark.parametrize("conv", sorted(C_ONLY_SIZES))
def test_c_size_prefixes_d_has_not_are_unknown_conversions(conv):
    """C's hh, z, j and t were taken as D's size prefixes; D has h, l, ll, L, w only, and dtrace
    refuses the others ("format conversion #1 is undefined: %z")."""
    with pytest.raises(FormatError) as err:
        parse_format(conv + "\n")
    assert str(err.value) == f"unknown conversion {C_ONLY_SIZES[conv]!r}"
    found = only(f'BEGIN {{ printf("{conv}\\n", 1); exit(0); }}', "printf-format")
    assert [f.severity for f in found] == ["error"], found


def test_the_real_dtrace_refuses_c_size_prefixes_and_takes_ds():
    from real_dtrace import judge_scripts

    jobs = {conv: {"text": f'BEGIN {{ printf("{conv}\\n", 1); exit(0); }}\n'} for conv in C_ONLY_SIZES}
    jobs["D's"] = {"text": 'BEGIN { printf("%d %hd %ld %lld %hu\\n", 1, (short)1, 1L, 1LL, (unsigned short)1); exit(0); }\n'}
    verdicts = judge_scripts(jobs)
    assert all(verdicts[conv] and "undefined" in verdicts[conv] for conv in C_ONLY_SIZES), verdicts
    assert verdicts["D's"] is None, verdicts


@pytest.mark.parametrize("fmt", ["%q", "%", "abc %5"])
def test_parse_format_rejects_bad_conversions(fmt):
    with pytest.raises(FormatError):
        parse_format(fmt)


@pytest.mark.parametrize("fmt", ["%1$d", "%3$d", "%*1$d", "%.*1$d"])
def test_printf_positional_conversions_are_an_error(fmt):
    """Every D compiler (dt_printf.c) rejects `%n$` ("unsupported positional format"), in printf
    and printa alike; the corpus's err.D_SYNTAX.badconv1.d and explicit_arg*.d say so."""
    found = only('BEGIN { printf("%s\\n", 123); }' % fmt, "printf-format")
    assert len(found) == 1 and found[0].severity == "error" and "positional" in found[0].message, found
    assert only('BEGIN { @a = count(); printa("%s %%@d\\n", @a); }' % fmt, "printf-format") != []


def test_printf_too_few_and_too_many_arguments():
    few = only('BEGIN { printf("%d %d\\n", 1); }', "printf-args")
    many = only('BEGIN { printf("%d\\n", 1, 2); }', "printf-args")
    assert len(few) == 1 and "too few" in few[0].message and few[0].severity == "error"
    assert len(many) == 1 and "too many" in many[0].message


def test_printf_star_width_takes_an_argument():
    assert only('BEGIN { printf("%*d\\n", 5, 1); }', "printf-args") == []
    assert only('BEGIN { printf("%*d\\n", 1); }', "printf-args") != []
    assert only('BEGIN { printf("%*d\\n", "w", 1); }', "printf-type") != []


def test_printf_types_where_known():
    found = only('BEGIN { printf("%s %d %d\\n", 42, "x", pid); }', "printf-type")
    assert [f.pos.col for f in found] == [30, 34]
    assert only('BEGIN { printf("%s %s\\n", execname, stringof(arg0)); }', "printf-type") == []
    assert only('BEGIN { printf("%s\\n", self->unknown_type); }', "printf-type") == []


def test_agg_conversion_outside_printa():
    assert names('BEGIN { printf("%@d\\n", 1); }') == ["printf-agg-conv"]
    assert only('BEGIN { @a = count(); printa("%@d\\n", @a); }', "printf-agg-conv") == []


def test_printa_key_count_and_stack_keys():
    text = 'BEGIN { @a[1] = count(); printa("%d %d %@d\\n", @a); }'
    assert len(only(text, "printf-args")) == 1
    text = 'BEGIN { @[stack()] = count(); printa("%p %@d\\n", @); }'
    assert len(only(text, "printf-type")) == 1
    text = 'BEGIN { @[stack()] = count(); printa("%k %@d\\n", @); }'
    assert only(text, "printf-type") == []


def test_printa_needs_aggregations():
    assert names('BEGIN { printa("%d", 123); }') == ["printa-args"]
    assert names('BEGIN { printa("%d"); }') == ["printa-args"]


def test_system_is_printf_like():
    assert "printf-args" in names('#pragma D option destructive\nBEGIN { system("kill %d"); }')


# --- names --------------------------------------------------------------------------------------


def test_keyword_used_as_identifier_in_a_built_tree():
    # An Ident cannot hold a keyword at all (the tree refuses it); after -> a keyword is a name to
    # the tree, as Oracle's lexer reads it, and the check says what the other compilers think.
    with pytest.raises(DSyntaxError, match="'counter' is a D keyword"):
        t.Ident("counter", pos=Pos("x.d", 2, 3))
    prog = t.Program([t.Clause([t.ProbeDesc("BEGIN")], None,
                               [t.ExprStmt(t.Assign("=", t.SelfVar("counter", pos=Pos("x.d", 2, 3)), t.IntLit("1")))])])
    found = [f for f in check_program(prog) if f.check == "keyword-name"]
    assert len(found) == 1 and found[0].severity == "error" and str(found[0].pos) == "x.d:2:3"


def test_clause_local_read_before_assignment():
    text = "BEGIN { trace(this->x); this->x = 1; }"
    found = only(text, "this-unset", disabled=frozenset({"used-before-assigned"}))
    assert len(found) == 1 and found[0].pos.col == 15
    # above any assignment in the text, dtrace refuses it: said once, as that error
    assert [(f.check, f.severity, f.pos.col) for f in check(text) if "this->x" in f.message] == \
        [("used-before-assigned", "error", 15)]
    assert only("BEGIN { this->x = 1; }\nBEGIN { trace(this->x); }", "this-unset") == []
    # assigned above in the text, but by a clause of another probe: a warning, not a refusal
    text = "BEGIN { this->x = 1; }\ntick-1s { trace(this->x); }"
    assert [(f.check, f.severity) for f in check(text)] == [("this-unset", "warning")]


def test_macro_arguments_beyond_those_given():
    text = "BEGIN { trace($1); trace($3); }\npid$2:::entry { }"
    assert [f.message.split()[0] for f in only(text, "macro-arg", macro_args=1)] == ["$3", "$2"] or \
        sorted(f.message.split()[0] for f in only(text, "macro-arg", macro_args=1)) == ["$2", "$3"]
    assert only(text, "macro-arg") == []  # unknown: say nothing
    assert only("/* dtracepy: args=3 */\n" + text, "macro-arg") == []
    assert len(only("/* dtracepy: args=1 */\n" + text, "macro-arg")) == 2
    assert only("#pragma D option defaultargs\n" + text, "macro-arg", macro_args=0) == []


def test_aggregation_with_two_functions_or_key_counts():
    assert len(only("BEGIN { @a = count(); }\nEND { @a = max(0); }", "agg-mismatch")) == 1
    assert len(only("BEGIN { @a[1] = count(); @a[1, 2] = count(); }", "agg-mismatch")) == 1
    assert only("BEGIN { @a[1] = count(); @a[2] = count(); }", "agg-mismatch") == []


def test_unknown_function_and_arity():
    found = only("BEGIN { x = strln(\"a\"); }", "unknown-function")
    assert len(found) == 1 and "did you mean strlen()?" in found[0].message
    assert [f.message for f in only("BEGIN { @ = count(1); }", "call-arity")] == ["count() takes 0 arguments, 1 given"]
    assert only("BEGIN { @ = lquantize(1, 0, 10); @ = lquantize(1, 0, 10, 1); }", "call-arity") == []


def test_macro_defined_functions_are_not_unknown():
    text = "#define MIN(a, b) ((a) < (b) ? (a) : (b))\nBEGIN { trace(MIN(1, 2)); }"
    assert only(text, "unknown-function") == []


SCOPED_CALLS = {"`system": 'BEGIN { system("id"); `system("id"); }', "genunix`system": 'BEGIN { genunix`system("id"); }',
                "`trace": "BEGIN { `trace(1); }"}


def test_a_call_of_a_kernel_symbol_is_an_unknown_function():
    """`system("id") printed from a raw tree.Call: dtrace says "undefined function name: `system";
    check passed it (and compile printed it)."""
    for shown, text in SCOPED_CALLS.items():
        found = only(text, "unknown-function")
        assert [f.message.split("()")[0] for f in found] == [shown] and f"undefined function name: {shown}" in \
            found[0].message and found[0].severity == "error", found


def test_the_real_dtrace_refuses_calls_of_kernel_symbols():
    from real_dtrace import judge_scripts

    jobs = {shown: {"text": "#pragma D option destructive\n" + text + "\n"} for shown, text in SCOPED_CALLS.items()}
    jobs["its own"] = {"text": 'BEGIN { trace(strlen("id")); exit(0); }\n'}
    verdicts = judge_scripts(jobs)
    assert all(f"undefined function name: {shown}" in (verdicts[shown] or "") for shown in SCOPED_CALLS), verdicts
    assert verdicts["its own"] is None and only(jobs["its own"]["text"], "unknown-function") == [], verdicts


def test_undefined_identifier_but_not_globals_builtins_or_constants():
    found = only("BEGIN { trace(execnam); }", "undefined-name")
    assert len(found) == 1 and "did you mean execname?" in found[0].message
    assert only("BEGIN { n++; i = 1; }\nEND { trace(n + i + pid + SIGKILL); }", "undefined-name") == []
    assert only("inline int MAXX = 4;\nenum e { ONE };\nBEGIN { trace(MAXX + ONE); }", "undefined-name") == []


def test_if_else_only_where_the_dialect_has_it():
    text = "BEGIN { if (pid) { trace(1); } else { trace(2); } }"
    assert only(text, "dialect-if") == []
    found = only(text, "dialect-if", dialect="oracle")
    assert len(found) == 1 and found[0].severity == "error"


def test_anonymous_members_only_where_the_dialect_has_them():
    # Oracle's D 2.0 says 'syntax error near ";"' (checked against it by test_real_corpus)
    text = "union record {\n\tint a;\n\tstruct {\n\t\tint b;\n\t};\n\tlong named;\n} var;\nBEGIN { var.a = 1; }"
    for dialect in ("illumos", "freebsd", "macos"):
        assert only(text, "dialect-anonymous-member", dialect=dialect) == []
    found = only(text, "dialect-anonymous-member", dialect="oracle")
    assert [(f.severity, f.pos.line, f.pos.col) for f in found] == [("error", 3, 2)]


# --- safety -------------------------------------------------------------------------------------


def test_destructive_actions_need_the_option():
    assert names("BEGIN { raise(9); }") == ["destructive"]
    assert names("#pragma D option destructive\nBEGIN { raise(9); }") == []
    assert names("#!/usr/sbin/dtrace -qws\nBEGIN { raise(9); }") == []
    assert names("BEGIN { raise(9); }", destructive=True) == []


@pytest.mark.parametrize("desc", ["BEGIN::read:entry", "BEGIN:tick-1", "profile::::tick-1sec",
                                  "profile:tick-1sec", "profile-1ns", "tick-n", "fbt:a:b:boo",
                                  "pid$1::strlen:beginning", "syscall::read:exit"])
def test_malformed_probe_descriptions(desc):
    assert probe_desc_problem(desc)


@pytest.mark.parametrize("desc", ["BEGIN", "dtrace:::END", "profile-997", "tick-1sec", "profile:::tick-10ms",
                                  "fbt::tcp_*:entry", "pid$target:libc.so.1:malloc:entry", "pid123::f:1c",
                                  "syscall::read*:", "sdt:::tcp-accept", "io:::start"])
def test_good_probe_descriptions(desc):
    assert probe_desc_problem(desc) is None


def test_speculation_rules():
    spec = "BEGIN { s = speculation(); }\n"
    assert names(spec + "tick-1s { speculate(s); printf(\"x\"); }") == []
    assert names(spec + "tick-1s { speculate(s); @a = count(); }") == ["speculation"]
    assert names(spec + "tick-1s { printf(\"x\"); speculate(s); }") == ["speculation"]
    assert names(spec + "tick-1s { speculate(s); exit(0); }") == ["speculation"]
    assert names(spec + "tick-1s { commit(s); trace(1); }") == ["speculation"]
    assert names("#pragma D option destructive\n" + spec + "tick-1s { chill(1); speculate(s); }") == []


# --- silencing, options, the contract -------------------------------------------------------------


def test_ignore_comment_on_the_line_or_the_line_before():
    assert names("BEGIN { raise(9); /* dtracepy: ignore[destructive] */ }") == []
    assert names("BEGIN {\n/* dtracepy: ignore[destructive] */\nraise(9); }") == []
    assert names("BEGIN {\n/* dtracepy: ignore */\nraise(9); }") == []
    assert names("BEGIN {\n/* dtracepy: ignore[printf-args] */\nraise(9); }") == ["destructive"]
    assert names("/* dtracepy: disable[destructive] */\nBEGIN {\n\n\nraise(9); }") == []


def test_disabled_checks_are_skipped():
    assert names("BEGIN { raise(9); }", disabled=frozenset({"destructive"})) == []


def test_findings_are_in_source_order_and_render_with_check_name():
    found = check('BEGIN { printf("%d"); raise(1); }')
    assert [f.check for f in found] == ["printf-args", "destructive"]
    assert found[0].render() == 'x.d:1:9: error: printf(): too few arguments: the format "%d" takes 1, 0 given [printf-args]'
    assert isinstance(found[0], Finding) and found[0].source_line.startswith("BEGIN")


def test_registry_names_are_unique_and_severities_valid():
    assert len(BY_NAME) == len(CHECKS)
    assert all(c.severity in ("error", "warning") for c in CHECKS)


def test_check_program_without_positions_does_not_crash():
    prog = t.Program([t.Clause([t.ProbeDesc("BEGIN")], None,
                               [t.ExprStmt(t.Call(t.Ident("printf"), [t.StringLit("%d %d")]))])])
    found = check_program(prog)
    assert [f.check for f in found] == ["printf-args"] and found[0].pos is None
    assert found[0].render().startswith("error: ")


# --- the command line -----------------------------------------------------------------------------


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "dtracepy", "check", *args], cwd=REPO,
                          capture_output=True, text=True, input=stdin)


def test_cli_reports_findings_and_exit_status():
    proc = run_cli(str(FIXTURES / "leak_typo.d"))
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "leak_typo.d:26:2: error: self->peerPort" in out and "[self-leak]" in out
    assert "leak_typo.d:53:2: warning: self->peerPrt is zeroed but never assigned; did you mean self->peerPort?" in out


def test_cli_warnings_count_only_under_strict_and_disable_works():
    path = str(FIXTURES / "leak_typo.d")
    assert run_cli(path, "--disable", "self-leak").returncode == 0
    assert run_cli(path, "--disable", "self-leak", "--strict").returncode == 1
    assert run_cli(path, "--disable", "self-leak,self-zero-unassigned", "--strict").returncode == 0
    assert run_cli(path, "--disable", "no-such-check").returncode == 2


def test_cli_dialect_and_stdin():
    text = "BEGIN { if (pid) { trace(1); } }\n"
    assert run_cli("-", stdin=text).returncode == 0
    proc = run_cli("--dialect", "oracle", "-", stdin=text)
    assert proc.returncode == 1 and "<stdin>:1:9: error:" in proc.stderr and "[dialect-if]" in proc.stderr


# --- short probe descriptions: D fills the fields from the right -------------------------------

SHORT_FORMS = {
    # description -> what check says (None: nothing), as dtrace -e judges it (below)
    "syscall::read": "did you mean 'syscall::read:entry'?",
    "syscall::read*": "did you mean 'syscall::read*:entry'?",
    "syscall:vmlinux:read": "did you mean 'syscall:vmlinux:read:entry'?",
    "syscall::": "did you mean 'syscall:::'?",
    "syscall:": "did you mean 'syscall:::'?",
    "syscall": "did you mean 'syscall:::'?",
    "proc::exec-success": "did you mean 'proc:::exec-success'?",
    "syscall::read:": None,
    "syscall:::": None,
    "syscall:::entry": None,
    "read:entry": None,
    "::read:entry": None,
    "vmlinux:read:entry": None,
    "tick-1s": None,
    ":tick-1s": None,
}


def _short_form_clause(desc):
    return f"{desc}\n{{\n\texit(0);\n}}\n"


@pytest.mark.parametrize("desc", sorted(SHORT_FORMS))
def test_a_short_description_that_starts_with_a_provider_is_read_from_the_right(desc):
    """``syscall::read`` is ``:syscall::read`` to D (module syscall, probe read): it matches no
    probe, and check says so at the description, with the one meant."""
    found = only(_short_form_clause(desc), "probe-name")
    expected = SHORT_FORMS[desc]
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0].message and "from the right" in found[0].message
        assert (found[0].pos.line, found[0].pos.col) == (1, 1) and found[0].severity == "error"


def test_short_forms_that_name_a_module_probe_are_left_alone():
    # module fbt/dtrace (illumos) with entry/return probes; a pid function named syscall
    for desc in ("fbt::entry", "dtrace::return", "syscall:entry", "ip::receive", "tcp:receive"):
        assert only(_short_form_clause(desc), "probe-name") == [], desc


def test_dtrace_matches_the_short_forms_as_check_says():
    from real_dtrace import judge_scripts

    verdicts = judge_scripts({desc: {"text": _short_form_clause(desc)} for desc in SHORT_FORMS})
    for desc, expected in SHORT_FORMS.items():
        if expected is None:
            assert verdicts[desc] is None, f"{desc}: {verdicts[desc]}"
        else:
            assert verdicts[desc] is not None and "does not match any probes" in verdicts[desc], desc


# --- a write in a clause that runs only while the thread-local is set does not leak it ----------


def test_a_write_guarded_by_the_variables_own_value_is_no_leak():
    """php_syscolors.d's pattern: set once per thread elsewhere, then only updated in clauses whose
    predicate requires it set; such an update takes no new space (it used to be reported as a
    leak "on every firing").  (Set first at a probe with no end, proc:::lwp-start: since session 12 a
    USDT function-entry pairs with its function-return, and a set there guarded by !self->last
    is reported as per-thread state kept on purpose, as at any entry.)"""
    text = ("proc:::lwp-start\n/self->last == 0/\n{\n\tself->last = timestamp;\n}\n\n"
            "syscall:::entry\n/self->last/\n{\n\ttrace(timestamp - self->last);\n\tself->last = timestamp;\n}\n\n"
            "syscall:::return\n/self->last != 0 && pid == 1/\n{\n\ttrace(self->last);\n\tself->last = timestamp;\n}\n")
    assert only(text, "self-leak") == []


def test_an_unguarded_write_at_entry_still_leaks_beside_guarded_ones():
    text = ("syscall::read:entry\n/self->t > 0/\n{\n\tself->t = timestamp;\n}\n\n"
            "syscall::read:entry\n/pid == 1/\n{\n\tself->t = timestamp;\n}\n\n"
            "syscall::read:return\n/self->t/\n{\n\ttrace(self->t);\n}\n")
    found = only(text, "self-leak")
    assert [(f.pos.line, f.severity) for f in found] == [(10, "warning")]
    assert "never zeroed" in found[0].message


def test_a_thread_local_zeroed_at_the_return_of_only_some_of_its_entries_leaks_at_the_others():
    text = ("syscall::read:entry, syscall::write:entry, syscall::pread*:entry\n{\n\tself->ts = timestamp;\n}\n\n"
            "syscall::read:return, syscall::pread*:return\n/self->ts/\n{\n"
            "\t@[probefunc] = quantize(timestamp - self->ts);\n\tself->ts = 0;\n}\n")
    found = only(text, "self-leak")
    assert [(f.pos.line, f.pos.col, f.severity) for f in found] == [(3, 2, "warning")]
    assert ("assigned at syscall::write:entry and zeroed at syscall::read:return, but not at "
            "syscall::write:return") in found[0].message


@pytest.mark.parametrize("zeroing", [
    "syscall:::return",                           # every return: both covered
    "syscall::read:return, syscall::write:return",
    "syscall::read*:return, syscall::write:return",
    "syscall::read:return, syscall::close:entry",  # a zeroing elsewhere: the script's own end point
])
def test_zeroing_at_every_matching_return_or_elsewhere_is_not_a_partial_leak(zeroing):
    text = ("syscall::read:entry, syscall::write:entry\n{\n\tself->ts = timestamp;\n}\n\n"
            f"{zeroing}\n/self->ts/\n{{\n\ttrace(timestamp - self->ts);\n\tself->ts = 0;\n}}\n")
    assert only(text, "self-leak") == []


def test_partly_zeroed_is_linear_in_the_entry_return_pairs(matches_calls):
    """Thousands of fbt entry/return pairs setting and zeroing one thread-local (bench_robust's
    clauses()): each return description is looked up in an index of the zeroings, not matched
    against every one of them (20,000 clauses took 230 s of CPU)."""
    calls = matches_calls
    text = "".join(f"fbt::f{i}:entry{{self->a=timestamp;}}\nfbt::f{i}:return/self->a/{{self->a=0;}}\n"
                   for i in range(1000))
    assert check(text) == []
    assert calls["n"] <= 10 * 2000, calls


# --- self-leak beyond entry/return: the spans a later probe on the same thread ends (session 11) -
# (facts/probes.py SPANS: sched on-cpu/off-cpu both ways, io wait-start/wait-done, sdt
# interrupt-start/interrupt-complete; the entries of every provider, syscall, fbt, pid, were already
# paired with their returns)

@pytest.mark.parametrize("begin, end", [
    ("sched:::on-cpu", "sched:::off-cpu"), ("sched:::off-cpu", "sched:::on-cpu"),
    ("io:::wait-start", "io:::wait-done"), ("sdt:::interrupt-start", "sdt:::interrupt-complete"),
    ("interrupt-start", "interrupt-complete"), ("pid$target::malloc:entry", "pid$target::malloc:return"),
    # (session 12: USDT X-entry/X-return, and proc:::exec, which ends at exec-success or exec-failure)
    ("python*:::function-entry", "python*:::function-return"),
    ("ruby$target:::method-entry", "ruby$target:::method-return"),
    ("proc:::exec", "proc:::exec-success"),
])
def test_a_thread_local_set_where_a_span_begins_and_never_zeroed_leaks(begin, end):
    text = f"{begin}\n{{\n\tself->ts = timestamp;\n}}\n\n{end}\n/self->ts/\n{{\n\t@ = quantize(timestamp - self->ts);\n}}\n"
    found = only(text, "self-leak")
    assert [(f.pos.line, f.pos.col, f.severity) for f in found] == [(3, 2, "warning")], found
    assert f"assigned at {begin} but never zeroed" in found[0].message and f"zero it at {end}" in found[0].message


def test_a_span_end_that_zeroes_other_thread_locals_but_not_this_one_is_an_error():
    """DTraceToolkit's intoncpu.d: interrupt-complete zeroes self->name, never self->ts."""
    text = ("sdt:::interrupt-start\n{\n\tself->ts = vtimestamp;\n\tself->name = 0;\n}\n\n"
            "sdt:::interrupt-complete\n/self->ts/\n{\n\tself->name = execname;\n"
            "\t@[self->name] = quantize(vtimestamp - self->ts);\n\tself->name = 0;\n}\n")
    found = only(text, "self-leak")
    assert [(f.pos.line, f.severity) for f in found] == [(3, "error")], found


@pytest.mark.parametrize("text", [
    # zeroed at the span's end: the usual script
    "sched:::off-cpu { self->ts = timestamp; }\nsched:::on-cpu /self->ts/ { trace(self->ts); self->ts = 0; }",
    # probes whose end is not on the same thread or not known: per-thread state, not judged
    "sched:::enqueue { self->t = timestamp; }\nsched:::dequeue /self->t/ { trace(self->t); }",
    "profile:::tick-1s { self->n = 1; }\nsyscall:::entry /self->n/ { trace(self->n); }",
    "python*:::function-entry { self->last = timestamp; }\n"
    "python*:::function-return /self->last/ { trace(timestamp - self->last); self->last = 0; }",
    "proc:::exec { self->e = timestamp; }\nproc:::exec-success, proc:::exec-failure /self->e/ "
    "{ trace(self->e); self->e = 0; }",
])
def test_no_leak_where_the_span_is_closed_or_has_no_known_end(text):
    assert only(text, "self-leak") == []


def test_release_of_pairs_entries_and_spans_as_written():
    from dtracepy.facts.probes import release_of

    assert release_of("syscall::read:entry") == "syscall::read:return"
    assert release_of("sched:::on-cpu") == "sched:::off-cpu"
    assert release_of("on-cpu") == "off-cpu"
    assert release_of("sched::*:on-cpu") == "sched::*:off-cpu"
    assert release_of("io:::start") is None and release_of("sched:::enqueue") is None
    assert release_of("fbt:::on-cpu") is None  # (another provider's probe of that name)


def test_releases_of_pairs_exec_with_both_its_ends_and_usdt_entries_with_their_returns():
    from dtracepy.facts.probes import releases_of

    assert releases_of("proc:::exec") == ("proc:::exec-success", "proc:::exec-failure")
    assert releases_of("exec") == ("exec-success", "exec-failure")
    assert releases_of("python*:::function-entry") == ("python*:::function-return",)
    assert releases_of("syscall::read:entry") == ("syscall::read:return",)
    assert releases_of("proc:::exec-success") == () and releases_of("io:::start") == ()
    assert releases_of("foo:::x*-entry") == ()  # (a glob: what it matches is not known)


def test_a_thread_local_set_at_exec_and_zeroed_at_one_end_only_leaks_at_the_other():
    text = ("proc:::exec { self->e = timestamp; }\n"
            "proc:::exec-success /self->e/ { trace(self->e); self->e = 0; }\n")
    found = only(text, "self-leak")
    assert found and "exec-failure" in found[0].message, found
