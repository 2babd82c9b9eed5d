"""``dtracepy import``: D -> a tracer module; faithful (--exact) and idiomatic modes, the CLI, and
the DSL additions it relies on (Tracer(cleanup=False, shebang=...), t.directive, t.declare_c,
t.translator, t.provider, lit, num)."""

from __future__ import annotations

import ast
import py_compile
from pathlib import Path

import pytest

from dtracepy import dsl
from dtracepy.cli import main
from dtracepy.errors import CompileError, DTracePyError
from dtracepy.importer import CannotImport, comparable, compile_module, import_d
from dtracepy.importer.pyfmt import WIDTH
from dtracepy.parser import parse
from dtracepy.printer import to_d

REPO = Path(__file__).resolve().parent.parent

# Every construct the DSL rebuilds without dsl9's assign_expr / anon_agg / const.
EVERYTHING = r"""#!/usr/sbin/dtrace -Cqs
/* a header comment */
#pragma D option quiet
#pragma D option bufsize=4m
#define PORT 22
#include <sys/socket.h>

inline int LIMIT = 3;
inline string NAME = "x";
inline string ANSWER[int x, int y] = x == y ? "same" : "other";

translator struct info < struct proc *P > {
	pid = P->p_pid;
	pid = P->p_ppid;
	name = stringof(P->p_user.u_comm);
};

provider myapp {
	probe start(int, char *s) : (int);
	probe done();
};

self int depth;
this string s;
int counts[string, int];
struct conn {
	int fd;
	uint16_t port : 16;
};
typedef struct conn conn_t;
extern int `kmem_flags;
int a, b;

#pragma D depends_on module ip
#if 0
#endif

BEGIN
{
	printf("%s\n", "go");
	counts["x", 1] += 5 - -0x10;
	a = 0777 + 10UL + 0X1F;
	b = 1 + 2 * 3;
	a = (1 + 2) * 3;
	b = 1 < a == 0;
	a = -(-5) + ~0;
}

syscall::read:entry
/execname == "sshd" && pid != $1 && 0 < arg0 || !(tid ^^ 1) && "x" == execname/
{
	self->ts = timestamp;
	self->depth++;
	--self->depth;
	@lat[probefunc, $$2] = quantize(arg0);
	@n[execname] = count();
	@m = max(arg1);
	this->p = (struct conn *)arg1;
	this->q = this->p->fd + (*this->p).fd + ((struct conn)*this->p).port;
	this->r = &this->p->fd;
	this->c = 'a' + '\0' + '\n' + '\x4E' + '\'';
	this->z = sizeof (struct conn) + sizeof (this->q) + offsetof(struct conn, port);
	this->w = xlate <struct info *> (curthread)->pid + `kmem_flags + genunix`kmem_flags;
	this->t = $target + $pid + args[0] + curpsinfo->pr_pid;
	this->u = arg0 ? 1 : arg1 ? 2 : 3;
	this->v = (arg0, arg1);
	this->x = LIMIT + NAME[0] + ANSWER[1, 2][0];
	this->y = copyinstr(arg1) == "x" ? strjoin("a", "b") : "c";
	trace(this->y);
	stack();
	@s[stack(), ustack(5)] = count();
	func(arg0);
	copyinstr(arg1);
	self->depth <<= 1;
	self->depth %= 3;
}

syscall::read:return
/self->ts/
{
	if (arg0 > 0) {
		printf("%d\n", timestamp - self->ts);
	} else if (arg0 == 0) {
		trace(1);
	} else {
		if (arg1) {
		}
	}
	printa("%@d\n", @n);
	trunc(@lat, 10);
	exit(0);
	self->ts = 0;
}

syscall::close:entry
{
}

profile-997
{
	@cpu[cpu] = lquantize(curthread->t_pri, 0, 100, 10);
	clear(@cpu);
	printf(PORT == 22 ? "%d" : "%x", 1);
}

syscall::write:entry
/pid == 1/
"""


