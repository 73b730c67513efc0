"""What a file really is, from its bytes: the extension is a claim, the content decides.

Checks that cost nothing come first (size, magic bytes, NUL bytes, the declared uncompressed
size of a ZIP container) so that no parser ever opens a file we would refuse anyway.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from chatbot.documents.models import KINDS, DocumentError

# The extensions an owner may give each kind (lower case, with the dot).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "odt": (".odt",),
    "txt": (".txt", ".text"),
    "md": (".md", ".markdown"),
    "html": (".html", ".htm"),
}
TEXT_KINDS = ("txt", "md", "html")
ODT_MIME = b"application/vnd.oasis.opendocument.text"
MAX_ZIP_ENTRIES = 5000


def claimed_kind(filename: str) -> str | None:
    suffix = PurePath(filename or "").suffix.lower()
    return next((kind for kind, exts in EXTENSIONS.items() if suffix in exts), None)


def check_size(size: int, max_bytes: int) -> None:
    """Refuse before reading: the caller knows the size from the file system or a header."""
    if size > max_bytes:
        raise DocumentError("too_large", f"{size} bytes > {max_bytes}")
    if size == 0:
        raise DocumentError("empty")


def _zip_kind(data: bytes, max_unzipped: int) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError("unreadable", f"bad zip: {type(exc).__name__}") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise DocumentError("zip_bomb", f"{len(infos)} entries")
    # Python's zipfile never inflates an entry past its declared size (a lying header only
    # truncates it and fails the CRC), so the declared total bounds what parsing can cost.
    total = sum(info.file_size for info in infos)
    if total > max_unzipped:
        raise DocumentError("zip_bomb", f"{total} bytes declared uncompressed")
    names = {info.filename for info in infos}
    if "word/document.xml" in names:
        return "docx"
    if "mimetype" in names and "content.xml" in names:
        with archive.open("mimetype") as handle:
            if handle.read(100).strip() == ODT_MIME:
                return "odt"
    return "other"


def detect(data: bytes, max_unzipped: int) -> str:
    """The kind the bytes are: one of KINDS, or "other"."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data, max_unzipped)
    if b"\x00" in data:
        # UTF-16 text would have NULs too; we accept UTF-8 only, and a NUL in text is binary.
        return "binary"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # older Windows text files
        except UnicodeDecodeError:
            return "other"
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")) or "<body" in text[:4000].lower():
        return "html"
    return "text"


def identify(filename: str, data: bytes, allowed: list[str], max_unzipped: int) -> str:
    """The kind to parse ``data`` as, or a DocumentError with the French reason."""
    claimed = claimed_kind(filename)
    if claimed is None or claimed not in allowed:
        raise DocumentError("unsupported_type", PurePath(filename or "").suffix.lower())
    found = detect(data, max_unzipped)
    if found == "binary" and claimed in TEXT_KINDS:
        raise DocumentError("binary", "NUL bytes in a text file")
    if claimed in TEXT_KINDS:
        # Any UTF-8 text may be read as the text kind its name says (an .md may hold HTML).
        if found in ("text", "html"):
            return claimed
        raise DocumentError("extension_mismatch", f"named {claimed}, content {found}")
    if found != claimed:
        raise DocumentError("extension_mismatch", f"named {claimed}, content {found}")
    return found


assert set(EXTENSIONS) == set(KINDS)
