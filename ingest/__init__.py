"""Documents → pages → chunks → embeddings → Chroma."""
