"""Chainlit handlers: a thin layer over ``chatbot.turn``. Started by ``chatbot serve``."""

from __future__ import annotations

import chainlit as cl
from chainlit.config import config as chainlit_config

from chatbot.logs import configure_logging, get_logger
from chatbot.present import as_markdown
from chatbot.privacy import Pseudonymiser
from chatbot.services import Services
from chatbot.settings import get_settings
from chatbot.turn import Caller, Token, run_turn

log = get_logger("guichet.app")
_services: Services | None = None

# The widget may only be embedded by the sites the operator lists. Chainlit's CORS middleware
# holds this very list object, so it is changed in place.
chainlit_config.project.allow_origins[:] = get_settings().allowed_origins

CRASH = (
    "Désolé, une erreur inattendue nous empêche de répondre. Votre conversation est conservée : "
    "vous pouvez reformuler ou réessayer dans un instant."
)


@cl.on_app_startup
async def startup() -> None:
    global _services
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    _services = await Services.start(settings, watch=True)


@cl.on_app_shutdown
async def shutdown() -> None:
    if _services is not None:
        await _services.aclose()


@cl.on_chat_start
async def chat_start() -> None:
    # The placeholder mapping lives in this session's memory only, never on disk.
    cl.user_session.set("privacy", Pseudonymiser(get_settings().privacy_allow_list))


def _privacy() -> Pseudonymiser:
    privacy = cl.user_session.get("privacy")
    if privacy is None:
        privacy = Pseudonymiser(get_settings().privacy_allow_list)
        cl.user_session.set("privacy", privacy)
    return privacy


@cl.on_message
async def on_message(message: cl.Message) -> None:
    assert _services is not None, "startup did not run"
    reply = cl.Message(content="", author="Guichet")
    try:
        async for event in run_turn(
            _services, message.content, thread_id=cl.context.session.thread_id,
            privacy=_privacy(), caller=Caller(),
        ):
            if isinstance(event, Token):
                if event.reset:
                    reply.content = ""
                else:
                    await reply.stream_token(event.text)
            else:
                reply.content = as_markdown(event)
    except Exception:
        log.exception("turn_crashed", thread_id=cl.context.session.thread_id)
        reply.content = CRASH
    await reply.send()
