"""Privacy gate: French personal data is pseudonymised before any text leaves the app.

from chatbot.privacy import Pseudonymiser
gate = Pseudonymiser()                     # one per conversation
outbound = gate.clear("je m'appelle jean dupont")   # Outbound "je m'appelle <NOM_1>"
gate.repersonalise("Bonjour <NOM_1>")      # "Bonjour jean dupont", for display only
"""

from chatbot.privacy.analyzer import ENTITY_TYPES, Entity, analyze, analyze_batch, get_analyzer
from chatbot.privacy.pseudonymise import (
    Pseudonymiser,
    Scrubbed,
    StreamRepersonaliser,
    masked_notice,
    scrub_once,
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
