"""Agents' own documents: private per-user upload, search and synthesis.

Layout (one job per module):

- ``sniff``: what a file really is (magic bytes, NUL bytes, a ZIP's uncompressed size),
  checked before any parser opens it; ``parse``: sections (page, heading, text) from PDF
  (PDFium), DOCX (python-docx), ODT (odfpy), TXT, Markdown, HTML.
- ``chunk``: sections into citable chunks; ``store``: one owner's Chroma collections (the
  owner is the collection); ``library``: ``Documents`` — add (privacy gate, all or
  nothing), list, delete, search, retention.
- ``synthesis``: summaries (map-reduce with the backend, extractive offline) and
  comparison; ``chat``: the helpdesk chat's upload, ``/documents`` and actions;
  ``bench``: ``chatbot bench documents``; ``samples``: generated test documents.

For the HTTP API (``POST /v1/files``)::

    info = await services.documents.add(owner_id, filename, data)   # DocumentInfo
    services.documents.list(owner_id); services.documents.delete(owner_id, doc_id)
    # DocumentError.code / .message: the French reason a file was refused
"""

from typing import TYPE_CHECKING

from chatbot.lazy import lazy_exports

if TYPE_CHECKING:
    from chatbot.documents.library import Documents
    from chatbot.documents.models import DocumentError, DocumentInfo

lazy_exports(
    __name__,
    {"Documents": "library", "DocumentError": "models", "DocumentInfo": "models"},
)

__all__ = ["DocumentError", "DocumentInfo", "Documents"]
