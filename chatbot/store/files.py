"""Local-disk storage for Chainlit elements, and the route that serves them to their owner.

Chainlit's SQLAlchemy data layer keeps only a reference to an element's bytes; a storage
client holds the bytes. Ours writes under ``<data_dir>/files`` so that the sources shown under
an answer are still there when an agent resumes the conversation. The files are served by
one route on Chainlit's FastAPI app that checks, from Chainlit's own auth cookie (or bearer
token), that the requesting user owns the thread the element belongs to.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chainlit.data.storage_clients.base import BaseStorageClient

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chatbot.settings import Settings

# Below Chainlit's root path; kept apart from Chainlit's own /project/... routes.
FILES_ROUTE = "/guichet/files"

# Types a browser may show inline without risk; anything else is downloaded, never rendered
# on our origin (an uploaded HTML or SVG file must not run script with the user's cookie).
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "audio/mpeg",
        "audio/wav",
        "audio/ogg",
        "video/mp4",
        "video/webm",
    }
)


class StorageKeyError(ValueError):
    """An object key that would leave the storage folder."""


def files_url_prefix() -> str:
    try:
        from chainlit.config import config

        root = config.run.root_path or ""
    except Exception:  # config not loadable (tools outside the app): plain prefix
        root = ""
    return root.rstrip("/") + FILES_ROUTE


class LocalStorageClient(BaseStorageClient):
    """Element bytes as files under ``root``; ``object_key`` is a relative path."""

    def __init__(self, root: Path, url_prefix: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.url_prefix = url_prefix if url_prefix is not None else files_url_prefix()

    def path_for(self, object_key: str) -> Path:
        parts = object_key.split("/")
        if (
            not object_key
            or object_key.startswith("/")
            or "\\" in object_key
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise StorageKeyError(f"invalid object key {object_key!r}")
        path = (self.root / object_key).resolve()
        if not path.is_relative_to(self.root):
            raise StorageKeyError(f"invalid object key {object_key!r}")
        return path

    def url_for(self, object_key: str) -> str:
        return f"{self.url_prefix}/{quote(object_key)}"

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        path = self.path_for(object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": self.url_for(object_key)}
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        await asyncio.to_thread(_write_atomically, path, payload)
        return {"object_key": object_key, "url": self.url_for(object_key)}

    async def read_file(self, object_key: str) -> bytes:
        return await asyncio.to_thread(self.path_for(object_key).read_bytes)

    async def delete_file(self, object_key: str) -> bool:
        try:
            path = self.path_for(object_key)
        except StorageKeyError:
            return False
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        # Drop the now-empty folders (element id, then user id) but never the root.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True

    async def get_read_url(self, object_key: str) -> str:
        return self.url_for(object_key)

    async def close(self) -> None:
        return None


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def install_file_route(app: FastAPI, settings: Settings, data_layer: Any = None) -> None:
    """Serve stored elements at ``FILES_ROUTE/<object_key>`` to the thread's owner only.

    ``app`` is Chainlit's FastAPI app (``from chainlit.server import app``). ``data_layer``
    defaults to the one Chainlit uses (``chainlit.data.get_data_layer()``), read per request.
    """
    from chainlit.auth import (
        decode_jwt,
        reuseable_oauth,  # cookie first, then "Authorization: Bearer"
    )
    from fastapi import Depends, HTTPException
    from fastapi.responses import Response
    from fastapi.routing import APIRoute

    prefix = files_url_prefix()

    async def serve_file(object_key: str, token: str | None = Depends(reuseable_oauth)) -> Response:
        if not token:
            raise HTTPException(status_code=401, detail="Not authenticated")
        try:
            user = decode_jwt(token)
        except Exception:
            raise HTTPException(status_code=401, detail="Invalid authentication token") from None
        layer = data_layer
        if layer is None:
            from chainlit.data import get_data_layer

            layer = get_data_layer()
        storage = getattr(layer, "storage_provider", None)
        if layer is None or not isinstance(storage, LocalStorageClient):
            raise HTTPException(status_code=404, detail="Not found")
        found = await layer.file_owner(object_key)
        # Same answer for "absent" and "not yours": no way to probe other users' files.
        if found is None or found[0] != user.identifier:
            raise HTTPException(status_code=404, detail="Not found")
        try:
            payload = await storage.read_file(object_key)
        except (FileNotFoundError, StorageKeyError):
            raise HTTPException(status_code=404, detail="Not found") from None
        mime = (found[1] or "application/octet-stream").split(";")[0].strip().lower()
        inline = mime in INLINE_TYPES
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Disposition": "inline" if inline else "attachment",
        }
        media_type = (
            (mime + "; charset=utf-8")
            if mime == "text/plain"
            else (mime if inline else "application/octet-stream")
        )
        return Response(content=payload, media_type=media_type, headers=headers)

    route = APIRoute(
        f"{prefix}/{{object_key:path}}", serve_file, methods=["GET"], name="guichet_files"
    )
    # Chainlit ends its routes with a catch-all GET "/{full_path:path}" that serves the SPA:
    # a route appended after it would never be reached, so ours goes first.
    app.router.routes.insert(0, route)
