"""A fake Albert API: Guichet's backend test double, shipped so integrators can try Guichet
with a model-like backend offline (``chatbot fake-albert --port 8090``).

It speaks the OpenAI wire format plus Albert's extras (model ``type`` and ``aliases``,
``/v1/rerank``, ``/v1/audio/transcriptions``, FastAPI ``{"detail": ...}`` errors, a last
stream chunk carrying ``usage``), as strictly as the real server of the ``version`` it emulates
(``"2025"`` albert-api or ``"2026"`` OpenGateLLM, see ``versions``). It records every request
it receives, and injects the faults a real deployment shows (429 without ``Retry-After``, a
budget exhausted, 503 with ``Retry-After``, an nginx 504 HTML page, a stream cut or failing
mid-way, a slow answer ...).

Usage::

    with FakeAlbert() as albert:
        settings = load_settings(backend_url=albert.url, api_key=albert.api_key)
        albert.inject("503", times=1, retry_after=0.2)
        ...
        assert "Jean Dupont" not in " ".join(albert.sent_texts())

The default responder builds its chat answer from the ``<sources>`` it was given, so a caller
can tell a grounded answer from a canned one (see ``default_responder``). It is no language
model: answers are the first sentences of the sources it was sent.
"""

from typing import TYPE_CHECKING

from chatbot.lazy import lazy_exports

if TYPE_CHECKING:
    from chatbot.fake_albert.faults import FAULTS, RecordedRequest
    from chatbot.fake_albert.model import (
        DEFAULT_MODELS,
        EMBEDDING_DIMENSIONS,
        MODELS,
        NO_SOURCE_ANSWER,
        OCR_MODEL,
        SPEECH_MODEL,
        default_responder,
        embed_text,
        overlap_score,
    )
    from chatbot.fake_albert.server import FakeAlbert
    from chatbot.fake_albert.versions import VERSIONS

# Loaded on first use, so that the CLI can list its commands without loading uvicorn.
lazy_exports(
    __name__,
    {
        "FAULTS": "faults",
        "RecordedRequest": "faults",
        "DEFAULT_MODELS": "model",
        "SPEECH_MODEL": "model",
        "OCR_MODEL": "model",
        "VERSIONS": "versions",
        "EMBEDDING_DIMENSIONS": "model",
        "MODELS": "model",
        "NO_SOURCE_ANSWER": "model",
        "default_responder": "model",
        "embed_text": "model",
        "overlap_score": "model",
        "FakeAlbert": "server",
    },
)

__all__ = [
    "DEFAULT_MODELS",
    "EMBEDDING_DIMENSIONS",
    "FAULTS",
    "MODELS",
    "NO_SOURCE_ANSWER",
    "FakeAlbert",
    "OCR_MODEL",
    "SPEECH_MODEL",
    "VERSIONS",
    "RecordedRequest",
    "default_responder",
    "embed_text",
    "overlap_score",
]
