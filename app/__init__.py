"""Answering and serving: the answering engine (`engine/`), the web service (`web/`) and the CLI (`cli.py`)."""
