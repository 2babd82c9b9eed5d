"""The CLI as a new user meets it: outputs never overwrite inputs, every error is located,
usage errors are argparse's (exit 2), ``--version``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dtracepy
from dtracepy.cli import main

REPO = Path(__file__).resolve().parent.parent
SCRIPT = "BEGIN { exit(0); }\n"


def _dir_listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink"])
def test_import_refuses_an_output_that_is_its_input(tmp_path, capsys, monkeypatch, spelling):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "t1.d"
    script.write_text(SCRIPT)
    (tmp_path / "link.d").symlink_to(script)
    out = {"same": "t1.d", "dot": "./t1.d", "symlink": "link.d"}[spelling]
    assert main(["import", "t1.d", "-o", out]) == 1
    assert capsys.readouterr().err.startswith(f"{out}:1: error: refusing to write the output over the input t1.d")
    assert script.read_text() == SCRIPT
    assert main(["import", "link.d", "-o", "t1.d", "--exact"]) == 1
    assert script.read_text() == SCRIPT


@pytest.mark.parametrize("where,message", [
    ("missing/x.py", "cannot write: no such directory {dir}/missing"),
    (".", "cannot write: it is a directory"),
])
def test_import_output_errors_are_located_and_leave_nothing_behind(tmp_path, capsys, where, message):
    (tmp_path / "g.d").write_text(SCRIPT)
    work = tmp_path / "work"
    work.mkdir()
    out = str(work / where) if where != "." else str(work)
    before = _dir_listing(tmp_path), _dir_listing(work)
    assert main(["import", str(tmp_path / "g.d"), "-o", out]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{out}:1: error: " + message.format(dir=work)), err
    assert "internal error" not in err
    assert (_dir_listing(tmp_path), _dir_listing(work)) == before  # no stray `work.tmp`


def test_import_writes_through_a_unique_temporary_file(tmp_path, capsys):
    (tmp_path / "g.d").write_text(SCRIPT)
    out = tmp_path / "g.py"
    (tmp_path / "g.py.tmp").write_text("someone else's file\n")  # the old fixed temp name
    assert main(["import", str(tmp_path / "g.d"), "-o", str(out)]) == 0
    assert "Tracer" in out.read_text()
    assert (tmp_path / "g.py.tmp").read_text() == "someone else's file\n"
    assert _dir_listing(tmp_path) == ["g.d", "g.py", "g.py.tmp"]


def test_import_missing_input_is_located_as_compile_and_check_say_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["import", "nope.d"]) == 1
    assert capsys.readouterr().err == "nope.d:1: error: cannot read: no such file or directory\n"
    assert main(["check", "nope.d"]) == 1
    assert capsys.readouterr().err == "nope.d:1: error: cannot read: no such file or directory\n"


def test_version_is_the_packages(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"dtracepy {dtracepy.__version__}\n"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'\nversion = "{dtracepy.__version__}"\n' in pyproject


def test_version_from_the_command_line():
    done = subprocess.run([sys.executable, "-m", "dtracepy", "--version"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"dtracepy {dtracepy.__version__}\n", "")


def test_compile_of_a_d_script_says_which_command_takes_it(tmp_path, capsys):
    script = tmp_path / "hello.d"
    script.write_text(SCRIPT)
    assert main(["compile", str(script)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{script}:1: error: cannot be imported as a Python module; it is a D script (.d): "
                          "use `dtracepy check` or `dtracepy run` on it")


# --- --exact modules compile back, leaks and all ---------------------------------------------------

def test_exact_import_of_the_seed_script_compiles_back_to_the_same_d(tmp_path, capsys):
    from dtracepy.importer import comparable
    from dtracepy.parser import parse

    original = REPO / "examples" / "imported" / "tcpq_ex11.d"
    module = tmp_path / "ex.py"
    assert main(["import", "--exact", str(original), "-o", str(module)]) == 0
    source = module.read_text()
    flat = " ".join(line.lstrip("# ") for line in source.splitlines())
    assert "t.keep(self.srcPort)" in source
    assert ("Leak in the original: self->srcPort is set at fbt:ip:tcp_conn_request:entry and never zeroed "
            "(it zeroes self->secPort, which is never set: a typo)") in flat
    capsys.readouterr()
    out = tmp_path / "ex.d"
    assert main(["compile", str(module), "-o", str(out)]) == 0
    assert "[self-leak]" not in capsys.readouterr().err
    assert comparable(parse(out.read_text(), "ex.d")) == comparable(parse(original.read_text(), "o.d"))


def test_t_keep_of_a_thread_local_set_at_entry_is_not_a_leak(tmp_path, capsys):
    module = tmp_path / "k.py"
    module.write_text(
        "from dtracepy import Tracer, self, timestamp, trace\n"
        "t = Tracer()\n"
        "t.keep(self.x)\n"
        "@t.probe('syscall::read:entry')\n"
        "def a():\n"
        "    self.x = timestamp\n"
        "    self.y = 1\n"
        "@t.probe('syscall::read:return', when=self.y)\n"
        "def b():\n"
        "    trace(self.x)\n")
    assert main(["compile", str(module)]) == 0
    captured = capsys.readouterr()
    assert "[self-leak]" not in captured.err
    assert "self->y = 0;" in captured.out and "self->x = 0;" not in captured.out


def test_t_keep_with_the_cleanup_off_keeps_the_d_and_is_not_a_leak(tmp_path, capsys):
    module = tmp_path / "k.py"
    text = ("from dtracepy import Tracer, self, timestamp, trace\n"
            "t = Tracer(cleanup=False)\n"
            "t.keep(self.x)\n"
            "@t.probe('syscall::read:entry')\n"
            "def a():\n"
            "    self.x = timestamp\n"
            "    self.y = 1\n"
            "@t.probe('syscall::read:return', when=self.y)\n"
            "def b():\n"
            "    trace(self.x)\n"
            "    self.y = 0\n")
    module.write_text(text)
    assert main(["compile", str(module)]) == 0
    kept = capsys.readouterr().out
    module.write_text(text.replace("t.keep(self.x)\n", ""))
    assert main(["compile", str(module)]) == 1
    assert "k.py:5: error: self->x is assigned at syscall::read:entry but never zeroed" in capsys.readouterr().err
    assert "self->x = 0;" not in kept and kept.count("self->y = ") == 2


# --- #include of a header found nowhere -----------------------------------------------------------

MISSING = "no such file (looked in the including file's directory and the -I directories"


def test_check_c_refuses_an_include_found_nowhere_at_the_header_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("n4.d").write_text("#include <nonexistent.h>\nBEGIN { exit(0); }\n")
    assert main(["check", "-C", "n4.d"]) == 1
    assert capsys.readouterr().err.startswith(f"n4.d:1:10: error: nonexistent.h: {MISSING}")
    Path("inc.h").write_text("\n  #include \"nope.h\"\n")
    Path("n5.d").write_text('#include "inc.h"\nBEGIN { exit(0); }\n')
    assert main(["import", "-C", "-I", ".", "n5.d"]) == 1
    assert capsys.readouterr().err.startswith(f"inc.h:2:12: error: nope.h: {MISSING}")


def test_check_c_keeps_system_headers_it_does_not_read(tmp_path, capsys):
    script = tmp_path / "s.d"
    script.write_text('#include <sys/vnode.h>\n#include <inet/common.h>\n#include <stdio.h>\n'
                      '#include "endian.h"\nBEGIN { exit(0); }\n')
    assert main(["check", "-C", str(script)]) == 0, capsys.readouterr().err


def test_layout_refuses_an_include_found_nowhere(tmp_path, capsys, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    (tmp_path / "n2.h").write_text("#include <nonexistent.h>\nstruct a { int x; };\n")
    assert main(["layout", "../n2.h", "a"]) == 1
    # (cpp looks for <...> in the -I directories, not in the including file's: session 18)
    assert capsys.readouterr().err.startswith("../n2.h:1:10: error: nonexistent.h: no such file (looked for "
                                              "<nonexistent.h> in the -I directories; it is not a system header")
    (tmp_path / "n3.h").write_text('#include <sys/types.h>\n#include "stdint.h"\nstruct a { uint32_t x; };\n')
    assert main(["layout", "../n3.h", "a"]) == 0
    assert capsys.readouterr().out.startswith("struct a: size 4")


SYSTEM_IP_H = Path("/usr/include/netinet/ip.h")


@pytest.mark.skipif(not SYSTEM_IP_H.is_file(), reason="no /usr/include/netinet/ip.h on this machine")
def test_layout_of_a_system_header_reads_its_includes_as_gcc_does(capsys):
    """A system header used to stop at `__BEGIN_DECLS` unless -I named the system directories
    (with a hint saying so); since session 17 it is read as gcc reads it, with or without them."""
    from dtracepy.preprocess import system_include_dirs

    assert main(["layout", str(SYSTEM_IP_H), "struct ip"]) == 0
    plain = capsys.readouterr().out
    assert plain.startswith("struct ip: size 20, align 4 (x86_64)"), plain
    flags = [arg for d in system_include_dirs() for arg in ("-I", d)]
    assert main(["layout", str(SYSTEM_IP_H), "struct ip", *flags]) == 0
    assert capsys.readouterr().out == plain


def test_layout_for_another_abi_does_not_send_the_user_to_this_machines_headers(tmp_path, capsys, monkeypatch):
    """This machine's system headers are its own ABI's (x86_64's bits/endianness.h is little-endian):
    read for sparcv9 they give wrong offsets (struct ip's ip_hl at 28:4 where sparc64 gcc says 24:4),
    so the hint for another ABI must not name them."""
    import platform

    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    header = tmp_path / "lh.h"
    header.write_text("#include <netinet/ip.h>\nstruct s { struct ip i; };\n")
    assert main(["layout", str(header), "s", "--abi", "sparcv9"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{header}:2:22: error: member i of struct s has incomplete type struct ip"), err
    assert "-I /usr/include" not in err and "x86_64" in err and "-I the sparcv9 headers" in err, err
    assert main(["layout", str(header), "s", "--abi", "x86_64"]) == 1
    err = capsys.readouterr().err
    if SYSTEM_IP_H.is_file():
        assert "-I /usr/include reads them" in err, err


def test_layout_error_directive_is_a_located_error_and_stops(tmp_path, capsys):
    """pcpp printed #error itself (`../../x.h:2 error: ...`, relative to the working directory, in
    no editor's form) and went on to lay the header out; cpp stops there."""
    header = tmp_path / "e.h"
    header.write_text('struct a { int x; };\n#error "Adjust your <asm/byteorder.h> defines"\n')
    assert main(["layout", str(header), "a"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f'{header}:2:1: error: #error "Adjust your <asm/byteorder.h> defines"\n'


@pytest.mark.parametrize("machine,abi", [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("i686", "i386"),
                                         ("aarch64", "aarch64"), ("arm64", "aarch64"), ("sparc64", "sparcv9"),
                                         ("riscv64", None)])
def test_host_abi_names_the_machines_abi(monkeypatch, machine, abi):
    import platform

    from dtracepy.layout.abi import host_abi_name

    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert host_abi_name() == abi


HELPER_TRACER = ("import helper_gaps_o\nfrom dtracepy import Tracer, arg0, trace\nt = Tracer()\n"
                 "@t.probe('BEGIN')\ndef b():\n    trace(arg0 + helper_gaps_o.X)\n")


@pytest.mark.parametrize("spelling", ["helper_gaps_o.py", "./sub/../helper_gaps_o.py", "link.py", "absolute"])
def test_compile_refuses_an_output_over_a_module_the_tracer_imported(tmp_path, capsys, monkeypatch, spelling):
    """`compile tr.py -o helper.py` wrote the D over the helper the tracer imports (session 9, gaps
    item 3): refused, at the output's path, and the module is left as it was."""
    monkeypatch.chdir(tmp_path)
    name = f"helper_gaps_o{len(spelling)}"  # (one module name per case: this process imports each once)
    helper = tmp_path / f"{name}.py"
    helper.write_text("X = 1\n")
    (tmp_path / "link.py").symlink_to(helper)
    (tmp_path / "tr.py").write_text(HELPER_TRACER.replace("helper_gaps_o", name))
    out = str(helper) if spelling == "absolute" else spelling.replace("helper_gaps_o", name)
    assert main(["compile", "tr.py", "-o", out]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{out}:1: error: refusing to write the output over {name}.py, the file of "
                          f"the Python module {name}, which the tracer module loaded"), err
    assert helper.read_text() == "X = 1\n" and sorted(os.listdir(tmp_path)) == [f"{name}.py", "link.py", "tr.py"]
    assert main(["compile", "tr.py", "-o", "out.d"]) == 0
    assert "arg0 + 1" in (tmp_path / "out.d").read_text()


@pytest.mark.parametrize("spelling", ["helper_gaps_o.py", "./sub/../helper_gaps_o.py", "link.py", "absolute"])
def test_run_refuses_an_output_over_a_module_the_tracer_imported(tmp_path, capsys, monkeypatch, spelling):
    """`run -o helper.py tr.py` wrote the events over the helper the tracer imports, which `compile
    -o` refuses (session 10, part 1b): refused before dtrace starts, the module left as it was."""
    monkeypatch.chdir(tmp_path)
    name = f"helper_run_o{len(spelling)}"  # (one module name per case: this process imports each once)
    helper = tmp_path / f"{name}.py"
    helper.write_text("X = 1\n")
    (tmp_path / "link.py").symlink_to(helper)
    (tmp_path / "tr.py").write_text(HELPER_TRACER.replace("helper_gaps_o", name))
    started = tmp_path / "started"
    fake = tmp_path / "dtrace"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-V*) echo "dtrace: Sun D 2.0";; *) touch {started};; esac\n')
    fake.chmod(0o755)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    out = str(helper) if spelling == "absolute" else spelling.replace("helper_gaps_o", name)
    assert main(["run", "tr.py", "--dtrace", str(fake), "-o", out]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{out}:1: error: refusing to write the output over {name}.py, the file of "
                          f"the Python module {name}, which the tracer module loaded"), err
    assert helper.read_text() == "X = 1\n" and not started.exists()
    assert sorted(os.listdir(tmp_path)) == ["dtrace", f"{name}.py", "link.py", "tr.py"]


def test_compile_refuses_an_output_over_a_module_imported_through_another(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg_gaps_o").mkdir()
    (tmp_path / "pkg_gaps_o" / "__init__.py").write_text("from pkg_gaps_o.deep import X\n")
    (tmp_path / "pkg_gaps_o" / "deep.py").write_text("X = 2\n")
    (tmp_path / "tr.py").write_text(HELPER_TRACER.replace("helper_gaps_o", "pkg_gaps_o"))
    assert main(["compile", "tr.py", "-o", "pkg_gaps_o/deep.py"]) == 1
    assert "the file of the Python module pkg_gaps_o.deep" in capsys.readouterr().err
    assert (tmp_path / "pkg_gaps_o" / "deep.py").read_text() == "X = 2\n"


def _compile_in_a_process(tmp_path, name: str, text: str, **popen):
    (tmp_path / name).write_text(text)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "dtracepy", "compile", name], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_a_keyboard_interrupt_in_the_tracer_module_is_said_where_and_exits_130(tmp_path):
    """It exited 130 saying nothing (session 9, gaps item 4)."""
    process = _compile_in_a_process(tmp_path, "k.py", "from dtracepy import Tracer\nt = Tracer()\n\n"
                                    "raise KeyboardInterrupt\n")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and out == ""
    assert err == ("k.py:4: error: interrupted (KeyboardInterrupt) while the tracer module ran; "
                   "nothing was compiled\n")


def test_ctrl_c_while_the_tracer_module_runs_is_said_where_and_exits_130(tmp_path):
    import signal

    # Ctrl-C as a terminal gives it: the child starts with SIGINT at its default, whatever this
    # process inherited (a job started with `&` by a shell without job control ignores SIGINT,
    # and so did every child it started: Python then installs no KeyboardInterrupt handler, and
    # the test waited out the module's sleep)
    process = _compile_in_a_process(tmp_path, "k.py", "import sys, time\nfrom dtracepy import Tracer\n"
                                    "t = Tracer()\nprint('ready', file=sys.stderr, flush=True)\n"
                                    "time.sleep(120)\n",
                                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stderr.readline() == "ready\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and out == ""
    # at the sleep (or at the print, if the signal came before it returned)
    assert err.startswith(("k.py:5: error: interrupted (KeyboardInterrupt)", "k.py:4: error: interrupted"))
    assert err.count("\n") == 1 and "Traceback" not in err
