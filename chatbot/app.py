"""Chainlit handlers: a thin layer over ``chatbot.turn``. Started by ``chatbot serve``.

Which handlers exist depends on ``GUICHET_INSTANCE``: ``public`` (citizens only, no login),
``internal`` (agents only, login required) or ``all`` (anonymous citizens and agents who log
in at ``/agent``). The role always comes from the server-side login, never from the browser.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import chainlit as cl
from chainlit.config import (
    ChainlitConfigOverrides,
    FeaturesSettings,
    SpontaneousFileUploadFeature,
    UISettings,
)
from chainlit.config import config as chainlit_config
from chainlit.server import app as chainlit_server
from chainlit.types import ChatProfile, InputAudioChunk, Starter
from starlette.requests import Request
from starlette.responses import JSONResponse

from chatbot import boot, metrics
from chatbot.api.mount import install_api
from chatbot.editors.web import install_editors
from chatbot.logs import configure_logging, get_logger
from chatbot.roles import Role, is_staff
from chatbot.settings import get_settings
from chatbot.store.files import install_file_route
from chatbot.web import auth
from chatbot.web.assets import install_offline_html
from chatbot.web.flood import widget_token_refusal
from chatbot.web.health import install_health_routes
from chatbot.web.proconnect import register_proconnect
from chatbot.web.shield import install_shield
from chatbot.web.uploads import install_upload_guard, use_private_files_dir

# The rest (spaCy, Presidio, Chroma, LangGraph, the data layer) is imported by
# ``chatbot.boot`` in the background, so that the server answers within seconds.
if TYPE_CHECKING:
    from chatbot.flows.schema import Flow
    from chatbot.privacy import Pseudonymiser
    from chatbot.services import Services
    from chatbot.turn import TurnResult

log = get_logger("guichet.app")
settings = get_settings()
_background: set[asyncio.Task] = set()  # kept referenced until done

CRASH = (
    "Désolé, une erreur inattendue nous empêche de répondre à ce message. "
    "Vous pouvez reformuler ou réessayer dans un instant."
)
NO_FLOW = "Aucun assistant n'est disponible pour votre profil. Contactez votre administrateur."

# The widget may only be embedded by the sites the operator lists. Chainlit's CORS middleware
# holds this very list object, so it is changed in place.
chainlit_config.project.allow_origins[:] = settings.allowed_origins
install_offline_html(chainlit_server)  # no font or script fetched from another host
install_file_route(chainlit_server, settings)  # elements of agents' threads, owner only
# The OpenAI-compatible API at /v1, for other systems (keys: `chatbot keys`).
install_api(chainlit_server, settings, boot.current)
# The editors' space (/editeurs): editors and admins only, decided from the signed session.
install_editors(chainlit_server, settings, boot.current)
# /health, /ready, /metrics for load balancers, orchestrators and monitoring.
install_health_routes(chainlit_server, settings, boot.current, starting=boot.problem)
# Uploads: agents only, size checked before the body is read (inside the shield, which
# decodes the session first). The button shows only in flows with documents (profiles below).
install_upload_guard(chainlit_server, settings)
use_private_files_dir()  # Chainlit's shared .files is deleted by any server that stops
chainlit_config.features.spontaneous_file_upload.max_size_mb = max(
    1, round(settings.documents_max_mb)
)
# Origin of the socket, revoked sessions, login rate limit, switched-off features, sizes,
# Secure cookies, access logs without paths: chatbot/web/shield.py (docs/threat-model.md).
install_shield(chainlit_server, settings)


# --- login: decided on the server ---------------------------------------------------------

if settings.instance != "public":
    cl.password_auth_callback(auth.password_auth)
    if settings.instance == "all" or auth.get_auth_settings().sso_secret:
        cl.header_auth_callback(auth.header_auth)
    if register_proconnect() is not None:
        cl.oauth_callback(auth.oauth_callback)
    if settings.instance == "all":
        auth.install_agent_entry(chainlit_server)

        @chainlit_server.post("/widget/token")
        async def widget_token(request: Request) -> JSONResponse:
            """An anonymous citizen's token for the Copilot widget (it cannot log in)."""
            if refusal := await widget_token_refusal(request.scope):  # per address
                return refusal
            return JSONResponse({"token": auth.citizen_access_token()})


def _privacy() -> Pseudonymiser | None:
    # The placeholder mapping lives in this session's memory only, never on disk.
    try:
        return cl.user_session.get("privacy")
    except Exception:  # outside a Chainlit session (e.g. a background write)
        return None


@cl.data_layer
def data_layer():
    """Agents' conversations and feedback, stored pseudonymised; citizens' are not stored."""
    from chatbot.store.layer import build_data_layer

    return build_data_layer(settings, _privacy)


