"""Verified answers served first: the matcher (`match.py`, its word lists in `lexicon.py`), the index of a
knowledge base's verified questions (`index.py`) and their import and export (`files.py`). The answers themselves
are stored with the knowledge base (`core/kb/verified.py`), which flags them when their documents change."""
