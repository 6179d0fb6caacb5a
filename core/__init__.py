"""Shared core of Zhiku: settings, the document model, embeddings and the knowledge base (`kb/`).

`ingest` and `app` both import from here; nothing here imports from them.
"""
