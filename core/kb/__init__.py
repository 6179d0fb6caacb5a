"""The knowledge base: documents' lifecycle (`knowledge_base.py`) over the manifest, the vectors in Chroma
(`vectors.py`) and the keyword index (`lexical.py`); `catalog.py` lists a data dir's knowledge bases."""

from core.kb.catalog import KBInfo, check_kb_name, collection_name, kb_exists, knowledge_bases
from core.kb.knowledge_base import KnowledgeBase, open_kb

__all__ = ["KBInfo", "KnowledgeBase", "check_kb_name", "collection_name", "kb_exists", "knowledge_bases", "open_kb"]
