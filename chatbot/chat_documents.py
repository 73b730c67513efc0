"""The helpdesk chat's side of agents' documents: upload, ``/documents``, and the actions
(synthèse, comparaison, suppression). A thin layer over ``chatbot.documents``.

The owner is always the logged-in user of this Chainlit session (never a value from the
browser: an action's payload only names a document, looked up among that user's own), and
documents exist only for staff roles in flows with ``documents: true``.
"""

from __future__ import annotations

from typing import Any

import chainlit as cl

from chatbot.documents import DocumentError, DocumentInfo
from chatbot.documents.synthesis import compare_markdown, summarise
from chatbot.flows.schema import Flow
from chatbot.logs import get_logger
from chatbot.replies import DOCUMENT_REPLIES
from chatbot.roles import is_staff

log = get_logger("guichet.app")

COMMAND = "/documents"
AUTHOR = "Guichet"


def owner_of(role: str, flow: Flow | None) -> str | None:
    """The session's user id if this user may have documents in this flow, else None."""
    user = cl.user_session.get("user")
    identifier = getattr(user, "identifier", None)
    if not identifier or not is_staff(role) or flow is None or not flow.documents:
        return None
    return str(identifier)


def _size(info: DocumentInfo) -> str:
    pages = f"{info.pages} page{'s' if info.pages > 1 else ''}, " if info.pages else ""
    return f"{pages}{info.chunks} passage{'s' if info.chunks > 1 else ''} indexé(s)"


def _actions(info: DocumentInfo, compare_with: DocumentInfo | None = None) -> list[cl.Action]:
    actions = [
        cl.Action(
            name="document_synthesis",
            payload={"doc_id": info.id},
            label=f"Synthèse de « {info.filename} »",
            tooltip="Résumer ce document, chaque point cité",
        ),
        cl.Action(
            name="document_delete",
            payload={"doc_id": info.id},
            label=f"Supprimer « {info.filename} »",
            tooltip="Supprimer ce document et tous ses passages indexés",
        ),
    ]
    if compare_with is not None:
        actions.append(
            cl.Action(
                name="document_compare",
                payload={"a": compare_with.id, "b": info.id},
                label=f"Comparer avec « {compare_with.filename} »",
                tooltip="Relever les différences entre les deux documents",
            )
        )
    return actions


async def say(text: str, actions: list[cl.Action] | None = None) -> None:
    await cl.Message(content=text, author=AUTHOR, actions=actions or []).send()


async def handle_upload(services: Any, message: cl.Message, owner: str | None, role: str) -> bool:
    """Index the files attached to ``message``. True when the message was only an upload."""
    files = [e for e in message.elements or [] if getattr(e, "path", None)]
    if not files:
        return False
    if owner is None:
        # The server refuses uploads from non-staff already (chatbot/web/uploads.py); a staff
        # user in a flow without documents gets told where to go.
        log.info("upload_ignored", reason="no_documents_here")
        await say(DOCUMENT_REPLIES["no_upload_here" if is_staff(role) else "not_allowed"])
        return not (message.content or "").strip()
    for element in files:
        try:
            info = await services.documents.add_path(owner, element.name or "", element.path)
        except DocumentError as exc:
            log.info("document_refused", code=exc.code, detail=exc.detail)
            await say(exc.message)
            continue
        except Exception:  # never a stack trace on screen; nothing was indexed
            log.exception("document_upload_crashed")
            await say(DOCUMENT_REPLIES["unreadable"])
            continue
        masked = sum(info.masked.values())
        text = DOCUMENT_REPLIES["added"].format(
            name=info.filename,
            size=_size(info),
            masked=DOCUMENT_REPLIES["masked"].format(count=masked) if masked else "",
        )
        previous = next((d for d in services.documents.list(owner) if d.id != info.id), None)
        await say(text, _actions(info, previous))
    return not (message.content or "").strip()


async def show_documents(services: Any, owner: str | None, role: str) -> None:
    if owner is None:
        await say(DOCUMENT_REPLIES["no_upload_here" if is_staff(role) else "not_allowed"])
        return
    documents = services.documents.list(owner)
    if not documents:
        await say(DOCUMENT_REPLIES["list_empty"])
        return
    lines = [DOCUMENT_REPLIES["list_intro"], ""]
    actions: list[cl.Action] = []
    for i, info in enumerate(documents):
        day = info.created_at[:10]  # ISO date, shown the French way
        lines.append(
            f"- « {info.filename} » — {_size(info)}, ajouté le {day[8:]}/{day[5:7]}/{day[:4]}"
        )
        actions += _actions(info, documents[i + 1] if i + 1 < len(documents) else None)
    await say("\n".join(lines), actions)


def _doc_id(payload: object, key: str = "doc_id") -> str:
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else ""


async def synthesis(services: Any, owner: str | None, payload: object) -> None:
    info = services.documents.get(owner, _doc_id(payload)) if owner else None
    if info is None:
        await say(DOCUMENT_REPLIES["not_found"])
        return
    chunks = services.documents.chunks_of(owner, info.id)
    privacy = cl.user_session.get("privacy") or services.privacy()
    async with cl.Step(name="Synthèse du document", type="tool") as step:
        text, mode = await summarise(services.backend, privacy, info.filename, chunks)
        step.output = "synthèse rédigée par le modèle" if mode == "model" else "synthèse extractive"
    log.info("document_synthesis", mode=mode, chunks=len(chunks))
    await say(text)


async def compare(services: Any, owner: str | None, payload: object) -> None:
    a = services.documents.get(owner, _doc_id(payload, "a")) if owner else None
    b = services.documents.get(owner, _doc_id(payload, "b")) if owner else None
    if a is None or b is None:
        await say(DOCUMENT_REPLIES["not_found"])
        return
    text = compare_markdown(
        a.filename,
        services.documents.chunks_of(owner, a.id),
        b.filename,
        services.documents.chunks_of(owner, b.id),
    )
    await say(text)


async def delete(services: Any, owner: str | None, payload: object) -> None:
    doc_id = _doc_id(payload)
    info = services.documents.get(owner, doc_id) if owner else None
    if info is None or not services.documents.delete(owner, doc_id):
        await say(DOCUMENT_REPLIES["not_found"])
        return
    await say(DOCUMENT_REPLIES["deleted"].format(name=info.filename))
