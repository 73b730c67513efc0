"""Which models the backend serves, under which names, and what they are.

Albert lists its models with ``aliases``: the stable names operators configure
(``albert-large``) while the model behind one changes. Start-up resolves every configured
name to the model id it stands for, logs it, and the knowledge base keys its vector space on
the resolved embedding model (plus its dimension), so a model swapped behind an alias is
re-embedded instead of mixed with the old vectors.
"""

from __future__ import annotations

import re
import zlib

from chatbot.backend.models import OCR_TYPES, SPEECH_TYPES, ModelInfo

# Families that think before they answer: they need room (max_tokens) and a low effort for
# one-word answers such as the classifier's, or they spend every token on reasoning.
REASONING = re.compile(
    r"gpt-oss|qwq|qwen3(?!.*instruct)|deepseek-r1|magistral|\bo[134](-mini)?\b|"
    r"thinking|reasoning|phi-4-reasoning|\br1\b",
    re.IGNORECASE,
)
REASONING_MIN_TOKENS = 256


def safe_name(name: str, limit: int = 36) -> str:
    """A model id as it can appear in a Chroma collection name (short, plain characters)."""
    safe = re.sub(r"[^a-zA-Z0-9._-]+", "-", name).strip("-.")
    if len(safe) <= limit:
        return safe
    return f"{safe[: limit - 9].rstrip('-.')}-{zlib.crc32(name.encode()):08x}"


class Catalogue:
    """The models the backend listed, indexed by id and by alias."""

    def __init__(self, models: list[ModelInfo] | None = None) -> None:
        self.loaded = models is not None
        self.models: dict[str, ModelInfo] = {m.id: m for m in models or []}
        self.names: dict[str, ModelInfo] = dict(self.models)
        for model in models or []:
            for alias in model.aliases or []:
                self.names.setdefault(alias, model)
        self.dimensions: dict[str, int] = {}  # embedding model id -> vector size

    def find(self, name: str) -> ModelInfo | None:
        return self.names.get(name)

    def resolve(self, name: str) -> str:
        """The model id a configured name stands for (itself when unknown)."""
        model = self.find(name)
        return model.id if model is not None else name

    def is_reasoning(self, name: str) -> bool:
        return bool(REASONING.search(name) or REASONING.search(self.resolve(name)))

    def speech_model(self) -> str | None:
        """The first model that transcribes speech, if the backend serves one."""
        for model in self.models.values():
            if model.type in SPEECH_TYPES:
                return model.id
        return None

    def ocr_model(self) -> str | None:
        """The first model that reads text from page images (OCR), if the backend serves one."""
        for model in self.models.values():
            if model.type in OCR_TYPES:
                return model.id
        return None

    def embedding_space(self, name: str) -> str:
        """The vector space of an embedding model: its resolved id and dimension once start-up
        learnt them, else the configured name (a backend that was not checked)."""
        model_id = self.resolve(name)
        dimension = self.dimensions.get(model_id)
        suffix = f"-d{dimension}" if dimension else ""
        return "backend-" + safe_name(model_id) + suffix
