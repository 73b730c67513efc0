"""Who calls the API: the key in ``Authorization: Bearer``, checked in the database on every
request, then counted against the key's rate limit.

A route of the API takes the caller as a dependency, and acts with the key's role only::

    @router.post("/files")
    async def upload(..., key: Annotated[ApiKey, Depends(authenticate)]) -> ...:
        services = api_state(request).services()   # 503 while the app starts
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatbot.api import errors
from chatbot.api.conversations import Conversations
from chatbot.api.errors import ApiError
from chatbot.api.keys import ApiKey, KeyStore
from chatbot.api.limits import Limiter
from chatbot.logs import get_logger
from chatbot.services import Services
from chatbot.store.memory import STORAGE_ERRORS

log = get_logger("guichet.api")

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="gk_<id>_<secret>",
    description="An API key made by `chatbot keys add NAME --role ROLE`.",
)


@dataclass
class ApiState:
    """What every API route shares (``app.state.guichet`` of the API sub-application)."""

    get_services: Callable[[], Services | None]
    keys: KeyStore
    limiter: Limiter
    rate_per_key: str
    conversations: Conversations = field(default_factory=Conversations)

    def services(self) -> Services:
        services = self.get_services()
        if services is None:
            raise ApiError(503, errors.UNAVAILABLE, "starting", headers={"Retry-After": "5"})
        return services


def api_state(request: Request) -> ApiState:
    return request.app.state.guichet


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> ApiKey:
    """The caller's valid key (401 otherwise), within its rate limit (429 otherwise)."""
    state = api_state(request)
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401, errors.NO_KEY, "missing_api_key", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        key = await state.keys.check(credentials.credentials)
    except (*STORAGE_ERRORS, OSError) as exc:
        log.error("api_key_check_failed", error=type(exc).__name__)
        raise ApiError(503, errors.UNAVAILABLE, "storage_unavailable") from None
    if key is None:
        log.info("api_key_refused")
        raise ApiError(
            401, errors.BAD_KEY, "invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
        )
    verdict = await state.limiter.hit(state.rate_per_key, "api-key", key.id)
    if not verdict.allowed:
        log.warning("api_rate_limited", key=key.id)
        raise ApiError(
            429,
            errors.TOO_MANY.format(seconds=verdict.retry_after),
            "rate_limit_exceeded",
            headers={"Retry-After": str(verdict.retry_after)},
        )
    return key
