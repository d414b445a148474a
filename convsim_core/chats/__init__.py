"""Real chats as material: a chat library, retrieval over it, grounding, bootstrapping, realism.

Support teams already hold thousands of real chats. This package turns them into a library
(:mod:`.library`), finds the ones like a scenario (:mod:`.retrieval`), lends their phrasings to
simulated customers (:mod:`.grounding`), drafts scenarios from them (:mod:`.bootstrap`),
measures how close simulated customers come to them (:mod:`.realism`) and writes fine-tuning
data from them (:mod:`.export`).
"""

from convsim_core.chats.library import ChatLibrary, ChatLibraryError
from convsim_core.chats.records import Chat, ChatTurn

__all__ = ["Chat", "ChatLibrary", "ChatLibraryError", "ChatTurn"]
