"""The chat page (Gradio Blocks), made of small modules: `layout.py` places and wires the components; one
module of handlers per panel (`kbs.py`, `conversations.py`, `asking.py`, `sources.py`, `documents.py`) over a
shared `context.py`; `render.py` and `export.py` turn answers into Markdown; `labels.py` holds the words."""

from app.web.page.layout import build_page

__all__ = ["build_page"]
