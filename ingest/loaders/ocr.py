"""OCR with RapidOCR (PP-OCRv4 ONNX models inside the `rapidocr-onnxruntime` wheel: works offline).

The engine takes about a second to load, so each worker process creates it once, on first use, and keeps
it (`_engine` is that per-process cache; nothing unpicklable lives at module level). Pages are rendered
with pypdfium2, which also reads PDFs that pypdf finds odd.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ingest.errors import FileIngestError

# RapidOCR shrinks any image to 2000 px on its longer side (its max_side_len) before reading it, so a larger
# render only costs time and memory (a 17×25-inch scanned page at 200 dpi would be 3400×5000 px).
MAX_RENDER_SIDE_PX = 2000
logging.getLogger("RapidOCR").setLevel(logging.WARNING)


_threads = -1  # onnxruntime's default: every core; parse workers get their share instead


def set_threads(threads: int) -> None:
    """Several parse workers each running OCR on every core would only fight over the cores."""
    global _threads
    _threads = threads
    _engine.cache_clear()


@cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:  # a broken install, not a bad file; still reported per file, on one line
        hint = "install libgl1 and libglib2.0-0" if ".so" in str(exc) else "reinstall with `make install`"
        raise FileIngestError(f"OCR engine not available ({exc}); {hint}") from exc
    # "max": detect at the image's own size. The default ("min" 736) upscales small images first, which made
    # a 420×130 label take 1.8 s instead of 0.06 s and read no better; full pages are the same either way.
    return RapidOCR(det_limit_type="max", intra_op_num_threads=_threads)


def ocr_image(image: Any) -> str:
    """Text of one image (PIL image or numpy array), lines in reading order: top to bottom, left to right."""
    result, _ = _engine()(image, use_cls=False)
    return join_lines(result or [])


def join_lines(boxes: Sequence[Sequence[Any]]) -> str:
    """RapidOCR returns one box per text run; runs whose vertical centres fall within half a line height
    sit on the same line, so a table row or a two-part heading stays one line."""
    items = sorted((_geometry(box), str(text)) for box, text, *_ in boxes)
    lines: list[list[tuple[float, str]]] = []
    line_y, line_h = 0.0, 0.0
    for (cy, height, x0), text in items:
        if lines and abs(cy - line_y) < 0.5 * min(height, line_h):
            lines[-1].append((x0, text))
            continue
        lines.append([(x0, text)])
        line_y, line_h = cy, height
    return "\n".join(" ".join(text for _, text in sorted(line)) for line in lines)


def _geometry(box: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    ys = [point[1] for point in box]
    xs = [point[0] for point in box]
    return (min(ys) + max(ys)) / 2, max(max(ys) - min(ys), 1.0), min(xs)


def ocr_pdf_pages(path: Path, indices: Sequence[int], dpi: int, password: str | None) -> Iterator[tuple[int, str]]:
    """(index, text) for each 0-based page index, rendered in grey at `dpi` (capped at MAX_RENDER_SIDE_PX)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError as exc:
        raise FileIngestError(f"corrupt PDF: cannot render it for OCR ({exc})") from exc
    try:
        for index in indices:
            yield index, ocr_image(_render(document[index], dpi))
    finally:
        document.close()


def _render(page: Any, dpi: int) -> Any:
    width, height = page.get_size()  # points, 1/72 inch
    scale = min(dpi / 72, MAX_RENDER_SIDE_PX / max(width, height, 1.0))
    try:
        return page.render(scale=scale, grayscale=True).to_numpy().copy()  # the bitmap's buffer dies with it
    finally:
        page.close()
