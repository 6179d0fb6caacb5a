"""Continuing a conversation: its memory goes into the question, the new turn is stored with the whole answer.

The one way the CLI (`ask --session`), the API (`"session"`) and the chat page do it, so a conversation
started in one is continued the same way in another.
"""

from __future__ import annotations

from collections.abc import Generator

from app.engine.answer import Answer, AskOptions, Event, EventKind
from app.engine.conversations import ConversationStore
from app.engine.memory import Turn
from app.engine.service import AnswerService
from core.errors import StorageError


class UnsavedTurnError(StorageError):
    """The answer was produced but its turn could not be stored (a full disk): it travels with the error, so the
    CLI, the API and the page still give it, and say the conversation did not keep it."""

    def __init__(self, message: str, answer: Answer) -> None:
        super().__init__(message)
        self.answer = answer


class Sessions:
    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def open(self, conversation_id: str | None, kb: str, owner: str = "") -> str:
        """The conversation to continue: this id (created when new; another owner's is refused), or a new one."""
        if conversation_id:
            return self.store.open(conversation_id, kb, owner).id
        return self.store.create(kb, owner).id

    def stream(
        self, service: AnswerService, conversation_id: str, question: str, options: AskOptions, owner: str = "",
        replace_last: bool = False,
    ) -> Generator[Event, None, None]:  # fmt: skip
        """The service's events; the turn is stored when the answer is done, before the answer is handed on (a
        reader may stop at it). A generator: whoever stops reading it half-way closes it, which closes the
        service's answer and releases the model (the page's Stop is such a reader). A turn the store refuses ends
        it in UnsavedTurnError. `replace_last`: the last turn's question asked again (Regenerate), answered
        without that turn in memory, and its new answer stored in its place only once done, so a regeneration
        stopped half-way leaves the conversation as it was."""
        history = self.store.turns(conversation_id, owner)
        history = history[:-1] if replace_last else history
        keep = self.store.replace_last if replace_last else self.store.append
        for event in service.stream(question, history, options):
            if event.kind == EventKind.DONE:
                answer: Answer = event.data
                try:
                    keep(conversation_id, Turn(question, answer.answer), owner, answer.to_json())
                except StorageError as exc:
                    raise UnsavedTurnError(str(exc), answer) from exc
            yield event

    def ask(
        self, service: AnswerService, conversation_id: str, question: str, options: AskOptions, owner: str = ""
    ) -> Answer:
        *_, done = self.stream(service, conversation_id, question, options, owner)
        answer: Answer = done.data
        return answer
