"""``dtracepy layout FILE.h TYPE``: the table, the JSON, and errors without tracebacks."""

from __future__ import annotations

import json
import re

import pytest

from dtracepy.cli import main
from dtracepy.layout import header_path


def run(capsys, *argv):
    code = main(["layout", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_layout_table_shows_offsets_and_bits(capsys):
    code, out, err = run(capsys, header_path("ip.h"), "struct ip")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "struct ip: size 20, align 4 (x86_64)"
    rows = {line.split()[-1]: line for line in out.splitlines()[2:] if line.strip()}
    assert rows["ip_src"].split() == ["12", "(0xc)", "4", "in_addr_t", "ip_src"]
    assert rows["ip_v"].split() == ["0", "(0x0)", "1", "4:4", "uint8_t", "ip_v"]


def test_layout_table_lines_up_decimal_and_hex_offsets(capsys):
    code, out, _ = run(capsys, header_path("tcp.h"), "struct tcphdr")
    assert code == 0
    lines = out.splitlines()
    assert lines[2:5] == ["offset     size  bits  type      name",
                          " 0 (0x0)      2        uint16_t  th_sport",
                          " 2 (0x2)      2        uint16_t  th_dport"]
    table = [line for line in lines[3:] if "(0x" in line]
    # every decimal ends, every "(0x" starts and every size ends in the same column
    assert len({line.index(" (0x") for line in table}) == 1
    assert len({re.search(r"\)\s+\d+", line).end() for line in table}) == 1
    assert "16 (0x10)" in out and "12 (0xc) " in out


def test_layout_json_flattens_nested_members(capsys, tmp_path):
    header = tmp_path / "n.h"
    header.write_text("typedef struct { char c; union { int i; struct { short b; } a; } u; int arr[4];"
                      " unsigned f:3; } n_t;\n")
    code, out, _ = run(capsys, str(header), "n_t", "--json", "--abi", "i386")
    assert code == 0
    data = json.loads(out)
    assert (data["name"], data["size"], data["align"]) == ("n_t", 28, 4)
    assert [f["name"] for f in data["fields"]] == ["c", "u", "u.i", "u.a", "u.a.b", "arr", "f"]
    assert data["fields"][0] == {"name": "c", "type": "char", "offset": 0, "size": 1,
                                 "bit_offset": None, "bit_width": None}
    assert data["fields"][-1]["bit_width"] == 3 and data["fields"][-1]["bit_offset"] == 0


def test_layout_unknown_type_is_an_error_not_a_traceback(capsys):
    code, _, err = run(capsys, header_path("tcp.h"), "tcphd")
    assert code == 1 and "unknown type 'tcphd'; did you mean 'struct tcphdr'" in err
    assert err.startswith(f"{header_path('tcp.h')}:1: error: ")  # located, as every error (review 9, §2.2)
    assert "Traceback" not in err


def test_layout_bad_c_is_located(capsys, tmp_path):
    header = tmp_path / "bad.h"
    header.write_text("struct a {\n  int x y;\n};\n")
    code, _, err = run(capsys, str(header), "a")
    assert code == 1 and err.startswith(f"{header}:2:") and "error:" in err


def test_layout_defines_and_includes(capsys, tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "w.h").write_text("#define W 5\n")
    header = tmp_path / "d.h"
    header.write_text('#include "w.h"\nstruct d { char name[W * K]; };\n')
    code, out, _ = run(capsys, str(header), "d", "-I", str(tmp_path / "inc"), "-D", "K=2", "--json")
    assert code == 0 and json.loads(out)["size"] == 10


def test_layout_unknown_abi_is_a_usage_error_listing_the_abis(capsys):
    with pytest.raises(SystemExit) as info:
        main(["layout", header_path("ip.h"), "ip", "--abi", "pdp11"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("usage: dtracepy layout")
    assert "argument --abi: unknown ABI 'pdp11' (choose from x86_64, i386, aarch64, sparcv9)" in err
    assert run(capsys, header_path("ip.h"), "ip", "--abi", "ARM64")[1].startswith("struct ip: size 20, align 4 (aarch64)")


def test_layout_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "none.h"), "ip")
    assert code == 1 and "cannot read" in err


def test_the_collector_is_off_while_the_table_is_made_and_back_on_after(capsys, monkeypatch):
    # a table of 300,000 members took 3.4 s with collections scanning the laid-out records, 1.5 s without
    import gc

    from dtracepy.commands import layout_cmd

    seen = []
    format_table = layout_cmd.format_table
    monkeypatch.setattr(layout_cmd, "format_table", lambda layout: (seen.append(gc.isenabled()), format_table(layout))[1])
    assert gc.isenabled()
    code, out, _ = run(capsys, header_path("ip.h"), "ip")
    assert code == 0 and "ip_src" in out and seen == [False] and gc.isenabled()
