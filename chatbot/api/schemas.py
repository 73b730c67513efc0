"""Bodies of the API: OpenAI's chat shapes, with Guichet's extras (``status``, ``sources``,
``conversation_id``, ``notice``). Any OpenAI client reads them; the extras are extra fields
(``response.model_extra`` or ``getattr`` in the ``openai`` Python client)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatbot.flows.status import Status
from chatbot.knowledge.models import Source

MAX_MESSAGES = 200
CONVERSATION_ID = r"^conv-[0-9a-f]{32}$"


class ContentPart(BaseModel):
    """One part of a multi-part message (OpenAI's ``[{"type": "text", "text": ...}]``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=40)
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls ... are accepted and ignored

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | Annotated[list[ContentPart], Field(max_length=MAX_MESSAGES)] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return ""


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``. The last ``user`` message is the new turn; the history
    comes from ``conversation_id``, never from the messages sent (see ``chatbot.api.chat``)."""

    model_config = ConfigDict(extra="allow")  # temperature, max_tokens ...: the flow decides

    model: str = Field(
        min_length=1,
        max_length=64,
        description="the assistant (flow) name, from GET /v1/models",
        examples=["citizen"],
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=MAX_MESSAGES,
        examples=[[{"role": "user", "content": "Comment refaire ma carte d'identité ?"}]],
    )
    stream: bool = False
    conversation_id: str | None = Field(
        None,
        pattern=CONVERSATION_ID,
        description="continue this conversation (returned by a previous answer); "
        "omit to start a new one",
    )


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None


class ApiUsage(BaseModel):
    model_config = ConfigDict(extra="allow")  # Albert's cost and carbon figures

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class GuichetExtras(BaseModel):
    conversation_id: str = Field(description="send it back to continue this conversation")
    status: Status | None = Field(None, description="the turn's named status (last chunk)")
    sources: list[Source] | None = Field(None, description="the fiches the answer cites by [n]")
    notice: str | None = Field(None, description="French notice: personal data masked")


class ChatChunk(GuichetExtras):
    """One SSE event of a streamed answer (``chat.completion.chunk``). A chunk with
    ``reset: true`` withdraws the text streamed so far; the next chunks start it again."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: ApiUsage | None = None
    reset: bool | None = None


class AnswerMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AnswerMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(GuichetExtras):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: ApiUsage


class ModelCard(BaseModel):
    id: str = Field(description="the flow name, to send as `model`")
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "guichet"
    label: str = Field(description="the assistant's name, in French")
    description: str = ""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str = Field(description="what went wrong, in French")
    type: str
    code: str | None = None
    param: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def usage_of(usage: Any) -> ApiUsage:
    if usage is None:
        return ApiUsage()
    return ApiUsage.model_validate(usage.model_dump() if hasattr(usage, "model_dump") else usage)
