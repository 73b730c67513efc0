"""Agents' own documents through the API, in the shape of OpenAI's files API (so
``client.files.create(file=..., purpose="assistants")`` works):

    POST   /v1/files          upload one file (multipart field ``file``), indexed for this key
    GET    /v1/files          the key's documents
    DELETE /v1/files/{id}     delete one of them

The owner is the key (``api-key:<id>``), never a field of the request; only staff keys may
keep documents, as only agents may in the chat. A turn of a flow with ``documents: true``
through ``/v1/chat/completions`` with the same key searches them (``chatbot.documents``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from chatbot.api.access import api_state, authenticate
from chatbot.api.errors import ERROR_RESPONSES, ApiError
from chatbot.api.keys import ApiKey
from chatbot.api.schemas import ErrorBody
from chatbot.roles import is_staff

router = APIRouter()

NOT_STAFF = "Cette clé d'API ne permet pas de déposer de documents (réservé aux agents)."
NO_LENGTH = "Indiquez la taille du fichier (en-tête Content-Length)."
NO_FILE = "Aucun fichier reçu : envoyez-le dans le champ « file » (multipart/form-data)."
NO_DOCUMENT = "Document inconnu pour cette clé."
FORM_OVERHEAD = 64 * 1024  # bytes of multipart framing and fields around the file itself
# Which HTTP status each refusal of ``chatbot.documents`` gets (the rest: 422).
STATUS_OF = {"too_large": 413, "too_many_documents": 409}


class FileObject(BaseModel):
    """OpenAI's file object, with what Guichet adds: pages, chunks, what was masked."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int  # Unix seconds
    filename: str  # pseudonymised: a file name may hold a name too
    purpose: str = "assistants"
    status: Literal["processed"] = "processed"
    pages: int
    chunks: int
    masked: dict[str, int] = Field(default_factory=dict)


class FileList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FileObject]


class FileDeleted(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool = True


def _documented(**extra: str) -> dict:
    return {
        **ERROR_RESPONSES,
        403: {"model": ErrorBody, "description": "this key's role may not keep documents"},
        **{
            int(code[1:]): {"model": ErrorBody, "description": text} for code, text in extra.items()
        },
    }


FILES_RESPONSES = _documented()
UPLOAD_RESPONSES = _documented(
    _409="the key keeps as many documents as allowed",
    _411="no Content-Length header",
    _413="file over the size limit (from the header, before the body is read)",
    _422="a file refused: type, content, encryption, scanned pages (French reason)",
)
DELETE_RESPONSES = _documented(_404="no such document for this key")

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "purpose": {"type": "string", "default": "assistants"},
                    },
                }
            }
        },
    }
}


def _staff(key: ApiKey) -> ApiKey:
    if not is_staff(key.role):
        raise ApiError(403, NOT_STAFF, "documents_not_allowed")
    return key


def _file_object(info: Any, size: int | None = None) -> FileObject:
    created = dt.datetime.fromisoformat(info.created_at)
    return FileObject(
        id=info.id,
        bytes=size if size is not None else info.chars,
        created_at=int(created.timestamp()),
        filename=info.filename,
        pages=info.pages,
        chunks=info.chunks,
        masked=info.masked,
    )


@router.post(
    "/files",
    response_model=FileObject,
    summary="Upload a document, private to this key",
    responses=UPLOAD_RESPONSES,
    openapi_extra=UPLOAD_BODY,
)
async def upload_file(
    request: Request, key: Annotated[ApiKey, Depends(authenticate)]
) -> FileObject:
    _staff(key)
    services = api_state(request).services()
    documents = services.documents
    # The size is refused from the header, before the body is read or spooled to disk.
    try:
        declared = int(request.headers["content-length"])
    except (KeyError, ValueError):
        raise ApiError(411, NO_LENGTH, "length_required") from None
    limit = documents.max_bytes + FORM_OVERHEAD
    if declared > limit:
        raise ApiError(413, _message("too_large"), "too_large")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(400, NO_FILE, "file_missing")
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception:  # a broken multipart body is the client's mistake, said in French
        raise ApiError(400, NO_FILE, "file_missing") from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(400, NO_FILE, "file_missing")
    data = await upload.read()
    from chatbot.documents import DocumentError

    try:
        info = await documents.add(key.owner, upload.filename or "document", data)
    except DocumentError as exc:
        raise ApiError(STATUS_OF.get(exc.code, 422), exc.message, exc.code) from None
    return _file_object(info, len(data))


@router.get(
    "/files", response_model=FileList, summary="This key's documents", responses=FILES_RESPONSES
)
async def list_files(request: Request, key: Annotated[ApiKey, Depends(authenticate)]) -> FileList:
    _staff(key)
    documents = api_state(request).services().documents
    return FileList(data=[_file_object(info) for info in documents.list(key.owner)])


@router.delete(
    "/files/{file_id}",
    response_model=FileDeleted,
    summary="Delete one of this key's documents",
    responses=DELETE_RESPONSES,
)
async def delete_file(
    request: Request, file_id: str, key: Annotated[ApiKey, Depends(authenticate)]
) -> FileDeleted:
    _staff(key)
    documents = api_state(request).services().documents
    # Another key's document and an unknown id get the same answer: nothing to learn.
    if not documents.delete(key.owner, file_id):
        raise ApiError(404, NO_DOCUMENT, "file_not_found")
    return FileDeleted(id=file_id)


def _message(code: str) -> str:
    from chatbot.replies import DOCUMENT_REPLIES

    return DOCUMENT_REPLIES.get(code, DOCUMENT_REPLIES["unreadable"])
