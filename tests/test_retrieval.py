"""Hybrid retrieval, filters, the relevance floor and evidence, through the real CLI (e5, Chroma, FTS5)."""

from pathlib import Path

from tests.conftest import json_lines, run_cli


def search(kb_dir: Path, question: str, *flags: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli("app", "search", "--json", *flags, question, data_dir=kb_dir, env=env)
    assert result.returncode == 0, result.stderr
    (payload,) = json_lines(result.stdout)
    return payload


def test_an_exact_code_is_found_by_its_keyword(kb_dir: Path):
    for code, file, page in [("DN65", "pump_manual.pdf", 1), ("VG220", "减速机说明.pdf", 2)]:
        top = search(kb_dir, f"{code}?", "-k", "3")["sources"][0]
        assert top["source"].endswith(file) and top["page"] == page
        assert top["keyword_score"] > 0 and top["rank"] == 1 and code in top["text"]


def test_keyword_and_vector_halves_alone_and_fused(kb_dir: Path):
    keyword = search(kb_dir, "VG220", env={"ZHIKU_RETRIEVAL__MODE": "keyword"})["sources"]
    assert len(keyword) == 1 and "VG220" in keyword[0]["text"]  # only chunks sharing a word
    vector = search(kb_dir, "VG220", "-k", "4", env={"ZHIKU_RETRIEVAL__MODE": "vector"})["sources"]
    assert len(vector) == 4 and all(s["keyword_score"] == 0 for s in vector)
    for fusion in ("weighted", "rrf"):
        fused = search(kb_dir, "VG220", "-k", "4", env={"ZHIKU_RETRIEVAL__FUSION": fusion})["sources"]
        assert "VG220" in fused[0]["text"] and len(fused) == 4  # the keyword hit first, vector hits after
        assert [s["fused_score"] for s in fused] == sorted((s["fused_score"] for s in fused), reverse=True)


def test_weighted_fusion_lets_a_decisive_score_win():
    """Reciprocal rank fusion sees only ranks: a passage first by far on keywords but 11th by vector loses to
    one that is 1st by vector and 2nd on keywords by a hair. Weighted fusion keeps how far ahead it was."""
    from app.engine.fusion import rrf, weighted

    vector_rank = ["near", *[f"v{i}" for i in range(9)], "exact", *[f"w{i}" for i in range(19)]]
    cosines = {c: 0.90 - 0.001 * i for i, c in enumerate(vector_rank)}
    keyword = {"exact": 30.0, "near": 3.1, "v0": 3.0}
    by_rrf = rrf([vector_rank, sorted(keyword, key=lambda c: -keyword[c])], 60)
    assert max(by_rrf, key=by_rrf.get) == "near"
    by_score = weighted(cosines, keyword, 0.5)
    assert max(by_score, key=by_score.get) == "exact"
    assert set(by_score) == set(cosines) and all(0.0 <= v <= 1.0 for v in by_score.values())
    all_vector = weighted(cosines, keyword, 1.0)
    assert sorted(all_vector, key=lambda c: -all_vector[c]) == vector_rank  # the keyword half has no say


def test_filters_restrict_by_document_and_file_type(kb_dir: Path):
    by_doc = search(kb_dir, "What is the maximum temperature?", "-k", "5", "--doc", "减速机说明.pdf")["sources"]
    assert by_doc and {Path(s["source"]).name for s in by_doc} == {"减速机说明.pdf"}
    by_type = search(kb_dir, "检查", "-k", "5", "--type", "txt")["sources"]
    assert [Path(s["source"]).name for s in by_type] == ["冷却塔.txt"]
    assert search(kb_dir, "pump", "--doc", "no-such-file.pdf")["sources"] == []


def test_tags_given_at_ingest_restrict_questions(tmp_path: Path, docs_dir: Path):
    assert run_cli("ingest", str(docs_dir / "pump_manual.pdf"), "--tag", "pumps", data_dir=tmp_path).returncode == 0
    assert run_cli("ingest", str(docs_dir / "减速机说明.pdf"), "--tag", "gearboxes", data_dir=tmp_path).returncode == 0
    tagged = search(tmp_path, "maximum temperature", "-k", "5", "--tag", "gearboxes")["sources"]
    assert tagged and all(s["source"].endswith("减速机说明.pdf") for s in tagged)
    listing = json_lines(run_cli("ingest", "list", "--json", data_dir=tmp_path).stdout)
    assert {Path(r["path"]).name: r["tags"] for r in listing} == {
        "pump_manual.pdf": ["pumps"],
        "减速机说明.pdf": ["gearboxes"],
    }


def test_below_the_relevance_floor_the_answer_is_not_found_in_the_questions_language(kb_dir: Path):
    env = {"ZHIKU_RETRIEVAL__MIN_RELEVANCE": "1.5"}  # out of reach: every question is below the floor
    for question, phrase in [
        ("量子计算机的原理是什么？", "文档中没有找到"),
        ("Who won the 1998 World Cup?", "Not found"),
    ]:
        result = run_cli("app", "ask", "--json", question, data_dir=kb_dir, env=env)
        assert result.returncode == 0, result.stderr
        (payload,) = json_lines(result.stdout)
        assert payload["grounded"] == "not_found" and payload["answer"].startswith(phrase)
        assert payload["sources"] and payload["evidence"] == []  # the closest passages are still shown
    assert search(kb_dir, "pump", env=env)["relevant"] is False


def test_the_floor_is_chosen_by_the_questions_language(kb_dir: Path):
    """e5 scores Chinese pairs higher than English ones, so each language has its own floor; an environment
    override of one language's floor leaves the other's alone."""
    zh, en = "减速机油温不得超过多少度？", "What must the impeller clearance be?"
    out_of_reach = {"ZHIKU_RETRIEVAL__MIN_RELEVANCE__ZH": "1.5"}
    assert search(kb_dir, zh, env=out_of_reach)["relevant"] is False
    assert search(kb_dir, en, env=out_of_reach)["relevant"] is True
    out_of_reach = {"ZHIKU_RETRIEVAL__MIN_RELEVANCE__EN": "1.5"}
    assert search(kb_dir, zh, env=out_of_reach)["relevant"] is True
    assert search(kb_dir, en, env=out_of_reach)["relevant"] is False


def test_the_default_floor_refuses_an_unrelated_question_and_answers_a_related_one(kb_dir: Path):
    unrelated = search(kb_dir, "Who won the football World Cup in 1998?")
    assert unrelated["relevant"] is False and unrelated["evidence"] == []
    assert search(kb_dir, "What must the impeller clearance be?")["relevant"] is True
    assert search(kb_dir, "减速机油温不得超过多少度？")["relevant"] is True


def test_evidence_only_quotes_the_documents_with_citations(kb_dir: Path):
    result = run_cli("app", "ask", "--json", "--evidence-only", "齿轮箱换油周期是多少小时？", data_dir=kb_dir)
    (payload,) = json_lines(result.stdout)
    assert payload["grounded"] == "quoted"
    best = payload["evidence"][0]
    assert "2000" in best["text"] and best["source"].endswith("减速机说明.pdf") and best["page"] == 2
    assert f"[{best['citation']}]" in payload["answer"] and best["text"] in payload["answer"]
    assert payload["sources"][best["citation"] - 1]["page"] == 2


def test_a_passage_stored_once_names_every_file_that_holds_it(tmp_path: Path, docs_dir: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pump.pdf").write_bytes((docs_dir / "pump_manual.pdf").read_bytes())
    (folder / "pump copy.pdf").write_bytes((docs_dir / "pump_manual.pdf").read_bytes())
    assert run_cli("ingest", str(folder), data_dir=tmp_path / "data").returncode == 0
    top = search(tmp_path / "data", "impeller clearance")["sources"][0]
    assert {Path(top["source"]).name, *(Path(p).name for p in top["also_in"])} == {"pump.pdf", "pump copy.pdf"}
