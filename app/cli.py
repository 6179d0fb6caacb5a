"""`python -m app search|ask|serve|fetch-model|verified|feedback`. The JSON shapes are a contract tools rely on."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli import add_common_args, settings_from_args
from core.errors import UnknownKBError, ZhikuError
from core.settings import Settings

if TYPE_CHECKING:
    from core.kb import KnowledgeBase


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description="Ask questions over your documents.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("search", "retrieval only"), ("ask", "retrieve and answer with the local LLM")):
        p = sub.add_parser(name, help=help_text)
        add_common_args(p)
        p.add_argument("-k", type=int, help="passages to retrieve (default: retrieval.top_k)")
        p.add_argument("--json", action="store_true", help="print JSON (JSON Lines when QUESTION is '-')")
        p.add_argument("--doc", action="append", default=[], help="only this document (path or id; repeatable)")
        p.add_argument("--type", action="append", default=[], help="only files of this type, e.g. pdf (repeatable)")
        p.add_argument("--tag", action="append", default=[], help="only documents ingested with this tag")
        p.add_argument("question", metavar="QUESTION", help="the question, or '-' to read one per line from stdin")
        if name == "ask":
            p.add_argument("--evidence-only", action="store_true", help="quote the documents, do not run the LLM")
            p.add_argument(
                "--session", metavar="ID", help="continue (or start) conversation ID: follow-ups use its history"
            )
            p.add_argument("--no-cache", action="store_true", help="answer afresh even if a close question was cached")
    serve = sub.add_parser("serve", help="serve the chat page")
    add_common_args(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("hash-password", help="print the hash of a password for auth.users (read from the terminal)")
    fetch = sub.add_parser("fetch-model", help="download a GGUF model from the Hugging Face hub")
    add_common_args(fetch)
    fetch.add_argument("repo", metavar="REPO", help="e.g. Qwen/Qwen2.5-7B-Instruct-GGUF")
    fetch.add_argument("file", metavar="FILE", help="e.g. qwen2.5-7b-instruct-q4_k_m.gguf")
    add_verified_parsers(sub)  # verified, feedback (issue 22)
    return parser


def questions(arg: str) -> Iterator[str]:
    if arg != "-":
        yield arg
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def print_human(result: dict[str, Any]) -> None:
    if "answer" in result:
        print(result["answer"], end="\n\n")
    if verified := result.get("verified"):  # no passages were retrieved: say what it answers and rests on
        print(f"verified answer to: {verified['question']}")
        for i, src in enumerate(verified["sources"], 1):
            print(f"[{i}] {src['name']} · p.{src['page']}" if src["page"] else f"[{i}] {src['name']}")
    if similar := result.get("verified_similar"):  # offered, not served: asked as written, it is
        print(f"a similar verified question (ask it as written for its verified answer): {similar['question']}\n")
    for i, src in enumerate(result["sources"], 1):
        where = f"{src['source']} · p.{src['page']}" if src["page"] else src["source"]
        snippet = " ".join(src["text"].split())[:200]
        still = "  [still being embedded: found by keywords so far]" if src.get("embedding") else ""
        print(f"[{i}] {where}  (score {src['score']:.3f}){still}\n    {snippet}")


def run_queries(args: argparse.Namespace, settings: Settings) -> int:
    from app.engine.answer import AskOptions
    from app.engine.conversations import ConversationStore
    from app.engine.query import Filter
    from app.engine.service import AnswerService
    from app.engine.sessions import Sessions, UnsavedTurnError
    from core.kb import open_kb
    from core.limits import check_question

    if args.question != "-":  # before a knowledge base is opened or a model loaded
        check_question(args.question, settings.limits)
    service = AnswerService(settings, open_kb(settings))
    where = Filter(tuple(args.doc), tuple(args.type), tuple(args.tag))
    options = AskOptions(
        k=args.k,
        where=where or None,
        evidence_only=getattr(args, "evidence_only", False) or None,
        use_cache=not getattr(args, "no_cache", False),
    )
    session: str | None = getattr(args, "session", None)
    sessions = Sessions(ConversationStore.in_data_dir(settings.data_dir)) if session else None
    if sessions is not None:
        session = sessions.open(session, service.kb.name)

    def ask(question: str) -> dict[str, Any]:
        if sessions is None or session is None:
            return service.ask(question, None, options).to_json()
        answer = sessions.ask(service, session, question, options)
        return {**answer.to_json(), "session": session}

    handlers: dict[str, Callable[[str], dict[str, Any]]] = {
        "search": lambda q: service.search(q, options=options).to_json(q),
        "ask": ask,
    }

    def show(result: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print_human(result)

    for question in questions(args.question):
        try:
            result = handlers[args.command](check_question(question, settings.limits))
        except UnsavedTurnError as exc:  # the answer stands; main() then says the conversation did not keep it
            show({**exc.answer.to_json(), "session": session})
            raise
        show(result)
    return 0


def run_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from app.web.auth import hash_password

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not password:
        raise ZhikuError("an empty password cannot sign in")
    print(hash_password(password))
    return 0


def run_fetch_model(args: argparse.Namespace) -> int:
    from app.engine.llm.fetch import fetch_model

    settings = settings_from_args(args)
    path = fetch_model(args.repo, args.file, settings.dirs.models, settings.llm.fetch_timeout_s)
    print(f"downloaded {path}\nuse it: set llm.model_path: {path} in config.yaml (or ZHIKU_LLM__MODEL_PATH)")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from core.allocator import tune

    settings = settings_from_args(args)
    tune(settings.server.malloc_arena_max, settings.server.malloc_mmap_threshold_kb)  # before the server's threads
    from app.web.server import serve

    serve(settings, host=args.host, port=args.port)
    return 0


# -- verified answers and feedback (issue 22) ------------------------------------------------------------
def add_verified_parsers(sub: Any) -> None:
    """`verified import|add|list|delete|confirm|export` and `feedback report` (issue 22). Run by whoever holds
    the data dir, so nothing here checks who may verify."""
    verified = sub.add_parser("verified", help="verified answers: served first to a question that asks the same")
    actions = verified.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="add the rows of a CSV or XLSX file (question, answer, source)")
    imp.add_argument("file", type=Path)
    add = actions.add_parser("add", help="add one verified answer")
    add.add_argument("question")
    add.add_argument("answer")
    add.add_argument("--source", action="append", default=[], help="a document (path, name or id), '#pN' a page")
    listing = actions.add_parser("list", help="the verified answers (--to-review: those a document change flagged)")
    listing.add_argument("--to-review", action="store_true")
    listing.add_argument("--json", action="store_true")
    delete = actions.add_parser("delete", help="delete verified answers by id")
    delete.add_argument("ids", nargs="+", metavar="ID")
    confirm = actions.add_parser("confirm", help="serve flagged answers again: they hold with the documents as now")
    confirm.add_argument("ids", nargs="+", metavar="ID")
    export = actions.add_parser("export", help="write them as CSV (to stdout, or a .csv/.xlsx file)")
    export.add_argument("-o", "--output", type=Path)
    for p in (imp, add, listing, delete, confirm, export):
        add_common_args(p)
    for p in (imp, add, confirm):
        p.add_argument("--by", default="", help="who vouches for it (default: your login name)")
    feedback = sub.add_parser("feedback", help="what the team said about answers")
    reports = feedback.add_subparsers(dest="action", required=True)
    report = reports.add_parser("report", help="the most 👎 questions and the most often 'not found' ones")
    add_common_args(report)
    report.add_argument("--json", action="store_true")
    report.add_argument("--csv", type=Path, help="also write the report as CSV")


def _kb(settings: Settings) -> KnowledgeBase:
    """Imported here: `python -m app hash-password` builds this parser too and must not wait for Chroma."""
    from core.kb import kb_exists, open_kb

    if not kb_exists(settings.dirs, settings.kb):
        raise UnknownKBError(f"no knowledge base '{settings.kb}'")
    return open_kb(settings)


def run_verified(args: argparse.Namespace) -> int:
    from app.engine.verified.files import (
        Row,
        add_verified,
        check_texts,
        export_rows,
        read_rows,
        resolve_source,
        write_table,
    )  # fmt: skip
    from core.kb.verified import VerifiedStatus

    settings = settings_from_args(args)
    kb = _kb(settings)
    by = getattr(args, "by", "") or _login()  # --by: import, add and confirm
    if args.action == "import":
        if not args.file.is_file():
            raise ZhikuError(f"no file {args.file}")
        added = add_verified(kb, read_rows(kb, args.file, settings.limits), by)
        print(f"imported {len(added)} verified answers into '{kb.name}'")
    elif args.action == "add":
        check_texts(args.question, args.answer, settings.limits)
        sources = tuple(resolve_source(kb, s) for s in args.source)
        (item,) = add_verified(kb, [Row(args.question, args.answer, sources)], by)
        print(f"added {item.id}")
    elif args.action == "list":
        items = kb.verified.answers(VerifiedStatus.TO_REVIEW if args.to_review else None)
        for item in items:
            print(json.dumps(item.to_json(), ensure_ascii=False) if args.json else _line(item.to_json()))
    elif args.action in ("delete", "confirm"):
        done = {i: kb.verified.delete(i) if args.action == "delete" else kb.verified.confirm(i, by) for i in args.ids}
        for i, ok in done.items():
            print(f"{args.action}d {i}" if ok else f"not found: {i}")
        return 0 if all(done.values()) else 1
    elif args.action == "export":
        text = write_table(export_rows(kb.verified.answers()), args.output)
        print(text, end="") if args.output is None else print(f"wrote {args.output}")
    return 0


def _line(item: dict[str, Any]) -> str:
    mark = "" if item["status"] == "active" else f"  [to review: {item['review_reason']}]"
    return f"{item['id']}  {item['question']}  ->  {item['answer'][:60]}  ({item['by']} · {item['at'][:10]}){mark}"


def _login() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name in a container without a passwd entry
        return "cli"


def run_feedback(args: argparse.Namespace) -> int:
    from app.engine.verified.manage import feedback_report, report_rows
    from core.kb.feedback import FeedbackStore

    settings = settings_from_args(args)
    kb = _kb(settings)
    store = FeedbackStore(kb.manifest.path, settings.verified.max_not_found)
    report = feedback_report(store, kb.name, settings.verified.report_size)
    if args.csv:
        from app.engine.verified.files import write_table

        write_table(report_rows(report), args.csv)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for title, key in (("most 👎", "most_down"), ("most often not found", "most_not_found")):
        print(f"{title} ({kb.name}):")
        for c in report[key] or [{"times": 0, "question": "(none)"}]:
            print(f"  {c['times']:>4}  {c['question']}")
    return 0


# Imports stay inside the commands: `hash-password` must not wait for Chroma, nor `search` for Gradio.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "search": lambda args: run_queries(args, settings_from_args(args)),
    "ask": lambda args: run_queries(args, settings_from_args(args)),
    "serve": run_serve,
    "hash-password": run_hash_password,
    "fetch-model": run_fetch_model,
    "verified": run_verified,
    "feedback": run_feedback,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ZhikuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
