"""The web layer: one FastAPI application serving the chat page (`page/`), the HTTP API (`api.py`) and the
OpenAI-compatible endpoint (`openai_api.py`), all thin over the answering engine (`app/engine/`)."""
