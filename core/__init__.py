"""Shared core of Zhiku: settings, document model, embeddings and the vector store.

`ingest` and `app` both import from here; nothing here imports from them.
"""
