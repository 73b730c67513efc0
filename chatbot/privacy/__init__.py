"""Privacy gate: French personal data is pseudonymised before any text leaves the app.

from chatbot.privacy import Pseudonymiser
gate = Pseudonymiser()                     # one per conversation
outbound = gate.clear("je m'appelle jean dupont")   # Outbound "je m'appelle <NOM_1>"
gate.repersonalise("Bonjour <NOM_1>")      # "Bonjour jean dupont", for display only
"""

from typing import TYPE_CHECKING

from chatbot.lazy import lazy_exports

if TYPE_CHECKING:
    from chatbot.privacy.analyzer import ENTITY_TYPES, Entity, analyze, analyze_batch, get_analyzer
    from chatbot.privacy.pseudonymise import (
        Pseudonymiser,
        Scrubbed,
        StreamRepersonaliser,
        masked_notice,
        scrub_once,
    )

# Loaded on first use, so that importing a submodule (the CLI's ``commands``) stays cheap:
# the analyzer loads spaCy.
lazy_exports(
    __name__,
    {
        "ENTITY_TYPES": "analyzer",
        "Entity": "analyzer",
        "analyze": "analyzer",
        "analyze_batch": "analyzer",
        "get_analyzer": "analyzer",
        "Pseudonymiser": "pseudonymise",
        "Scrubbed": "pseudonymise",
        "StreamRepersonaliser": "pseudonymise",
        "masked_notice": "pseudonymise",
        "scrub_once": "pseudonymise",
    },
)

__all__ = [
    "ENTITY_TYPES",
    "Entity",
    "Pseudonymiser",
    "Scrubbed",
    "StreamRepersonaliser",
    "analyze",
    "analyze_batch",
    "get_analyzer",
    "masked_notice",
    "scrub_once",
]
