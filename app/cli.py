"""`python -m app search|ask|serve|fetch-model`. The JSON shapes are a contract other tools rely on."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from core.cli import add_common_args, settings_from_args
from core.errors import ZhikuError
from core.settings import Settings


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
    for i, src in enumerate(result["sources"], 1):
        where = f"{src['source']} · p.{src['page']}" if src["page"] else src["source"]
        snippet = " ".join(src["text"].split())[:200]
        print(f"[{i}] {where}  (score {src['score']:.3f})\n    {snippet}")


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
    from app.web.server import serve

    serve(settings_from_args(args), host=args.host, port=args.port)
    return 0


# Imports stay inside the commands: `hash-password` must not wait for Chroma, nor `search` for Gradio.
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "search": lambda args: run_queries(args, settings_from_args(args)),
    "ask": lambda args: run_queries(args, settings_from_args(args)),
    "serve": run_serve,
    "hash-password": run_hash_password,
    "fetch-model": run_fetch_model,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ZhikuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