def _roundtrip(text: str, name: str = "x.d"):
    source = import_d(text, name, exact=True)
    compiled = compile_module(source, name + ".py", checks=False)
    return source, compiled


def test_faithful_module_compiles_back_to_the_same_program():
    source, compiled = _roundtrip(EVERYTHING)
    assert comparable(compiled.program) == comparable(parse(EVERYTHING, "x.d"))
    # comments are layout: the header comment becomes the module's, the rest Python comments
    assert "a header comment" in source


def test_faithful_mode_turns_the_cleanup_off_explicitly_and_keeps_hand_zeroing():
    text = "syscall::read:entry { self->ts = timestamp; }\nsyscall::read:return { self->ts = 0; }\n"
    source, compiled = _roundtrip(text)
    assert "cleanup=False" in source
    assert "self.ts = 0" in source
    # nothing added: the program zeroes exactly what it zeroed, where it did
    assert comparable(compiled.program) == comparable(parse(text))


def test_faithful_keeps_the_shebang_and_its_absence():
    with_line = _roundtrip("#!/usr/sbin/dtrace -Zs\nBEGIN { exit(0); }\n")[1]
    assert with_line.text.startswith("#!/usr/sbin/dtrace -Zs\n")
    without = _roundtrip("BEGIN { exit(0); }\n")[1]
    assert not without.text.startswith("#!")


@pytest.mark.parametrize("text,where,what", [
    ("BEGIN\n{\n\ttrace(1);\n\t;\n}\n", "x.d:4:2", "the empty statement `;`: the DSL has no empty statement"),
    ("BEGIN\n{\n\tif (1)\n\t\ttrace(1);\n}\n", "x.d:4:3",
     "an if without braces exactly: the DSL has no if whose body is not a { block } (the DSL writes "
     "braces; import without --exact takes it)"),
    ("BEGIN\n{\n\tif (1) {\n\t} else\n\t\ttrace(1);\n}\n", "x.d:5:3",
     "an else without braces exactly: the DSL has no else whose body is not a { block }"),
])
def test_what_the_dsl_cannot_say_is_a_located_error(text, where, what):
    with pytest.raises(CannotImport) as info:
        import_d(text, "x.d", exact=True)
    assert info.value.render(with_context=False).startswith(f"{where}: error: cannot import {what}")


def test_cli_writes_a_module_that_dtracepy_compile_accepts(tmp_path, capsys):
    script = tmp_path / "quick.d"
    script.write_text("#pragma D option quiet\nsyscall::read:entry /pid == $1/ { @[execname] = count(); }\n"
                      .replace("@[", "@c["))
    out = tmp_path / "quick.py"
    assert main(["import", str(script), "-o", str(out), "--exact"]) == 0
    assert main(["compile", str(out)]) == 0
    d = capsys.readouterr().out
    assert "@c[execname] = count();" in d and "pid == $1" in d


def test_cli_import_error_is_located_and_writes_nothing(tmp_path, capsys):
    script = tmp_path / "bad.d"
    script.write_text("BEGIN\n{\n\t;\n}\n")
    out = tmp_path / "bad.py"
    assert main(["import", str(script), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{script}:3:2: error: cannot import the empty statement" in err
    assert not out.exists()


def test_cli_reads_standard_input(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"BEGIN { exit(0); }\n")))
    assert main(["import", "-"]) == 0
    assert "@t.probe(\"BEGIN\")" in capsys.readouterr().out


def _imported_names(module: ast.Module) -> list[str]:
    return [alias.asname or alias.name for node in module.body if isinstance(node, ast.ImportFrom)
            for alias in node.names]


