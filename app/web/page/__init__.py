"""The chat page (Gradio Blocks), made of small modules: `layout.py` places and wires the components; one
module of handlers per panel (`kbs.py`, `conversations.py`, `asking.py`, `sources.py`, `documents.py`) over a
shared `context.py`; `render.py` and `export.py` turn answers into Markdown; `labels.py` holds the words;
`script.py` the page's script (citation links, the viewer, scrolling) and styles."""

from app.web.page.layout import build_page
from app.web.page.script import PAGE_CSS, PAGE_HEAD

__all__ = ["PAGE_CSS", "PAGE_HEAD", "build_page"]
