"""Images (photos of nameplates, scanned pages): OCR into one Page without a page number."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.ocr import MAX_RENDER_SIDE_PX, ocr_image


def load_image(path: Path, settings: IngestSettings) -> list[Page]:
    if settings.ocr == "never":
        raise FileIngestError("image needs OCR, which is off (ingest.ocr: never)")
    return [Page(text=ocr_image(_read(path)), page=None)]


def _read(path: Path) -> Image.Image:
    """Decoded as RGB, turned upright by its EXIF orientation (phone photos), shrunk to what OCR uses.

    Pillow refuses decompression bombs (a tiny file declaring billions of pixels) before decoding.
    """
    try:
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((MAX_RENDER_SIDE_PX, MAX_RENDER_SIDE_PX))
            return upright.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise FileIngestError(f"image too large to decode safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FileIngestError(f"corrupt image: {exc}") from exc
