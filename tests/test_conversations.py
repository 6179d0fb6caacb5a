"""Conversations persisted in SQLite: follow-ups through `ask --session`, privacy between owners, budgets."""

import shutil
from pathlib import Path

import pytest

from app.engine.conversations import ConversationStore
from app.engine.memory import Turn, recent, rewrite_query
from core.errors import ZhikuError
from core.lang import approx_tokens
from tests.conftest import json_lines, run_cli


def test_turns_persist_and_owners_never_see_each_others(tmp_path: Path):
    store = ConversationStore.in_data_dir(tmp_path)
    alice = store.create("default", owner="alice")
    store.append(alice.id, Turn("主轴扭矩是多少？", "60 N·m [1]"), owner="alice")
    reopened = ConversationStore.in_data_dir(tmp_path)  # a restart
    assert reopened.turns(alice.id, owner="alice") == [Turn("主轴扭矩是多少？", "60 N·m [1]")]
    assert reopened.turns(alice.id, owner="bob") == []
    assert reopened.list(owner="bob") == [] and [c.title for c in reopened.list(owner="alice")] == ["主轴扭矩是多少？"]
    with pytest.raises(ZhikuError, match="belongs to another user"):
        reopened.open(alice.id, "default", owner="bob")
    with pytest.raises(ZhikuError, match="no conversation"):
        reopened.append(alice.id, Turn("q", "a"), owner="bob")
    reopened.rename(alice.id, "扭矩", owner="alice")
    reopened.delete(alice.id, owner="bob")  # not bob's: nothing happens
    assert reopened.get(alice.id, owner="alice").title == "扭矩"
    reopened.delete(alice.id, owner="alice")
    assert reopened.list(owner="alice") == [] and reopened.turns(alice.id, owner="alice") == []


def test_history_is_bounded_by_turns_and_by_tokens():
    turns = [Turn(f"question {i} " + "word " * 20, "answer " * 20) for i in range(10)]
    assert [t.question.split()[1] for t in recent(turns, 3)] == ["7", "8", "9"]
    per_turn = approx_tokens(turns[0].question) + approx_tokens(turns[0].answer)
    assert len(recent(turns, 10, max_tokens=2 * per_turn + 1)) == 2
    assert recent(turns, 10, max_tokens=1) == [] and recent(turns, 0) == []
    assert approx_tokens("主轴扭矩") >= 4 and approx_tokens("spindle torque rating") >= 3


def test_llm_rewrite_is_used_when_sane_and_the_rule_otherwise():
    history = [Turn("ZK-200 主轴的最大扭矩是多少？", "45 N·m")]
    rule = "ZK-200 主轴 它的转速呢？"
    assert rewrite_query("它的转速呢？", history, 24, lambda q, h: " ZK-200 主轴的最高转速是多少？\n") == (
        "ZK-200 主轴的最高转速是多少？"
    )
    assert rewrite_query("它的转速呢？", history, 24, lambda q, h: "") == rule
    assert rewrite_query("它的转速呢？", history, 24, lambda q, h: "x" * 500) == rule
    assert rewrite_query("它的转速呢？", [], 24, lambda q, h: "unused") == "它的转速呢？"


def test_ask_session_continues_a_conversation_and_two_sessions_stay_apart(kb_dir: Path, tmp_path: Path):
    """Real CLI, real model: the follow-up's retrieval query carries the first question only in its own session."""
    data = tmp_path / "data"
    shutil.copytree(kb_dir, data)
    first = run_cli(
        "app", "ask", "--json", "--session", "s1", "--evidence-only", "减速机齿轮箱换油周期？", data_dir=data
    )
    assert first.returncode == 0, first.stderr
    follow = run_cli("app", "ask", "--json", "--session", "s1", "--evidence-only", "油温呢？", data_dir=data)
    (payload,) = json_lines(follow.stdout)
    assert payload["session"] == "s1" and payload["query"] == "减速机齿轮箱换油周期 油温呢？"
    assert payload["sources"][0]["source"].endswith("减速机说明.pdf")
    other = run_cli("app", "ask", "--json", "--session", "s2", "--evidence-only", "油温呢？", data_dir=data)
    (payload,) = json_lines(other.stdout)
    assert payload["query"] == "油温呢？"  # s2 has no history: nothing of s1 leaks in
    turns = ConversationStore.in_data_dir(data).turns("s1")
    assert [t.question for t in turns] == ["减速机齿轮箱换油周期？", "油温呢？"]


def test_answers_are_kept_whole_and_an_older_store_gains_the_column(tmp_path: Path):
    import sqlite3

    old = sqlite3.connect(tmp_path / "conversations.sqlite3")
    old.executescript(
        "CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, kb TEXT NOT NULL, title TEXT NOT NULL,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
        "CREATE TABLE turns (conversation_id TEXT NOT NULL, n INTEGER NOT NULL, question TEXT NOT NULL,"
        " answer TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (conversation_id, n));"
        "INSERT INTO conversations VALUES ('c1', '', 'default', 'old', '2026-01-01', '2026-01-01');"
        "INSERT INTO turns VALUES ('c1', 0, 'q0', 'a0', '2026-01-01');"
    )
    old.commit()
    old.close()
    store = ConversationStore.in_data_dir(tmp_path)
    store.append("c1", Turn("q1", "a1"), detail={"grounded": "supported"})
    assert [(e.question, e.detail) for e in store.entries("c1")] == [("q0", {}), ("q1", {"grounded": "supported"})]
    assert store.turns("c1") == [Turn("q0", "a0"), Turn("q1", "a1")] and store.entries("c1", owner="eve") == []


def test_an_exported_conversation_keeps_its_sources_and_shows_html_as_text():
    from app.engine.conversations import Conversation, Entry
    from app.web.page.export import conversation_markdown
    from app.web.page.labels import LABELS
    from core.documents import Source

    conversation = Conversation("c1", "", "default", "", "2026-11-23T07:00:00+00:00", "2026-11-23T07:00:00+00:00")
    source = Source("pump_manual.pdf", 2, "<script>alert(1)</script> Clearance 0.3 mm.", 0.91)
    detail = {"grounded": "supported", "sources": [source.to_json()]}
    md = conversation_markdown(conversation, [Entry("Clearance?", "0.3 mm [1].", detail, "")], LABELS["en"])
    assert md.startswith("# (untitled conversation)\n") and "## 1. Clearance?" in md
    assert "1. pump_manual.pdf · p.2 · 0.91" in md and f"*{LABELS['en']['supported']}*" in md
    assert "&lt;script&gt;" in md and "<script>" not in md


def test_an_exported_verified_answer_names_the_documents_it_rests_on():
    """A verified answer is served before any search: its own sources, not retrieval's, are what it stands on."""
    from app.engine.conversations import Conversation, Entry
    from app.web.page.export import conversation_markdown
    from app.web.page.labels import LABELS

    conversation = Conversation("c1", "AL-105", "default", "", "2026-11-29T07:00:00+00:00", "2026-11-29T07:00:00+00:00")
    verified = {"id": "v1", "by": "li", "at": "2026-11-28", "sources": [{"name": "docs/CK6140.pdf", "page": 3}]}
    detail = {"grounded": "verified", "verified": verified, "sources": []}
    md = conversation_markdown(conversation, [Entry("AL-105?", "Spindle overload.", detail, "")], LABELS["en"])
    assert f"**{LABELS['en']['verified_sources']}**\n\n- CK6140.pdf · p.3" in md