def _role() -> str:
    user = cl.user_session.get("user")
    return auth.role_of(user) if settings.instance != "public" else Role.citizen


# --- start and stop -----------------------------------------------------------------------


@cl.on_app_startup
async def startup() -> None:
    configure_logging(settings.log_format, settings.log_level)
    try:
        # Before listening (tens of ms): logins and the data layer work from the first request.
        import chatbot.store.layer  # noqa: F401  (not in the loading thread: one importer)
        from chatbot.store.schema import create_schema, database_url

        await create_schema(database_url(settings))
    except Exception as exc:
        boot.abort(exc)
        return
    boot.begin(_start_services)  # the server listens meanwhile (chatbot/boot.py)


async def _start_services() -> Services:
    from chatbot.editors.groups import preload as preload_grouping
    from chatbot.services import Services

    services = await Services.start(settings, watch=True, verify=False, sweep=True)
    _enable_audio(services)
    # The editors' grouping needs scikit-learn, SciPy and the word vectors: seconds to load,
    # done now in the background rather than at the first editor's visit.
    task = asyncio.create_task(asyncio.to_thread(preload_grouping))
    _background.add(task)
    task.add_done_callback(_background.discard)
    return services


@cl.on_app_shutdown
async def shutdown() -> None:
    services = boot.current()
    if services is not None:
        await services.aclose()
    if boot.failed():
        # Chainlit ends its shutdown with os._exit(0): say the failure in the status, so
        # that a supervisor (systemd, Kubernetes, ``serve --workers``) sees it.
        os._exit(1)


def _visible_flows(services: Services, role: str) -> list[Flow]:
    return services.offered_flows(role)


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None, language: str | None = None) -> list[ChatProfile]:
    role = auth.role_of(user) if settings.instance != "public" else Role.citizen
    flows = _visible_flows(await boot.services(), role)
    # The default is the flow made for this role first (the helpdesk for agents).
    default = next((f for f in flows if f.roles[0] == role), flows[0] if flows else None)
    return [
        ChatProfile(
            name=flow.name,
            display_name=flow.label,
            markdown_description=flow.description,
            default=flow is default,
            starters=[Starter(label=s.label, message=s.message) for s in flow.starters],
            # Agents may expand the retrieval step; citizens see no internals.
            config_overrides=ChainlitConfigOverrides(
                ui=UISettings(
                    name=chainlit_config.ui.name, cot="full" if flow.show_internals else "hidden"
                ),
                # Agents attach their own documents in flows that search them; nobody else.
                features=FeaturesSettings(
                    spontaneous_file_upload=SpontaneousFileUploadFeature(
                        enabled=bool(flow.documents and is_staff(role))
                    )
                ),
            ),
        )
        for flow in flows
    ]


def _current_flow(services: Services) -> Flow | None:
    """The flow this session may use: the chosen profile if the role allows it."""
    from chatbot.services import FlowAccessError

    role = _role()
    try:
        return services.flow_for(cl.user_session.get("chat_profile"), role)
    except FlowAccessError:
        flows = _visible_flows(services, role)
        return flows[0] if flows else None


@cl.on_chat_start
async def chat_start() -> None:
    from chatbot.threads import start_memory

    services = await boot.services()
    cl.user_session.set("privacy", services.privacy())
    cl.user_session.set("counted", True)
    metrics.session_opened()
    start_memory(_role())  # never the thread id the browser sent


@cl.on_chat_resume
async def chat_resume(thread: dict) -> None:
    from chatbot.threads import resume_memory

    # A resumed thread starts a new mapping: stored text holds placeholders only.
    services = await boot.services()
    cl.user_session.set("privacy", services.privacy())
    if not cl.user_session.get("counted"):
        cl.user_session.set("counted", True)
        metrics.session_opened()
    await resume_memory(services, _role(), thread)  # only the agent's own stored thread


@cl.on_chat_end
async def chat_end() -> None:
    from chatbot.threads import end_memory

    if cl.user_session.get("counted"):
        cl.user_session.set("counted", False)
        metrics.session_closed()
    # A citizen's conversation memory goes when the visit ends (chainlit.md says so).
    services = boot.current()
    if services is not None:
        await end_memory(services, chainlit_config.project.session_timeout + 5)


# --- one message --------------------------------------------------------------------------


