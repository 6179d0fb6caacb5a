"""A PDF table through the real pipeline (real pdfplumber, e5, Chroma, CLI): a cell question finds its row."""

from pathlib import Path

from tests.conftest import json_lines, run_cli
from tests.quick.test_pdf_table_rows import torque_pdf


def test_a_cell_question_finds_its_row_first_with_its_page(tmp_path: Path):
    """The M27 row sits on page 2, where the table goes on without its header: before, page 2 held only
    "M27 1050 1480"; now its row names the columns, and it is the first passage, cited as page 2."""
    pdf = torque_pdf(tmp_path / "fasteners.pdf")
    assert run_cli("ingest", str(pdf), data_dir=tmp_path / "data").returncode == 0
    question = "What is the tightening torque of an M27 bolt of class 10.9?"
    result = run_cli("app", "search", "--json", "-k", "5", question, data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    top = json_lines(result.stdout)[0]["sources"][0]
    assert top["page"] == 2
    assert "Bolt size: M27; Torque (N·m) Class 8.8: 1050; Torque (N·m) Class 10.9: 1480" in top["text"]
    assert top["heading"].endswith("Table 4.1 Bolt tightening torques")
