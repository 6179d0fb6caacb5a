"""Soak: the service left running under a team's mixed load, watched for errors, lost facts and leaks (issue 19).

Starts `python -m app serve` as a team runs it: the project's config.yaml (the packaged embedding model, the
packaged in-process LLM, the sample knowledge base ingested at start), on 127.0.0.1, in a fresh data dir. For
`--minutes`, `--clients` clients at once each pick at random: upload 1-3 files (`POST /api/ingest`), ask
(`POST /api/ask`: half through the model, half evidence-only, half of them continuing a session), search
(`POST /api/search`), delete one of the files it uploaded, or send a deliberate 4xx probe (an unknown knowledge
base or document, an over-long question, a malformed body). Every `--cli-every` minutes `python -m ingest` adds
a folder to the same knowledge base from the command line, as a team's script would while the service runs
(the service keeps the store; `docs/decisions/processes.md`).

The files are small real documents (examples/, a few PDFs from ../shared/data/pdfs when it is there) and
generated maintenance cards written from one template: cards differ only in a code and numbers, so each holds
distinct facts and every chunk of every card must be stored. The soak keeps a ledger of what was uploaded and
deleted, and checks against it:

- errors: a request that fails, times out or answers other than 2xx (a probe: other than its 4xx);
- facts: each card a client searches for is found while present and not found once deleted; at the end every
  present card is found by its code and listed with the chunks its upload stored, no deleted one is found or
  listed, the documents listed are exactly the ledger's, no two stored chunks have the same text, and
  `python -m ingest check` is clean;
- leaks: the server's RSS (and its parts: RssAnon, the heap; RssFile, mapped files such as the models), open
  file descriptors and threads, sampled every `--sample-s` from /proc: the median and the least of the window
  after warm-up against the last window, and the slope after warm-up. `--server-env KEY=VALUE` sets the server's
  environment alone, e.g. glibc's MALLOC_ARENA_MAX, or a diagnostic's (docs/benchmarks.md, "Soak").

    nice -n 15 .venv/bin/python -m bench.soak --minutes 30 --clients 4

Writes `bench/results/soak/soak-<UTC time>.json` and prints its summary; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.web import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
KB = "default"
REAL = [  # small real documents: the sample's own, and some from ../shared/data when present
    ROOT / "examples" / "coolant_datasheet.md",
    ROOT / "examples" / "车间安全操作规程.txt",
    ROOT / "examples" / "ZK-200_spindle_manual.pdf",
    SHARED / "pdfs" / "debian-docs" / "en" / "LinuxCNC_Integrator.pdf",
    SHARED / "pdfs" / "pypdf-sample-files" / "004-pdflatex-4-pages" / "pdflatex-4-pages.pdf",
    SHARED / "pdfs" / "pypdf-sample-files" / "011-google-doc-document" / "google-doc-document.pdf",
    SHARED / "pdfs" / "unstructured-example-docs" / "multi-column-2p.pdf",
    SHARED / "pdfs" / "debian-docs" / "zh" / "maint-guide.zh-cn.pdf",
]
OPS = {"upload": 22, "ask": 22, "search": 32, "delete": 14, "probe": 10}  # weights
MAX_OWN = 10  # files a client keeps: past it an upload turns into a delete, so the knowledge base stays about
# one size and a growing RSS is a leak, not more data
TIMEOUT_S = 1800.0  # per request: an answer waits its turn at the one in-process model


@dataclass
class Entry:
    """One name uploaded into the knowledge base, as the ledger knows it."""

    name: str
    owner: str  # the client that may delete it: "c0", "c1", …
    code: str = ""  # a card's own code ("" for a real document)
    chunks: int = -1  # what its ingestion reported storing
    present: bool = True


@dataclass
class Ledger:
    entries: dict[str, Entry] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Entry) -> None:
        with self.lock:
            self.entries[entry.name] = entry

    def owned(self, owner: str, present: bool) -> list[Entry]:
        with self.lock:
            return [e for e in self.entries.values() if e.owner == owner and e.present == present]


@dataclass
class Stats:
    ops: Counter[str] = field(default_factory=Counter)
    probes: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # present cards a search did not find
    ghosts: list[str] = field(default_factory=list)  # deleted cards a search still found
    dropped: list[str] = field(default_factory=list)  # cards whose ingestion did not store every chunk
    seconds: dict[str, list[float]] = field(default_factory=dict)
    cli_runs: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, started: float, op: str, what: str) -> None:
        with self.lock:
            self.errors.append({"t_s": round(time.monotonic() - started, 1), "op": op, "error": what[:600]})

    def timed(self, op: str, seconds: float) -> None:
        with self.lock:
            self.ops[op] += 1
            self.seconds.setdefault(op, []).append(seconds)


def card(code: str, seed: int) -> str:
    """A maintenance card from the one template: only the code and the numbers differ between cards."""
    rnd = random.Random(seed)
    lines = [f"# 保养卡 {code}"]
    for step in range(1, 13):
        lines.append(
            f"第 {step} 步：机床 {code} 的主轴润滑周期为 {rnd.randint(50, 999)} 小时，"
            f"报警代码 AL-{rnd.randint(100, 999)} 时扭矩上限 {rnd.randint(10, 400)} N·m。"
        )
    lines.append(f"Card {code}: coolant concentration {rnd.randint(3, 12)} %, checked every {rnd.randint(2, 30)} days.")
    return "\n".join(lines) + "\n"


def missed(op: str, entry: Entry, body: dict[str, Any], started: float) -> str:
    """What a search or an answer that missed (or wrongly found) a card returned, to tell why."""
    got = [basename(s["source"]) for s in body["sources"]][:5]
    cached = " (cached)" if body.get("cached") else ""
    return f"{time.monotonic() - started:.0f} s {op}{cached}: {entry.name}; sources {got}"


def basename(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


class Client:
    def __init__(self, index: int, url: str, ledger: Ledger, stats: Stats, started: float, limits: dict[str, int]):
        self.name, self.url, self.ledger, self.stats = f"c{index}", url, ledger, stats
        self.started, self.limits = started, limits
        self.rnd = random.Random(1000 + index)
        self.http = httpx.Client(base_url=url, timeout=TIMEOUT_S)
        self.seq, self.session, self.session_turns = 0, f"soak-{self.name}-0", 0

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            op = self.rnd.choices(list(OPS), weights=list(OPS.values()))[0]
            if op == "upload" and len(self.ledger.owned(self.name, True)) >= MAX_OWN:
                op = "delete"
            began = time.perf_counter()
            try:
                getattr(self, op)()
            except Exception as exc:  # counted, not raised: the point is how many fail
                self.stats.error(self.started, op, f"{type(exc).__name__}: {exc}")
            self.stats.timed(op, time.perf_counter() - began)
            time.sleep(self.rnd.uniform(0.0, 1.0))

    def expect(self, op: str, response: httpx.Response, status: int = 200) -> dict[str, Any] | None:
        if response.status_code != status:
            self.stats.error(self.started, op, f"HTTP {response.status_code} (expected {status}): {response.text}")
            return None
        body: dict[str, Any] = response.json()
        return body

    # -- the operations ---------------------------------------------------------------------------------
    def upload(self) -> None:
        files: list[tuple[str, bytes, Entry]] = []
        for _ in range(self.rnd.randint(1, 3)):
            self.seq += 1
            if self.rnd.random() < 0.15:  # a real document, under this client's name for it
                real = self.rnd.choice([p for p in REAL if p.exists()])
                name = f"{self.name}-{real.name}"
                if name not in {f[0] for f in files}:
                    files.append((name, real.read_bytes(), Entry(name, self.name)))
            else:
                code = f"QX{self.name[1:]}-{self.seq:04d}"
                name = f"card-{code}.txt"
                files.append((name, card(code, zlib.crc32(code.encode())).encode(), Entry(name, self.name, code)))
        body = self.expect(
            "upload",
            self.http.post("/api/ingest", data={"kb": KB}, files=[("files", (n, data)) for n, data, _ in files]),
        )
        if body is None:
            return
        results = {basename(r["source"]): r for r in body["results"]}
        for name, _, entry in files:
            result = results.get(name)
            if result is None or result["status"] not in ("ingested", "skipped"):
                self.stats.error(self.started, "upload", f"{name}: {result}")
                continue
            if entry.code:
                entry.chunks = result["chunks"]
                if result["status"] != "ingested" or result["note"] or not result["chunks"]:
                    self.stats.dropped.append(f"{name}: {result}")
            self.ledger.add(entry)

    def _a_card(self, present: bool) -> Entry | None:
        cards = [e for e in self.ledger.owned(self.name, present) if e.code]
        return self.rnd.choice(cards) if cards else None

    def search(self) -> None:
        present = self.rnd.random() < 0.8
        entry = self._a_card(present)
        if entry is None:
            question, entry = self.rnd.choice(["主轴润滑周期是多少小时？", "What coolant concentration is used?"]), None
        else:
            question = f"机床 {entry.code} 的主轴润滑周期是多少小时？"
        body = self.expect("search", self.http.post("/api/search", json={"question": question, "kb": KB}))
        if body is None or entry is None:
            return
        found = any(basename(s["source"]) == entry.name for s in body["sources"])
        if found != present:
            (self.stats.lost if present else self.stats.ghosts).append(missed("search", entry, body, self.started))

    def ask(self) -> None:
        entry = self._a_card(True)
        question = f"机床 {entry.code} 的主轴润滑周期是多少小时？" if entry else "ZK-200主轴的最大转速是多少？"
        ask: dict[str, Any] = {"question": question, "kb": KB, "evidence_only": self.rnd.random() < 0.5}
        if self.rnd.random() < 0.5:  # a conversation of up to 3 turns, then a new one
            if self.session_turns >= 3:
                self.session, self.session_turns = f"soak-{self.name}-{self.seq}", 0
            ask["session"], self.session_turns = self.session, self.session_turns + 1
        body = self.expect("ask", self.http.post("/api/ask", json=ask))
        if body is None or entry is None or "session" in ask:  # a follow-up's search may carry the earlier turn
            return
        if not any(basename(s["source"]) == entry.name for s in body["sources"]):
            self.stats.lost.append(missed("ask", entry, body, self.started))

    def delete(self) -> None:
        present = self.ledger.owned(self.name, True)
        if not present:
            return
        entry = self.rnd.choice(present)
        body = self.expect("delete", self.http.delete(f"/api/kbs/{KB}/documents/{self._path(entry.name)}"))
        if body is not None:
            entry.present = False

    def _path(self, name: str) -> str:
        """The name as the knowledge base lists it (an upload's path)."""
        listed = self.http.get(f"/api/kbs/{KB}/documents").json()["documents"]
        return next((d["path"] for d in listed if basename(d["path"]) == name), name)

    def probe(self) -> None:
        kind = self.rnd.choice(["unknown_kb", "unknown_document", "long_question", "malformed"])
        self.stats.probes[kind] += 1
        if kind == "unknown_kb":
            self.expect("probe", self.http.get("/api/kbs/no-such-kb-soak/documents"), 404)
        elif kind == "unknown_document":
            self.expect("probe", self.http.delete(f"/api/kbs/{KB}/documents/no-such-file-soak.txt"), 404)
        elif kind == "long_question":
            question = "主轴" * self.limits["question_chars"]
            self.expect("probe", self.http.post("/api/ask", json={"question": question, "kb": KB}), 413)
        else:
            self.expect("probe", self.http.post("/api/search", json={"question": "主轴", "k": 0}), 422)


# -- the CLI beside the service ---------------------------------------------------------------------------
def cli_ingest(
    run: int, clients: int, env: dict[str, str], work: Path, ledger: Ledger, stats: Stats, started: float
) -> None:
    """Four cards and a real document, from a folder, by the CLI; then one client takes them over (it may delete
    them, as it does its own)."""
    owner = f"c{run % clients}"
    folder = work / f"cli-{run}"
    folder.mkdir()
    entries = []
    for i in range(4):
        code = f"QXC{run}-{i:04d}"
        (folder / f"cli-card-{code}.txt").write_text(card(code, zlib.crc32(code.encode())), encoding="utf-8")
        entries.append(Entry(f"cli-card-{code}.txt", owner, code))
    real = [p for p in REAL if p.exists()]
    pick = real[run % len(real)]
    shutil.copy(pick, folder / f"cli{run}-{pick.name}")
    entries.append(Entry(f"cli{run}-{pick.name}", owner))
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    seconds = time.perf_counter() - began
    stats.cli_runs.append({"t_s": round(time.monotonic() - started, 1), "rc": done.returncode, "s": round(seconds, 1)})
    if done.returncode != 0:
        stats.error(started, "cli-ingest", f"exit {done.returncode}: {done.stderr[-600:]}")
        return
    for entry in entries:
        ledger.add(entry)


def cli_loop(
    clients: int, env: dict[str, str], work: Path, ledger: Ledger, stats: Stats, started: float, every_s: float,
    until: float,
) -> None:  # fmt: skip
    run = 0
    while True:
        wake = started + every_s * (run + 0.5)
        if wake >= until:
            return
        time.sleep(max(0.0, wake - time.monotonic()))
        cli_ingest(run, clients, env, work, ledger, stats, started)
        run += 1


# -- watching the server ----------------------------------------------------------------------------------
def sample(pid: int, started: float, http: httpx.Client) -> dict[str, float]:
    """The server's resident memory, open file descriptors and threads (/proc), and the knowledge base's size."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    listed = http.get(f"/api/kbs/{KB}/documents").json()["documents"]
    return {
        "t_s": round(time.monotonic() - started, 1),
        "rss_mib": round(int(status["VmRSS"].split()[0]) / 1024, 1),
        "rss_anon_mib": round(int(status["RssAnon"].split()[0]) / 1024, 1),  # the heap: malloc, arenas
        "rss_file_mib": round(int(status["RssFile"].split()[0]) / 1024, 1),  # mapped files: the model, libraries
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(status["Threads"]),
        "files": len(listed),
        "chunks": sum(d["chunks"] for d in listed),
    }


def watch(pid: int, url: str, started: float, every_s: float, stop: threading.Event, samples: list[dict]) -> None:
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http:
        while not stop.is_set():
            try:
                samples.append(sample(pid, started, http))
            except (OSError, KeyError, ValueError, httpx.HTTPError):
                return
            stop.wait(every_s)


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    if len(points) < 3:
        return float("nan")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 3600 if den else float("nan")


def trend(samples: list[dict[str, float]], key: str, warm_s: float, window_s: float, end_s: float) -> dict[str, Any]:
    """The warm-up's median, the median and the least of the window right after it and of the last window, and
    the slope (per hour) over everything after the warm-up."""

    def median(lo: float, hi: float, of: Any = statistics.median) -> float:
        values = [s[key] for s in samples if lo <= s["t_s"] < hi]
        return round(of(values), 1) if values else float("nan")

    after = [(s["t_s"], s[key]) for s in samples if s["t_s"] >= warm_s]
    return {
        "warm_up_median": median(0, warm_s),
        "first_window_median": median(warm_s, warm_s + window_s),
        "last_window_median": median(end_s - window_s, end_s + 1),
        # the least in a window: what memory comes back to between large ingestions (a median may catch one)
        "first_window_min": median(warm_s, warm_s + window_s, min),
        "last_window_min": median(end_s - window_s, end_s + 1, min),
        "slope_per_hour": round(slope_per_hour(after), 2),
        "max": max((s[key] for s in samples), default=float("nan")),
    }


# -- the end: the ledger against what the knowledge base holds --------------------------------------------
def final_search(url: str, ledger: Ledger, stats: Stats) -> dict[str, int]:
    """Every card by its code: the present ones found, the deleted ones not."""
    counts = Counter[str]()
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http:
        for entry in [e for e in ledger.entries.values() if e.code]:
            question = f"机床 {entry.code} 的主轴润滑周期是多少小时？"
            response = http.post("/api/search", json={"question": question, "kb": KB})
            if response.status_code != 200:
                stats.error(0.0, "final-search", f"HTTP {response.status_code}: {response.text}")
                continue
            found = any(basename(s["source"]) == entry.name for s in response.json()["sources"])
            counts[
                "present_found" if entry.present and found else "present_missed" if entry.present else "deleted"
            ] += 1
            if found != entry.present:
                (stats.lost if entry.present else stats.ghosts).append(f"final: {entry.name}")
    return dict(counts)


def compare_listing(listed: list[dict[str, Any]], ledger: Ledger, sample_names: set[str]) -> dict[str, Any]:
    names = Counter(basename(d["path"]) for d in listed)
    present = {e.name for e in ledger.entries.values() if e.present}
    deleted = {e.name for e in ledger.entries.values() if not e.present} - present
    by_name = {basename(d["path"]): d for d in listed}
    short = [
        f"{e.name}: listed {by_name[e.name]['chunks']}, stored at upload {e.chunks}"
        for e in ledger.entries.values()
        if e.present and e.code and e.chunks >= 0 and e.name in by_name and by_name[e.name]["chunks"] != e.chunks
    ]
    return {
        "listed": len(listed),
        "missing": sorted(present - set(names))[:20],
        "deleted_but_listed": sorted(deleted & set(names))[:20],
        "unknown_listed": sorted(set(names) - present - sample_names)[:20],
        "listed_twice": sorted(n for n, c in names.items() if c > 1)[:20],
        "not_ready": [d["path"] for d in listed if d["status"] != "ingested"][:20],
        "cards_with_other_chunks_than_at_upload": short[:20],
    }


def stored_texts(data_dir: Path) -> dict[str, Any]:
    """Chunks whose text is stored twice (the knowledge base keeps one copy of a text), read after the server
    stopped, through the project's own store."""
    from core.kb import open_kb
    from core.settings import load_settings

    kb = open_kb(load_settings(data_dir=str(data_dir)))
    texts = Counter[str]()
    for batch in kb.vectors.walk(["documents"]):
        texts.update(batch["documents"])
    return {"chunks": sum(texts.values()), "same_text_twice": sum(c - 1 for c in texts.values() if c > 1)}


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--cli-every", type=float, default=3.0, help="minutes between two CLI ingestions")
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="KEY=VALUE",
        help="set in the server's environment only (not the clients' or the CLI's), e.g. MALLOC_ARENA_MAX=2",
    )  # fmt: skip
    args = parser.parse_args()
    duration = args.minutes * 60
    warm_s = window_s = min(300.0, duration / 6)
    ledger, stats, samples = Ledger(), Stats(), []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    changed = subprocess.run(["git", "status", "--porcelain", "-uno"], cwd=ROOT, capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory(prefix="zhiku-soak-") as tmp:
        work, data, own_tmp = Path(tmp), Path(tmp) / "data", Path(tmp) / "tmp"
        own_tmp.mkdir()  # the server's and the CLI's temporary files, apart from other programs'
        env = {**os.environ, "ZHIKU_DATA_DIR": str(data), "GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(own_tmp)}
        server_env = {**env, **dict(kv.split("=", 1) for kv in args.server_env)}
        with (
            (work / "server.log").open("w") as log,
            serving(server_env, free_port(), output=log, timeout_s=900) as (url, server),
        ):
            sample_names = {basename(d["path"]) for d in httpx.get(f"{url}/api/kbs/{KB}/documents").json()["documents"]}
            from core.settings import load_settings

            limits = {"question_chars": load_settings().limits.question_chars}
            started = time.monotonic()
            until = started + duration
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(server.pid, url, started, args.sample_s, stop, samples))
            watcher.start()
            clients = [Client(i, url, ledger, stats, started, limits) for i in range(args.clients)]
            threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
            threads.append(
                threading.Thread(
                    target=cli_loop,
                    args=(args.clients, env, work, ledger, stats, started, args.cli_every * 60, until),
                )
            )
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            end_s = time.monotonic() - started
            stop.set()
            watcher.join()
            searched = final_search(url, ledger, stats)
            listed = httpx.get(f"{url}/api/kbs/{KB}/documents", timeout=TIMEOUT_S).json()["documents"]
        stopped_rc = server.returncode
        listing = compare_listing(listed, ledger, sample_names)
        check = cli(["check"], env)
        texts = stored_texts(data)
        left_staging = sorted(p.name for p in own_tmp.glob("zhiku-upload-*"))
        server_log = (work / "server.log").read_text(errors="replace")
    summary = {
        "commit": commit.strip() + ("+changes" if changed.strip() else ""), "minutes": args.minutes,
        "clients": args.clients, "server_env": args.server_env, "wall_s": round(end_s),
        "llm": "packaged in-process (config.yaml); asks half evidence-only", "ops": dict(stats.ops),
        "probes": dict(stats.probes), "errors": len(stats.errors), "cli_ingests": len(stats.cli_runs),
        "cli_failed": sum(r["rc"] != 0 for r in stats.cli_runs),
        "cards_uploaded": sum(1 for e in ledger.entries.values() if e.code),
        "cards_deleted": sum(1 for e in ledger.entries.values() if e.code and not e.present),
        "cards_not_stored_whole": len(stats.dropped), "lost_facts": len(stats.lost), "ghost_facts": len(stats.ghosts),
        "final_search": searched, "listing": listing, "stored": texts,
        "ingest_check": {"rc": check.returncode, "out": (check.stdout + check.stderr).strip()[-400:]},
        "server_exit": stopped_rc,  # -15: SIGTERM, which uvicorn raises again once its graceful shutdown is done
        "server_tracebacks": server_log.count("Traceback"),
        "staging_left": left_staging,
        "rss_mib": trend(samples, "rss_mib", warm_s, window_s, end_s),
        "rss_anon_mib": trend(samples, "rss_anon_mib", warm_s, window_s, end_s),
        "rss_file_mib": trend(samples, "rss_file_mib", warm_s, window_s, end_s),
        "fds": trend(samples, "fds", warm_s, window_s, end_s),
        "threads": trend(samples, "threads", warm_s, window_s, end_s),
        "kb_files": trend(samples, "files", warm_s, window_s, end_s),
        "kb_chunks": trend(samples, "chunks", warm_s, window_s, end_s),
        "warm_up_s": warm_s, "window_s": window_s,
        "op_seconds_p50": {op: round(statistics.median(v), 2) for op, v in stats.seconds.items()},
        "op_seconds_max": {op: round(max(v), 1) for op, v in stats.seconds.items()},
    }  # fmt: skip
    goals = {
        "no_errors": not stats.errors,
        "all_facts_stored": not stats.dropped and not stats.lost and not stats.ghosts,
        "listing_matches_ledger": not any(v for k, v in listing.items() if k != "listed"),
        "no_duplicated_chunks": texts["same_text_twice"] == 0,
        "ingest_check_clean": check.returncode == 0,
        "no_staging_left": not left_staging,
    }
    summary["goals"] = goals
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"soak-{stamp}.json"
    detail = {
        "summary": summary, "errors": stats.errors[:200], "lost": stats.lost[:200], "ghosts": stats.ghosts[:200],
        "dropped": stats.dropped[:200], "cli_runs": stats.cli_runs, "samples": samples,
        "ledger": [asdict(e) for e in ledger.entries.values()], "server_log_tail": server_log[-20000:],
    }  # fmt: skip
    out.write_text(json.dumps(detail, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"written: {out}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
