"""The answering engine: a question in, an answer with its sources, evidence and grounding out.

No web framework is imported anywhere under here (the web layer, `app/web/`, and the CLI depend on this
package, never the reverse); docs/decisions/architecture.md draws the picture.
"""
