"""Names the file system allows and a terminal or a database does not (issue 19, item 6), through the real CLI:
a GBK name, an ESC sequence in a name, a folder that cannot be listed and one past the system's path limit.
Each is reported on its own line or ingested under a safe name; the rest of the folder is ingested."""

import os
from pathlib import Path

from tests.conftest import json_lines, run_cli
from tests.test_ingest_bad_input import ingest_as_user

GBK_NAME = os.fsdecode("冷却塔.txt".encode("gbk"))  # what os.listdir returns for it: lone surrogates
ESC_NAME = "bad\x1b[31mred\x1b]0;pwned\x07\u009b2J.pdf"  # colour, a window title, a C1 "clear screen"


def deep_folder(base: Path, over: int) -> Path:
    """Nested folders whose path grows past `over` bytes, made through directory descriptors (no call is
    given the whole path, which the kernel would refuse), with a text file at the bottom."""
    fd = os.open(base, os.O_RDONLY)
    length, name = len(os.fsencode(str(base))), "d" * 200
    try:
        while length <= over:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, length = child, length + len(name) + 1
        out = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, "深处的文件：阀门压力 1.6 MPa。".encode())
        os.close(out)
    finally:
        os.close(fd)
    return base / name


def test_bad_names_unreadable_and_too_deep_folders_fail_alone_or_ingest_safely(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    (docs / GBK_NAME).write_text("冷却塔风机皮带每三个月检查一次张紧度。", encoding="utf-8")
    (docs / ESC_NAME).write_bytes(b"%PDF-1.7\nnot a pdf")
    locked = docs / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("机密。", encoding="utf-8")
    locked.chmod(0)
    deep_folder(docs, over=os.pathconf("/", "PC_PATH_MAX"))
    data = tmp_path / "data"
    try:
        result = ingest_as_user(docs, data)
        rows = listing(data)
        again = ingest_as_user(docs, data)  # the decoded name is stable: the file is found unchanged
    finally:
        locked.chmod(0o755)

    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, failed
    assert f"FAILED {docs / 'locked'}: folder not read: Permission denied" in failed
    assert any(line.startswith(f"FAILED {docs}/ddd") and "folder not read: path too long" in line for line in failed)
    shown = next(line for line in failed if ".pdf" in line)
    assert shown.startswith(f"FAILED {docs}/bad\\x1b[31mred\\x1b]0;pwned\\x07\\x9b2J.pdf: corrupt PDF")
    assert "\x1b" not in result.stderr and "\x9b" not in result.stderr and "\x07" not in result.stderr

    assert rows[str(docs / "冷却塔.txt")]["status"] == "ingested"  # the GBK name, shown decoded
    assert rows[str(docs / "good.txt")]["status"] == "ingested"
    table = run_cli("ingest", "list", data_dir=data, env={"COLUMNS": "400"})
    assert table.returncode == 0 and "bad\\x1b[31mred" in table.stdout and "\x1b" not in table.stdout
    raw_json = run_cli("ingest", "list", "--json", data_dir=data).stdout
    assert "\x9b" not in raw_json and "\\u009b2J" in raw_json

    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "冷却塔风机皮带多久检查", data_dir=data).stdout)[0]
    assert hit["sources"][0]["source"] == str(docs / "冷却塔.txt") and "三个月" in hit["sources"][0]["text"]
    assert again.returncode == 1 and again.stderr.count("FAILED") == 3
    assert {p: r for p, r in listing(data).items() if r["status"] == "ingested"} == {
        p: r for p, r in rows.items() if r["status"] == "ingested"
    }


def listing(data: Path) -> dict[str, dict]:
    return {r["path"]: r for r in json_lines(run_cli("ingest", "list", "--json", data_dir=data).stdout)}
