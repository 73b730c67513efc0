"""Client of the Albert-compatible model backend, one job per module:

- ``client``: the calls (chat, embeddings, rerank, audio) and the start-up check;
- ``errors``: every failure as a ``BackendError`` with a ``kind``;
- ``streaming``: one streamed answer and the errors a stream can end on;
- ``ratelimit``: retries, waits and pacing from Albert's rate-limit headers;
- ``discovery``: served models, aliases, reasoning families, the embedding space;
- ``models``: the data at the boundary (usage, rerank results, outbound checks);
- ``audio``: a browser recording as a WAV file.
"""

from chatbot.backend.client import EMBED_BATCH, Backend
from chatbot.backend.discovery import Catalogue
from chatbot.backend.errors import (
    BackendAuthError,
    BackendConfigError,
    BackendError,
    BackendProtocolError,
    BackendTimeout,
    BackendUnavailable,
    BackendUnreachable,
    BudgetExhausted,
    InvalidRequest,
    ModelNotFound,
    RateLimited,
    StreamErrorEvent,
    StreamInterrupted,
    to_backend_error,
)
from chatbot.backend.models import (
    CHAT_TYPES,
    EMBEDDING_TYPES,
    RERANK_TYPES,
    SPEECH_TYPES,
    ModelInfo,
    RerankResult,
    Usage,
    parse_usage,
)
from chatbot.backend.streaming import ChatStream

__all__ = [
    "CHAT_TYPES",
    "EMBEDDING_TYPES",
    "EMBED_BATCH",
    "RERANK_TYPES",
    "SPEECH_TYPES",
    "Backend",
    "BackendAuthError",
    "BackendConfigError",
    "BackendError",
    "BackendProtocolError",
    "BackendTimeout",
    "BackendUnavailable",
    "BackendUnreachable",
    "BudgetExhausted",
    "Catalogue",
    "ChatStream",
    "InvalidRequest",
    "ModelInfo",
    "ModelNotFound",
    "RateLimited",
    "RerankResult",
    "StreamErrorEvent",
    "StreamInterrupted",
    "Usage",
    "parse_usage",
    "to_backend_error",
]
