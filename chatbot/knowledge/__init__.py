"""Knowledge base: Markdown fiches, validation, incremental indexing, hybrid retrieval.

Layout (one job per module):

- ``front``: the front matter model (several ``sources``, ``checked``, ``status: draft``) and
  the French problems for editors; ``fiche``: parsing with line-accurate problems,
  ``parse_fiche_text`` (any fiche, drafts included, for previews), ``##`` chunking (heading
  path "Titre > Section", anchor = slug of the section, the section's sources).
- ``check``: validates the whole folder (``chatbot kb check``); drafts are validated and
  kept apart, never served; yearly amounts past ``review_by`` are flagged; unchanged files
  are reused from a cache keyed on (mtime, size, inode).
- ``text``: French normalisation (accents folded, elisions split, stop words, Snowball
  stems) and a short query-side list of colloquial words.
- ``lexical``: in-memory BM25 with a character-trigram fallback for misspelt words.
- ``embedding``: offline vectors (signed hashing of stems + character 3-5-grams, sublinear
  tf, L2, 1024 dims, no download) and the backend's ``/v1/embeddings``.
- ``store``: Chroma (PersistentClient, or HttpClient when ``chroma_url`` is set), one
  collection per vector space and audience; embeddings always passed explicitly.
- ``base``: ``KnowledgeBase`` (sync, search = lexical + dense fused by weighted RRF, then
  the backend's rerank when configured; graceful fallback to offline), ``watch``: live
  re-sync. ``commands``, ``evaluate``, ``bench``: the CLI.

Sync is incremental: each chunk carries a hash of what is stored and of what is embedded;
a second sync embeds nothing, an edit re-embeds the changed sections only, a rename reuses
vectors. A file with an error is reported and its last good version keeps serving.
"""

from typing import TYPE_CHECKING

from chatbot.lazy import lazy_exports

if TYPE_CHECKING:
    from chatbot.knowledge.base import KnowledgeBase
    from chatbot.knowledge.check import check, scan
    from chatbot.knowledge.fiche import parse_fiche_text
    from chatbot.knowledge.models import AUDIENCES, Chunk, Hit, Problem, SyncReport

# Loaded on first use: the store loads Chroma, and parsing loads pydantic models, YAML and the
# Snowball stemmers, none of which ``chatbot --help`` needs.
lazy_exports(
    __name__,
    {
        "KnowledgeBase": "base",
        "check": "check",
        "scan": "check",
        "parse_fiche_text": "fiche",
        "AUDIENCES": "models",
        "Chunk": "models",
        "Hit": "models",
        "Problem": "models",
        "SyncReport": "models",
    },
)

__all__ = [
    "AUDIENCES",
    "Chunk",
    "Hit",
    "KnowledgeBase",
    "Problem",
    "SyncReport",
    "check",
    "parse_fiche_text",
    "scan",
]
