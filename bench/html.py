"""Web pages saved as files: how much of each page's main text is kept, how much else is, and whether markup is
left in the chunks, for the main-content extractors the loader could use and for the loader itself.

    nice -n 10 .venv/bin/python -m bench.html [--runs 3]

The pages are bench/data/html/ (pages.json says what each is, where it comes from, its licence and the
boilerplate strings a person picked out of it); beside each, NAME.gold.txt is its main text, drafted from the
page's main element and then read and corrected by hand. Per page and extractor:

- recall: the share of the gold text's word (Latin) and character (CJK) bigrams found in the output, counted
  with multiplicity (reordered table cells still count, a missing paragraph does not);
- extra: the share of the output's bigrams that are not in the gold text (boilerplate kept, or markup);
- boilerplate: how many of the page's hand-picked boilerplate strings are in the output;
- markup: chunks (the project's splitter, default sizes) holding a tag, an entity or a comment
  (`ingest.loaders.markup.has_markup`);
- ms: the median time to extract, over --runs runs.

Extractors: "before" is the loaders as they were (an .html file's whole visible text; a .txt/.md read as it
is); "readability" (readability-lxml), "justext" (jusText; its English stop list for English pages, its
language-independent mode for Chinese) and "trafilatura" each get the page and their HTML or paragraphs are read
by the same `html_to_text`; "zhiku" is `ingest.loaders.load_pages` as it is now (content sniffing, trafilatura
for pages, inline tags stripped from Markdown). Candidates that are not installed are skipped (only
trafilatura is a dependency of the project). Markdown pages are not web pages: the candidates are not run on them.
Results in bench/results/html.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.embeddings import ROOT
from core.documents import Page
from core.settings import load_settings
from ingest.loaders import load_pages
from ingest.loaders.decode import decode_text
from ingest.loaders.html import html_to_text, main_html
from ingest.loaders.markup import has_markup
from ingest.splitter import split_pages

DATA = ROOT / "bench" / "data" / "html"
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+(?:[._'-][A-Za-z0-9]+)*")

Extractor = Callable[[str, dict[str, Any]], str]


def bigrams(text: str) -> Counter[tuple[str, str]]:
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    return Counter(itertools.pairwise(tokens))


def recall(gold: str, out: str) -> float:
    want, got = bigrams(gold), bigrams(out)
    return sum(min(n, got[b]) for b, n in want.items()) / max(1, sum(want.values()))


def extra(gold: str, out: str) -> float:
    want, got = bigrams(gold), bigrams(out)
    return sum(max(0, n - want[b]) for b, n in got.items()) / max(1, sum(got.values()))


def before(markup: str, page: dict[str, Any]) -> str:
    return html_to_text(markup) if page["file"].endswith(".html") else markup


def trafilatura_text(markup: str, page: dict[str, Any]) -> str:
    return html_to_text(main_html(markup))


def readability_text(markup: str, page: dict[str, Any]) -> str:
    from readability import Document

    doc = Document(markup)
    return html_to_text(f"<h1>{doc.short_title()}</h1>" + doc.summary(html_partial=True))


def justext_text(markup: str, page: dict[str, Any]) -> str:
    import justext

    if page["lang"] == "en":
        paragraphs = justext.justext(markup.encode(), justext.get_stoplist("English"), encoding="utf-8")
    else:  # no Chinese stop list: the language-independent mode the jusText docs describe
        paragraphs = justext.justext(markup.encode(), frozenset(), stopwords_low=0, stopwords_high=0, encoding="utf-8")
    return "\n".join(("# " if p.heading else "") + p.text for p in paragraphs if not p.is_boilerplate)


CANDIDATES: dict[str, Extractor] = {
    "before": before,
    "readability": readability_text,
    "justext": justext_text,
    "trafilatura": trafilatura_text,
}


def installed(name: str) -> bool:
    module = {"readability": "readability", "justext": "justext", "trafilatura": "trafilatura"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def chunks_of(text: str, name: str) -> list[str]:
    settings = load_settings(None).ingest
    pages = [Page(text=text, page=None)]
    chunks = split_pages(
        pages, source=name, doc_sha256="0" * 64, title=name, chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
    )  # fmt: skip
    return [c.text for c in chunks]


def timed(fn: Callable[[], str], runs: int) -> tuple[str, float]:
    times, out = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return out, statistics.median(times)


def measure(page: dict[str, Any], runs: int) -> dict[str, Any]:
    path = DATA / page["file"]
    gold = (DATA / (path.stem + ".gold.txt")).read_text(encoding="utf-8")
    if leaked := [b for b in page["boilerplate"] if b in gold]:
        raise SystemExit(f"{page['file']}: boilerplate strings in the gold text: {leaked}")
    markup = decode_text(path.read_bytes())
    settings = load_settings(None).ingest
    rows: dict[str, Any] = {}
    names = [n for n in CANDIDATES if installed(n)] if path.suffix != ".md" else ["before"]
    for name in [*names, "zhiku"]:
        if name == "zhiku":
            out, ms = timed(lambda: "\n".join(p.text for p in load_pages(path, settings)), runs)
        else:
            out, ms = timed(lambda fn=CANDIDATES[name]: fn(markup, page), runs)  # type: ignore[misc]
        chunks = chunks_of(out, page["file"])
        rows[name] = {
            "recall": recall(gold, out),
            "extra": extra(gold, out),
            "boilerplate": sum(b in out for b in page["boilerplate"]),
            "markup_chunks": sum(has_markup(c) for c in chunks),
            "chunks": len(chunks),
            "ms": ms,
        }
    return {"file": page["file"], "lang": page["lang"], "gold_chars": len(gold), "of": len(page["boilerplate"]), **rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.html", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    pages = json.loads((DATA / "pages.json").read_text(encoding="utf-8"))
    results = [measure(page, args.runs) for page in pages]
    out = ROOT / "bench" / "results" / "html.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    names = [n for n in [*CANDIDATES, "zhiku"] if any(n in r for r in results)]
    print("recall / extra / boilerplate strings kept / chunks with markup / ms, per page and extractor\n")
    print("| page | lang | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for r in results:
        cells = [_cell(r.get(n), r["of"]) for n in names]
        print(f"| {r['file']} | {r['lang']} | " + " | ".join(cells) + " |")
    print("\n| extractor | mean recall | min recall | mean extra | boilerplate kept | chunks with markup | total ms |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        rows = [r[name] for r in results if name in r]
        web = [r[name] for r in results if name in r and not r["file"].endswith(".md")]
        listed = sum(r["of"] for r in results if name in r and not r["file"].endswith(".md"))
        print(
            f"| {name} | {statistics.mean(x['recall'] for x in rows):.3f} | {min(x['recall'] for x in rows):.3f}"
            f" | {statistics.mean(x['extra'] for x in rows):.3f}"
            f" | {sum(x['boilerplate'] for x in web)} of {listed}"
            f" | {sum(x['markup_chunks'] for x in rows)} of {sum(x['chunks'] for x in rows)}"
            f" | {sum(x['ms'] for x in rows):.0f} |"
        )
    return 0


def _cell(row: dict[str, Any] | None, of: int) -> str:
    if row is None:
        return "–"
    return (
        f"{row['recall']:.3f} / {row['extra']:.2f} / {row['boilerplate']}/{of} / {row['markup_chunks']}"
        f" / {row['ms']:.0f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