@pytest.mark.parametrize("exact", [True, False])
def test_emitted_python_is_formatted_and_compiles(tmp_path, exact):
    source = import_d(EVERYTHING, "x.d", exact=exact)
    path = tmp_path / "m.py"
    path.write_text(source)
    py_compile.compile(str(path), doraise=True)
    assert all(len(line) <= WIDTH for line in source.splitlines()), source
    module = ast.parse(source)
    names = _imported_names(module)
    from dtracepy.importer.pyfmt import import_line

    assert "\n".join(import_line("dtracepy", names)) in source  # sorted as isort sorts
    used = {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
    assert [n for n in names if n not in used] == []  # no unused imports


# --- DSL additions -------------------------------------------------------------------------------

def test_tracer_cleanup_false_adds_no_zeroing():
    t = dsl.Tracer(cleanup=False)

    @t.probe("syscall::read:entry")
    def entry():
        dsl.self.ts = dsl.timestamp

    assert "= 0;" not in t.to_d()
    t2 = dsl.Tracer()

    @t2.probe("syscall::read:entry")
    def entry2():
        dsl.self.ts = dsl.timestamp

    assert "self->ts = 0;" in t2.to_d()


def test_tracer_shebang_text_false_and_bad():
    for shebang, start in (("/usr/sbin/dtrace -Zqs", "#!/usr/sbin/dtrace -Zqs\n"), (False, "/*")):
        t = dsl.Tracer(shebang=shebang)
        t.clause("BEGIN")  # (a program needs a clause)
        assert t.to_d().startswith(start)
    with pytest.raises(DTracePyError, match="shebang is True, False or the text of one line"):
        dsl.Tracer(shebang="a\nb")
    with pytest.raises(DTracePyError, match="cleanup is True or False"):
        dsl.Tracer(cleanup="no")


def _d(value) -> str:
    from dtracepy.dsl.values import expr
    from dtracepy.printer import to_d

    return to_d(expr(value))


def test_lit_and_num_keep_what_python_would_compute_or_respell():
    assert _d(dsl.lit(1) + 2) == "1 + 2"
    assert _d(dsl.lit("a") == dsl.execname) == '"a" == execname'
    assert _d(dsl.num("0777") + dsl.num("10UL")) == "0777 + 10UL"
    with pytest.raises(DTracePyError, match="is not a D integer constant"):
        dsl.num("12abc")
    with pytest.raises(TypeError):
        dsl.lit(1.5)


def test_charlit_keeps_the_spelling_char_would_change():
    assert _d(dsl.charlit("\\0")) == "'\\0'"
    assert _d(dsl.char("\0")) == "'\\000'"  # the same character, respelled
    with pytest.raises(DTracePyError, match="is not the text of a D character constant"):
        dsl.charlit("a'b")


def test_directive_declare_c_translator_provider_in_program_order():
    t = dsl.Tracer(shebang=False)
    t.directive("if", "defined(X)")
    t.declare_c("struct s { int a; }; int x, y;")
    t.translator("struct out", "struct in *", "I", lambda I: {"a": I.b})
    t.provider("p", "q(int, char *s) : (int)")
    t.directive("endif")
    text = t.to_d()
    order = [text.index(s) for s in ("#if defined(X)", "struct s {", "int x, y;",
                                     "translator struct out < struct in *I > {", "a = I->b;",
                                     "probe q(int, char *s) : (int);", "#endif")]
    assert order == sorted(order)
    with pytest.raises(DTracePyError, match="is not declarations"):
        t.declare_c("BEGIN { }")
    with pytest.raises(DTracePyError, match="is not a D identifier"):
        t.translator("int", "int", "1x", {})


def test_declare_c_declares_globals_for_the_read_check():
    t = dsl.Tracer()
    t.declare_c("int n;")

    @t.probe("BEGIN")
    def begin():
        dsl.trace(dsl.glob.n)

    assert "trace(n);" in t.to_d()


def test_increment_counts_as_an_assignment_for_the_read_check():
    # `n++` is an assignment: reading n elsewhere is no "global n is read but never assigned"
    # (D scripts count this way everywhere; 78 corpus scripts do).
    t = dsl.Tracer()

    @t.probe("syscall::read:entry")
    def entry():
        dsl.stmt(dsl.postinc(dsl.glob.n))

    @t.probe("END")
    def end():
        dsl.printf("%d\n", dsl.glob.n)

    text = t.to_d()
    assert "n++;" in text and 'printf("%d\\n", n);' in text


# --- the seeds' final script (README "Bring your D") ----------------------------------------------

EXAMPLE = REPO / "examples" / "imported"


def test_the_seeds_final_script_imports_to_its_golden_module():
    """examples/imported/tcpq_ex11.py is what `dtracepy import` makes of the blog's script
    (regenerate: dtracepy import examples/imported/tcpq_ex11.d -o examples/imported/tcpq_ex11.py)."""
    source = import_d((EXAMPLE / "tcpq_ex11.d").read_text(), "tcpq_ex11.d")
    assert source == (EXAMPLE / "tcpq_ex11.py").read_text()
    assert "self->srcPort is set and never zeroed (it zeroes self->secPort" in " ".join(
        line.lstrip("# ") for line in source.splitlines())
    assert "self.secPort" not in source and "= 0" not in source  # hand zeroing left to the cleanup
    assert "row = t.record(" in source and "row.emit(" in source and 'at(arg0, 0x28, "tcp_t *")' in source
    compiled = compile_module(source, "tcpq_ex11.py")
    assert "\tself->srcPort = 0;\n" in compiled.text  # the leak is gone


def test_the_readme_shows_the_golden_module():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Bring your D"):readme.index("## Checking D")]
    golden = (EXAMPLE / "tcpq_ex11.py").read_text()
    blocks = [b.split("```")[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) == 2 and golden.startswith(blocks[0]) and blocks[1] in golden


def test_leak_typo_fixture_imports_with_its_leak_noted():
    source = import_d((REPO / "tests" / "fixtures" / "checks" / "leak_typo.d").read_text(), "leak_typo.d")
    flat = " ".join(line.lstrip("# ") for line in source.splitlines())
    assert "self->peerPort is set and never zeroed (it zeroes self->peerPrt" in flat
    compile_module(source, "leak_typo.py")


def test_thread_locals_the_cleanup_cannot_end_are_kept_as_the_original_kept_them():
    text = ("BEGIN { self->n = 1; }\n"
            "syscall::read:entry { self->ts = timestamp; }\n"
            "syscall::read:return /self->ts/ { trace(timestamp - self->ts); self->ts = 0; }\n")
    source = import_d(text, "k.d")
    assert "t.keep(self.n)" in source and "self.ts = 0" not in source
    # not set at an entry probe: no leak, to check's self-leak rule, so none to the comment either
    said = " ".join(line.lstrip("# ") for line in source.splitlines())
    assert "The original never zeroes self->n (set at BEGIN; no leak to the self-leak check); " \
        "t.keep(self.n) keeps it that way." in said and "Leak in the original" not in said
    compiled = compile_module(source, "k.py")
    assert compiled.text.count("self->ts = 0;") == 1


JCALLTIME = """\
hotspot$target:::method-entry
{
\tself->depth[arg0]++;
\tself->method[arg0, self->depth[arg0]] = timestamp;
}

hotspot$target:::method-return
/self->method[arg0, self->depth[arg0]]/
{
\t@t = sum(timestamp - self->method[arg0, self->depth[arg0]]);
\tself->method[arg0, self->depth[arg0]] = 0;
\tself->depth[arg0]--;
}
"""


@pytest.mark.parametrize("exact", [False, True])
def test_the_leak_comment_says_what_the_self_leak_check_says(exact):
    """DTraceToolkit Java/j_calltime.d zeroes self->method[...] at method-return, and check finds
    no leak; the idiomatic import said "Leak in the original: self->method ... never zeroed"."""
    from dtracepy.checks import check_program

    assert not [f for f in check_program(parse(JCALLTIME, "j.d")) if f.check == "self-leak"]
    source = import_d(JCALLTIME, "j.d", exact=exact)
    assert "Leak in the original" not in source
    # a leak check reports is still said
    leaky = JCALLTIME + ("\nsyscall::read:entry\n{\n\tself->ts = timestamp;\n}\n\nsyscall::read:return\n"
                         "/self->ts/\n{\n\ttrace(timestamp - self->ts);\n}\n")
    assert [f.message.split(" is")[0] for f in check_program(parse(leaky, "j.d")) if f.check == "self-leak"] \
        == ["self->ts"]
    said = " ".join(line.lstrip("# ") for line in import_d(leaky, "j.d", exact=exact).splitlines())
    assert said.count("Leak in the original") == 1 and "Leak in the original: self->ts is set" in said


@pytest.mark.parametrize("line", [
    # a decorator one column over: the "@" counts
    '@t.probe("BEGIN", when=or_(lit(0) != dot(glob.ou, "myi"), lit(0) != dot(glob.ou, "myc")))',
    # long aggregation keys: the subscript breaks; one key never gains a tuple-making comma
    'agg[cond(self.cpu == cpu, "sleep time, no CPU migration", "sleep time, CPU migration")] = '
    'lquantize(self.ts - timestamp, 0, 1000000, 10000)',
    'agg[stringof(args[1].pr_fname), args[0].pr_pri, execname, curlwpsinfo.pr_pri, cpu] = count()',
    # a member of a long call, an index of a long call, a lambda's body
    'x = dot(dot(deref(cast(addr(ksym("cgrp_dfl_root")), "struct cgroup_root *")).cgrp, "self"), '
    '"cgroup").self',
    'y = cast(addr(ksym("major_names")), "struct blk_major_name **")[getmajor(B.bi_bdev.bd_dev) % 255]'
    '.name',
    'f = lambda fd: xlate("fileinfo_t", cond(and_(fd >= 0, fd < curthread.files.fdt.max_fds), '
    'curthread.files.fdt.fd[fd], NULL))',
])
def test_long_lines_wrap_within_the_width_and_mean_the_same(line):
    from dtracepy.importer.pyfmt import wrap

    for indent in ("", "        "):
        lines = wrap(line, indent)
        assert all(len(physical) <= WIDTH for physical in lines), "\n".join(lines)
        tail = "\ndef f(): pass" if line.startswith("@") else ""   # a decorator needs its function
        assert ast.dump(ast.parse("\n".join(lines).strip() + tail)) == ast.dump(ast.parse(line + tail)), \
            "\n".join(lines)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("text,message", [
    ("profile::::tick-1sec { trace(1); }\n",
     "<stdin>:1:1: error: probe description 'profile::::tick-1sec' has 5 fields; at most four"),
    ("BEGIN { }\n\nsyscall::read:entry,\n  a:b:c:d:e { trace(1); }\n",
     "<stdin>:4:3: error: probe description 'a:b:c:d:e' has 5 fields; at most four"),
    ("tcpp:::send { trace(1); }\n",
     "<stdin>:1:1: error: probe description 'tcpp:::send': there is no 'tcpp' provider; did you mean 'tcp'"),
])
def test_a_description_the_dsl_refuses_is_a_located_error_as_check_says(capsys, monkeypatch, exact, text, message):
    # five fields crashed clause naming ("too many values to unpack", exit 70)
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["import", "-", *(["--exact"] if exact else [])]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(message), err


def test_the_corpus_five_field_descriptions_import_as_located_errors(capsys, corpus):
    script = corpus / "dtrace-utils-tests/test/unittest/providers/err.D_PDESC_INVAL.wrongdec4.d"
    assert main(["import", str(script)]) == 1
    assert capsys.readouterr().err.startswith(f"{script}:26:1: error: probe description 'profile::::tick-1sec'")


def test_an_exact_import_keeps_a_shebang_line_below_the_first_as_dtrace_reads_it():
    """A `#!` line not on line 1 (dtrace4linux demo/spec/specopen.d; here below a comment) is a
    line dtrace skips; `import --exact` wrote t.directive("", "!/usr/sbin/dtrace -Fs"), printed
    `# !/usr/sbin/dtrace -Fs`, which dtrace refuses ("invalid control directive")."""
    text = "/* c */\n#!/usr/sbin/dtrace -Fs\nBEGIN\n{\n\texit(0);\n}\n"
    program = parse(text, "sh2.d")
    assert "\n#!/usr/sbin/dtrace -Fs\n" in to_d(program) and parse(to_d(program), "again.d") == program
    emitted = compile_module(import_d(text, "sh2.d", exact=True), "sh2.py").text
    assert "\n#!/usr/sbin/dtrace -Fs\n" in emitted and "# !" not in emitted
    # first in a program, `#!` would read back as the #! line: the directive keeps its blank
    first = parse("# !/usr/sbin/dtrace -Fs\nBEGIN\n{\n}\n", "first.d")
    assert to_d(first).startswith("# !/usr/sbin/dtrace -Fs\n") and parse(to_d(first), "f.d") == first


def test_an_exact_import_of_a_late_shebang_line_passes_dtrace(tmp_path):
    from tests.real_dtrace import job_for_d, judge_scripts

    text = "/* c */\n#!/usr/sbin/dtrace -Fs\nBEGIN\n{\n\texit(0);\n}\n"
    emitted = compile_module(import_d(text, "sh2.d", exact=True), "sh2.py").text
    assert judge_scripts({"original": job_for_d(text), "emitted": job_for_d(emitted)}) == {
        "original": None, "emitted": None}


def test_an_if_without_braces_imports_idiomatically():
    """Common in real D; it was refused in both modes.  The DSL writes braces, so only the
    faithful module (whose D must be the original's) still refuses it (above)."""
    text = "BEGIN\n{\n\tif (1) x = 1; else if (2) x = 2; else x = 3;\n\tif (x > 1)\n\t\ttrace(x);\n\texit(0);\n}\n"
    source = import_d(text, "x.d")
    assert ("    with if_(1):\n        glob.x = 1\n    with elif_(2):\n        glob.x = 2\n"
            "    with else_():\n        glob.x = 3\n    with if_(glob.x > 1):\n        trace(glob.x)\n"
            "    exit_(0)\n") in source
    compiled = compile_module(source, "x.py")
    assert compiled.text.count("if (") == 3


COMMENTED = """syscall::read:entry { self->ts = timestamp; }

syscall::read:return
/self->ts/\t/* when it was timed */
{
\t/* the time */
\t@t = quantize(timestamp - self->ts);\t/* ns */
\tif (arg0 > 0) {\t/* got data */
\t\t/*
\t\t * count it
\t\t */
\t\t@n = count();
\t}
\tprintf("/* not a comment */ %d\\n", 1); /* a "string" in a comment */
\tself->ts = 0;\t/* done */
\t/* end */
}
"""


@pytest.mark.parametrize("exact", [False, True])
def test_comments_inside_clauses_are_kept_where_they_stood(exact):
    """Only the top-level comments were kept (the parser drops the others): every comment in a
    body, after a predicate, on a statement's line, was lost."""
    source = import_d(COMMENTED, "x.d", exact=exact)
    body = source[source.index("def print_read_return():"):]
    assert body == ("def print_read_return():\n"
                    "    # when it was timed\n"
                    "    # the time\n"
                    "    agg.t = quantize(timestamp - self.ts)  # ns\n"
                    "    with if_(arg0 > 0):  # got data\n"
                    "        # count it\n"
                    "        agg.n = count()\n"
                    "    printf(\"/* not a comment */ %d\\n\", 1)  # a \"string\" in a comment\n"
                    + ("    self.ts = 0  # done\n" if exact else "    # done\n")
                    + "    # end\n"), body
    compile_module(source, "x.py")


def test_a_comment_byte_that_is_not_utf8_is_escaped_in_the_module(tmp_path, capsys):
    """The module is Python, UTF-8: `import -o` of a comment holding the byte 0xff failed with
    an internal error (exit 70), and on standard output it wrote a file Python cannot read."""
    script = tmp_path / "c.d"
    script.write_bytes(b"/* top \xff */\nBEGIN\n{\n\t/* caf\xe9 */\n\ttrace(1);\n}\n")
    out = tmp_path / "c.py"
    assert main(["import", str(script), "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    ast.parse(source)
    assert "# top \\xff" in source and "    # caf\\xe9\n    trace(1)" in source