@cl.on_message
async def on_message(message: cl.Message) -> None:
    from chatbot.present import as_markdown
    from chatbot.threads import current_memory, run_turn_with_memory
    from chatbot.turn import Caller, Token

    services = await boot.services()
    flow = _current_flow(services)
    if flow is None:
        await cl.Message(content=NO_FLOW, author="Guichet").send()
        return
    privacy = cl.user_session.get("privacy") or services.privacy()
    cl.user_session.set("privacy", privacy)
    user = cl.user_session.get("user")
    caller = Caller(user_id=getattr(user, "identifier", None), role=_role())
    from chatbot import chat_documents

    owner = chat_documents.owner_of(caller.role, flow)
    if message.content.strip().lower() == chat_documents.COMMAND:
        await chat_documents.show_documents(services, owner, caller.role)
        return
    if await chat_documents.handle_upload(services, message, owner, caller.role):
        return
    reply = cl.Message(content="", author="Guichet")
    result: TurnResult | None = None
    try:
        async for event in run_turn_with_memory(
            services,
            message.content,
            flow_name=flow.name,
            memory=current_memory(caller.role),
            privacy=privacy,
            caller=caller,
        ):
            if isinstance(event, Token):
                if event.reset and reply.streaming:  # withdraw it from the screen too
                    await reply.stream_token(" ", is_sequence=True)
                await reply.stream_token(event.text)
            else:
                result = event
    except Exception:
        log.exception("turn_crashed", thread_id=cl.context.session.thread_id)
        reply.content = CRASH
    if result is not None:
        reply.content = as_markdown(result)
        reply.metadata = {
            "status": result.status.value,
            "flow": result.flow,
            "turn_id": result.turn_id,
            # The fiches the answer cites (ids only): the editors' "most cited" report.
            "sources": list(dict.fromkeys(source.id for source in result.sources)),
        }
        if flow.show_internals and result.sources:
            await _show_retrieval(result)
    await reply.send()


@cl.action_callback("document_synthesis")
async def document_synthesis(action: cl.Action) -> None:
    from chatbot import chat_documents

    services = await boot.services()
    owner = chat_documents.owner_of(_role(), _current_flow(services))
    await chat_documents.synthesis(services, owner, action.payload)


@cl.action_callback("document_compare")
async def document_compare(action: cl.Action) -> None:
    from chatbot import chat_documents

    services = await boot.services()
    owner = chat_documents.owner_of(_role(), _current_flow(services))
    await chat_documents.compare(services, owner, action.payload)


@cl.action_callback("document_delete")
async def document_delete(action: cl.Action) -> None:
    from chatbot import chat_documents

    services = await boot.services()
    owner = chat_documents.owner_of(_role(), _current_flow(services))
    await chat_documents.delete(services, owner, action.payload)


async def _show_retrieval(result: TurnResult) -> None:
    """For agents: what the knowledge base returned, in a step they can expand."""
    async with cl.Step(name="Recherche dans les fiches", type="retrieval") as step:
        step.output = (
            "\n".join(
                f"- [{s.n}] {s.title} — {s.heading or s.title} ({s.audience})"
                + (f", p. {s.page}" if s.page else "")
                + (f" : {s.url}" if s.url else "")
                for s in result.sources
            )
            + f"\n\nStatut : {result.status.value} · "
            f"durée : {result.timings.get('total', 0):.0f} ms"
        )


# --- audio input: dictation, when the backend serves a speech model -------------------------
# The microphone is shown only if /v1/models lists an automatic-speech-recognition model.
# The recording goes to that model alone; its transcript is handled exactly like typed text
# (on_message: privacy gate first), so no personal data reaches the chat model.

AUDIO_FAILED = (
    "Désolé, nous n'avons pas pu transcrire votre message vocal. Vous pouvez l'écrire ou réessayer."
)


def _enable_audio(services: Services) -> None:
    backend = services.backend
    enabled = backend is not None and backend.catalogue.speech_model() is not None
    chainlit_config.features.audio.enabled = enabled
    log.info("audio_input", enabled=enabled)


@cl.on_audio_start
async def audio_start() -> bool:
    cl.user_session.set("audio", bytearray())
    return True


@cl.on_audio_chunk
async def audio_chunk(chunk: InputAudioChunk) -> None:
    buffer = cl.user_session.get("audio")
    if buffer is not None:
        buffer.extend(chunk.data)


@cl.on_audio_end
async def audio_end() -> None:
    from chatbot.backend import BackendError
    from chatbot.backend.audio import pcm16_to_wav

    buffer = cl.user_session.get("audio") or bytearray()
    cl.user_session.set("audio", None)
    services = boot.current()
    if not buffer or services is None or services.backend is None:
        return
    wav = pcm16_to_wav(bytes(buffer), chainlit_config.features.audio.sample_rate)
    try:
        text = await services.backend.transcribe(wav)
    except BackendError as exc:
        log.warning("audio_transcription_failed", kind=exc.kind)
        await cl.Message(content=AUDIO_FAILED, author="Guichet").send()
        return
    if not text:
        return
    message = cl.Message(content=text, author="Vous", type="user_message")
    await message.send()
    await on_message(message)
