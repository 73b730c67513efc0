"""Operator settings: one pydantic model read from the environment and an optional `.env`.

Every name is prefixed with ``GUICHET_`` so that nothing collides with variables other
libraries react to on their own (Chainlit switches on its data layer when it sees
``DATABASE_URL``, so ours is ``GUICHET_POSTGRES_URL``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """A setting is wrong; the message is one line an operator can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUICHET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Albert-compatible backend. Empty URL = embedded default (degraded mode, no model).
    backend_url: str = ""
    api_key: SecretStr = SecretStr("")
    chat_model: str = "albert-large"
    embedding_model: str = "embeddings-small"
    rerank_model: str = "rerank-small"
    use_backend_embeddings: bool = True
    use_rerank: bool = True
    timeout: float = Field(30.0, gt=0, description="seconds for one backend call")
    connect_timeout: float = Field(5.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    retry_max_wait: float = Field(20.0, ge=0, description="longest Retry-After we honour")

    # Files and stores.
    data_dir: Path = ROOT / "data"
    knowledge_dir: Path = ROOT / "knowledge"
    flows_dir: Path = ROOT / "flows"
    chroma_url: str = ""  # e.g. http://127.0.0.1:8001 -> Chroma HttpClient
    postgres_url: str = ""  # e.g. postgresql://user@127.0.0.1:5432/guichet
    watch_knowledge: bool = True

    # Front end.
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000"]
    )
    instance: Literal["all", "public", "internal"] = "all"
    users_file: Path | None = None  # default: users.json in the data folder

    # Privacy: extra terms that must never be masked (comma-separated in the environment).
    privacy_allow_list: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Logging.
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    @field_validator("backend_url", "chroma_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(
                    f"{value!r} is not an http(s) URL, e.g. https://albert.api.etalab.gouv.fr/v1"
                )
        return value

    @field_validator("postgres_url")
    @classmethod
    def _pg_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value!r} must start with postgresql://")
        return value

    @field_validator("allowed_origins", "privacy_allow_list", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Comma-separated in the environment; a JSON list is accepted too.
        if isinstance(value, str):
            if value.strip().startswith("["):
                import json

                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def has_backend(self) -> bool:
        return bool(self.backend_url)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def users_path(self) -> Path:
        return self.users_file or self.data_dir / "users.json"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "guichet.sqlite"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into one line for the operator."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "GUICHET_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("Invalid setting: " + "; ".join(problems)) from None
    except SourceError as exc:  # a value the environment source could not even parse
        raise SettingsError(f"Invalid setting: {exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
