"""Operator settings: one pydantic model read from the environment and an optional `.env`.

Every name is prefixed with ``GUICHET_`` so that nothing collides with variables other
libraries react to on their own (Chainlit switches on its data layer when it sees
``DATABASE_URL``, so ours is ``GUICHET_POSTGRES_URL``).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from chatbot.paths import ROOT
from chatbot.roles import STAFF_ROLES, Role

__all__ = ["ROOT", "AuthSettings", "Settings", "SettingsError", "get_settings", "load_settings"]


def _staff_only(value: object) -> object:
    if not (isinstance(value, str) and value in STAFF_ROLES):
        expected = " or ".join(repr(str(role)) for role in STAFF_ROLES)
        raise PydanticCustomError(
            "literal_error", "Input should be {expected}", {"expected": expected}
        )
    return value


# A pydantic field for the roles a login may grant (users file, SSO header).
StaffRole = Annotated[Role, BeforeValidator(_staff_only)]


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

    # Server: worker processes for `chatbot serve` (0 = one per core; --workers overrides).
    workers: int = Field(0, ge=0, le=256)

    # Front end.
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000"]
    )
    instance: Literal["all", "public", "internal"] = "all"
    users_file: Path | None = None  # default: users.json in the data folder

    # Rate limits (``limits`` notation), counted in GUICHET_RATE_LIMIT_STORAGE (chatbot.api.limits).
    api_rate_per_key: str = "60/minute"  # requests of one API key
    chat_rate_per_ip: str = "30/minute"  # chat messages of anonymous citizens, per address
    widget_rate_per_ip: str = "30/minute"  # widget tokens, per address

    # Agents' own documents (chatbot.documents): what an upload may be, checked on the server.
    documents_max_mb: float = Field(20.0, gt=0, le=500, description="largest upload, in MB")
    documents_max_pages: int = Field(1000, ge=1)
    documents_max_unzipped_mb: float = Field(
        100.0, gt=0, description="largest uncompressed content of a DOCX or ODT (zip bombs)"
    )
    documents_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["pdf", "docx", "odt", "txt", "md", "html"]
    )
    documents_per_user: int = Field(50, ge=1, description="documents one agent may keep")
    # A scanned PDF's page images go to the backend's OCR model as they are: they cannot be
    # pseudonymised first. Off unless the operator trusts that backend with them.
    documents_ocr: bool = False

    # Privacy: extra terms that must never be masked (comma-separated in the environment).
    privacy_allow_list: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Operations (chatbot.web.health). Empty token: /metrics is open, so keep it off the
    # public network (the nginx configuration in deploy/ refuses it from outside).
    metrics_token: SecretStr = SecretStr("")
    ready_timeout: float = Field(2.0, gt=0, le=30, description="seconds for each /ready check")

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

    @field_validator("api_rate_per_key", "chat_rate_per_ip", "widget_rate_per_ip")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 30/minute") from None
        return value

    @field_validator("postgres_url")
    @classmethod
    def _pg_url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value!r} must start with postgresql://")
        return value

    @field_validator("allowed_origins", "privacy_allow_list", "documents_types", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        # Comma-separated in the environment; a JSON list is accepted too.
        if isinstance(value, str):
            if value.strip().startswith("["):
                import json

                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("documents_types")
    @classmethod
    def _document_kinds(cls, value: list[str]) -> list[str]:
        from chatbot.documents.models import KINDS

        kinds = [v.strip().lower().lstrip(".") for v in value if v.strip()]
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown document types {unknown}: choose among {list(KINDS)}")
        return kinds

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


class AuthSettings(BaseSettings):
    """Login settings (prefix ``GUICHET_``), read by ``chatbot.web.auth`` and ``.proconnect``.

    - ``GUICHET_SSO_SECRET`` (empty): shared secret the SSO proxy sends in
      ``GUICHET_SSO_SECRET_HEADER``; empty disables header login from a proxy.
    - ``GUICHET_SSO_SECRET_HEADER`` (``X-Guichet-Proxy-Secret``).
    - ``GUICHET_SSO_USER_HEADER`` (``X-Forwarded-User``): user name set by the proxy.
    - ``GUICHET_SSO_ROLE_HEADER`` (empty): optional header carrying ``agent`` or ``admin``.
    - ``GUICHET_SSO_DEFAULT_ROLE`` (``agent``): role when no role header is configured or sent.
    - ``GUICHET_PROCONNECT_ALLOWED_DOMAINS`` (empty): e-mail domains whose agents may log in
      with ProConnect (sub-domains included), comma-separated.
    - ``GUICHET_PROCONNECT_ALLOWED_SIRETS`` (empty): SIRET numbers allowed likewise.
      Both empty = nobody logs in with ProConnect.
    - ``GUICHET_PROCONNECT_ACR_VALUES`` (empty): ``acr_values`` sent to ProConnect, e.g. ``eidas1``.
    - ``GUICHET_PROCONNECT_NONCE_TTL`` (600): seconds a login may take between the redirect to
      ProConnect and the callback.
    - ``GUICHET_PROCONNECT_TIMEOUT`` (10): seconds for each call to ProConnect.
    - ``GUICHET_LOGIN_RATE_PER_IP`` (``20/minute``), ``GUICHET_LOGIN_RATE_PER_USER``
      (``5/minute``): password attempts allowed (``limits`` notation), counted before the check.
    - ``GUICHET_RATE_LIMIT_STORAGE`` (``memory://``): where attempts are counted; one process
      only in memory, ``redis://host:6379`` to share the count between processes.
    The client itself is configured as Chainlit expects: ``OAUTH_PROCONNECT_CLIENT_ID``,
    ``OAUTH_PROCONNECT_CLIENT_SECRET``, ``OAUTH_PROCONNECT_BASE_URL``.
    """

    model_config = SettingsConfigDict(
        env_prefix="GUICHET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    sso_secret: SecretStr = SecretStr("")
    sso_secret_header: str = "X-Guichet-Proxy-Secret"
    sso_user_header: str = "X-Forwarded-User"
    sso_role_header: str = ""
    sso_default_role: StaffRole = Role.agent
    proconnect_allowed_domains: list[str] = Field(default_factory=list)
    proconnect_allowed_sirets: list[str] = Field(default_factory=list)
    proconnect_acr_values: str = ""
    proconnect_nonce_ttl: float = Field(600.0, gt=0)
    proconnect_timeout: float = Field(10.0, gt=0)
    login_rate_per_ip: str = "20/minute"
    login_rate_per_user: str = "5/minute"
    rate_limit_storage: str = "memory://"

    @field_validator("proconnect_allowed_domains", "proconnect_allowed_sirets", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("proconnect_allowed_domains")
    @classmethod
    def _lower_domains(cls, value: list[str]) -> list[str]:
        return [item.strip().lower().lstrip("@").rstrip(".") for item in value if item.strip()]

    @field_validator("proconnect_allowed_sirets")
    @classmethod
    def _digits(cls, value: list[str]) -> list[str]:
        return [item.replace(" ", "") for item in value if item.strip()]


# Every settings class reading ``GUICHET_*`` names: together they make the list of known
# names, so that a misspelt one is refused instead of silently ignored.
SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (Settings, AuthSettings)
# ``GUICHET_*`` variables that are not settings: the test harness's network guard.
NOT_SETTINGS = frozenset({"GUICHET_NETGUARD", "GUICHET_NETGUARD_LOG"})
PREFIX = "GUICHET_"


def known_settings() -> list[str]:
    """Every ``GUICHET_*`` name a settings class reads, sorted."""
    names = {
        (str(cls.model_config.get("env_prefix", "")) + field).upper()
        for cls in SETTINGS_CLASSES
        for field in cls.model_fields
    }
    return sorted(names)


def check_names(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> None:
    """Refuse an unknown ``GUICHET_*`` name in the environment or in ``.env``."""
    environ = os.environ if environ is None else environ
    env_file = Path(".env") if env_file is None else env_file
    found = [(name, "") for name in environ]
    if env_file.is_file():
        from dotenv import dotenv_values

        found += [(name, f" (in {env_file})") for name in dotenv_values(env_file)]
    known = known_settings()
    problems = []
    for name, where in found:
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known or upper in NOT_SETTINGS:
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else "see .env.example for the settings"
        problems.append(f"Unknown setting {name}{where}: {hint}")
    if problems:
        raise SettingsError("; ".join(dict.fromkeys(problems)))


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into one line for the operator."""
    check_names()
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
