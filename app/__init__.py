"""Answering and serving: retrieval, prompts, the local LLM, the CLI and the chat page."""
