"""What a scenario asks of the chat library: ``[customer] rag = { library = "chats/", k = 4 }``."""

from __future__ import annotations

from pathlib import Path

import attrs

from convsim_core.chats.retrieval import DEFAULT_EMBEDDING_MODEL, METHODS


@attrs.frozen
class RagSpec:
    library: Path
    """Resolved against the scenario file's folder when relative."""
    k: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    method: str = attrs.field(default="bm25", validator=attrs.validators.in_(METHODS))
    """``bm25`` (offline, the default) or ``embeddings`` (through the ``[llm]`` endpoint)."""
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
