"""Every French text a turn can end with, in one place: status replies (keyed by ``Status``),
the other canned replies, and the introductions shown above cited excerpts.

Flow files may override any of them (``replies:`` in ``flows/<name>.yaml``, same keys); these
are the defaults. Plain, warm, short French with vouvoiement. The distress reply carries the
national numbers, all free and anonymous.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot.flows.status import Status

if TYPE_CHECKING:
    from chatbot.flows.schema import Flow

DEFAULT_REPLIES: dict[str, str] = {
    "smalltalk_greeting": (
        "Bonjour ! Je suis l'assistant numérique de ce service. "
        "Posez-moi votre question sur vos démarches administratives, je vous réponds "
        "avec les sources officielles."
    ),
    "smalltalk_thanks": (
        "Avec plaisir ! N'hésitez pas si vous avez une autre question sur vos démarches."
    ),
    Status.handoff: (
        "Je comprends que vous souhaitiez échanger avec une personne. "
        "Je ne peux pas vous mettre en relation moi-même, mais un conseiller peut vous aider."
    ),
    Status.about: (
        "Je suis un assistant conversationnel fondé sur l'intelligence artificielle : "
        "vous ne parlez pas à une personne. Je réponds à vos questions sur les démarches "
        "administratives à partir des fiches officielles de ce service, en citant mes sources. "
        "Je peux me tromper : vérifiez les informations importantes dans les sources citées. "
        "Je ne conserve pas vos données personnelles et je ne les transmets pas au modèle. "
        "Pour parler à une personne, demandez « un conseiller » ou contactez Allô Service Public "
        "au 39 39, ou un espace France Services près de chez vous."
    ),
    Status.out_of_scope: (
        "Je suis là pour vous aider dans vos démarches administratives, "
        "et je ne peux pas répondre à cette demande. "
        "Posez-moi plutôt une question sur une démarche (papiers, aides, impôts, travail, "
        "logement ...)."
    ),
    Status.distress: (
        "Ce que vous vivez compte, et vous n'êtes pas seul·e. "
        "Je suis un assistant automatique et je ne peux pas vous aider comme une personne le "
        "ferait, mais des professionnels peuvent vous écouter dès maintenant, gratuitement :\n"
        "- **3114** : prévention du suicide, 24h/24 et 7j/7 ;\n"
        "- **119** : enfance en danger, 24h/24 ;\n"
        "- **3919** : Violences Femmes Info, 24h/24 et 7j/7, anonyme ;\n"
        "- en cas de danger immédiat : **112** (urgences), **17** (police), **15** (SAMU) ;\n"
        "- si vous êtes sourd, malentendant ou ne pouvez pas parler : **114** par SMS.\n"
        "Si vous le pouvez, parlez-en aussi à une personne de confiance."
    ),
    Status.refused_injection: (
        "Je ne peux pas donner suite à ce message : il semble chercher à modifier mon "
        "fonctionnement. Je peux en revanche répondre à vos questions sur vos démarches "
        "administratives."
    ),
    Status.refused_harmful: (
        "Je ne peux pas vous aider pour cette demande, car elle pourrait être illégale ou "
        "dangereuse. Si vous rencontrez une difficulté dans une démarche, je peux vous "
        "expliquer les solutions prévues, ou vous orienter vers un conseiller."
    ),
    "refused_other_person": (
        "Je ne peux pas vous communiquer d'informations sur une autre personne (adresse, "
        "revenus, dossier, numéro de sécurité sociale ...) : elles sont protégées, et je n'ai "
        "de toute façon accès à aucun dossier. Pour vos propres démarches, ou celles d'un proche "
        "qui vous a donné procuration, je peux vous expliquer comment faire. Si une personne "
        "vous doit de l'argent ou vous cause un tort, un conseiller d'un espace France Services "
        "ou un commissaire de justice peut vous orienter."
    ),
    "refused_beyond_role": (
        "Je ne peux pas donner accès aux outils ou aux documents internes réservés aux agents, "
        "ni changer le niveau d'accès de votre session. Je réponds à partir des informations "
        "publiques sur vos démarches. Pour une question sur votre dossier, adressez-vous à "
        "l'organisme concerné depuis votre espace personnel, ou à un espace France Services. "
        "Si vous êtes agent, connectez-vous à l'espace agents avec votre compte professionnel."
    ),
    "empty": (
        "Votre message est vide. Écrivez votre question, par exemple : "
        "« Comment refaire ma carte d'identité ? »"
    ),
    "too_long": (
        "Votre message est trop long pour que je le traite. "
        "Pourriez-vous le raccourcir, en gardant l'essentiel de votre question ?"
    ),
    "binary": (
        "Je n'arrive pas à lire votre message : il contient des caractères illisibles. "
        "Pourriez-vous le réécrire en texte simple ?"
    ),
    Status.no_content: (
        "Je n'ai pas trouvé d'information fiable sur ce sujet dans nos fiches, "
        "et je préfère ne pas vous répondre au hasard."
    ),
    Status.backend_error: (
        "Le service est momentanément indisponible. Veuillez réessayer dans quelques minutes."
    ),
    Status.storage_error: (
        "Le service est momentanément indisponible : votre dernier message n'a pas pu être "
        "traité ni enregistré. Veuillez le renvoyer dans quelques minutes."
    ),
    # Shown above excerpts, so nobody mistakes them for a generated answer.
    "excerpts_no_model": (
        "Voici les passages de nos fiches qui correspondent le mieux à votre question "
        "(extraits cités tels quels ; aucune réponse n'a été rédigée par un modèle de langue)."
    ),
    "excerpts_backend_down": (
        "Le service de rédaction des réponses ne répond pas pour le moment. "
        "Voici les passages de nos fiches qui correspondent le mieux à votre question "
        "(extraits cités tels quels)."
    ),
    "excerpts_unverified": (
        "Je n'ai pas pu rédiger une réponse dont chaque point est vérifié dans nos fiches. "
        "Voici les passages qui correspondent le mieux à votre question "
        "(extraits cités tels quels)."
    ),
}


def reply(flow: Flow, key: str) -> str:
    """The flow's own wording for ``key`` if its file has one, else the default."""
    return flow.replies.get(key) or DEFAULT_REPLIES[key]


def contacts_text(flow: Flow) -> str:
    """The flow's escalation contacts, as a list under a reply."""
    lines = [
        f"- **{c.name}** : {c.detail}" + (f" ({c.url})" if c.url else "") for c in flow.escalation
    ]
    return "Vous pouvez vous adresser à :\n" + "\n".join(lines)


# Agents' own documents (chatbot.documents): why a file was refused, and the chat's texts.
DOCUMENT_REPLIES: dict[str, str] = {
    "too_large": (
        "Ce fichier est trop volumineux. Réduisez-le (par exemple en n'envoyant que les pages "
        "utiles) ou demandez à votre administrateur la taille maximale autorisée."
    ),
    "empty": "Ce fichier est vide : il n'y a rien à lire.",
    "unsupported_type": (
        "Ce type de fichier n'est pas accepté. Envoyez un PDF, un document Word (.docx), "
        "OpenDocument (.odt), un texte (.txt), du Markdown (.md) ou une page HTML."
    ),
    "extension_mismatch": (
        "Le contenu de ce fichier ne correspond pas à son extension (par exemple un document "
        "Word renommé en .pdf). Enregistrez-le de nouveau dans le bon format, puis réessayez."
    ),
    "binary": (
        "Ce fichier texte contient des caractères illisibles (octets nuls) : il ne s'agit pas "
        "d'un texte simple. Enregistrez-le en texte UTF-8, puis réessayez."
    ),
    "zip_bomb": (
        "Ce document est refusé : une fois décompressé, son contenu serait anormalement "
        "volumineux. S'il est légitime, enregistrez-le de nouveau ou exportez-le en PDF."
    ),
    "encrypted": (
        "Ce PDF est protégé par un mot de passe : je ne peux pas le lire. Enregistrez une copie "
        "sans protection, puis réessayez."
    ),
    "scanned": (
        "Ce PDF ne contient pas de texte lisible : il s'agit probablement d'une numérisation "
        "(image scannée) et la reconnaissance de texte n'est pas disponible ici. Envoyez une "
        "version texte du document (PDF issu d'un traitement de texte, .docx, .odt)."
    ),
    "too_many_pages": (
        "Ce document a trop de pages pour être analysé. Envoyez seulement la partie utile."
    ),
    "no_text": "Je n'ai trouvé aucun texte dans ce document.",
    "unreadable": (
        "Je n'arrive pas à lire ce fichier : il semble endommagé ou dans un format inattendu. "
        "Ouvrez-le et enregistrez-le de nouveau, puis réessayez."
    ),
    "too_many_documents": (
        "Vous avez atteint le nombre maximal de documents. Supprimez-en un avec /documents "
        "avant d'en ajouter un autre."
    ),
    "store_failed": (
        "Le document n'a pas pu être enregistré (service momentanément indisponible). "
        "Rien n'a été conservé : réessayez dans quelques minutes."
    ),
    "not_allowed": "L'envoi de fichiers n'est pas disponible dans cet espace.",
    "not_found": "Ce document n'existe pas ou a déjà été supprimé.",
    # The helpdesk chat's texts about documents ({placeholders} filled by chatbot.chat_documents).
    "added": (
        "Document « {name} » ajouté à vos documents privés : {size}. {masked}"
        "Vous seul pouvez l'interroger : posez votre question, ou demandez sa synthèse."
    ),
    "masked": "Par précaution, {count} donnée(s) personnelle(s) ont été masquées avant "
    "l'enregistrement ; le fichier d'origine n'est pas conservé. ",
    "list_empty": (
        "Vous n'avez aucun document. Joignez un fichier (PDF, Word, OpenDocument, texte, "
        "Markdown ou HTML) à votre message pour l'ajouter."
    ),
    "list_intro": "Vos documents privés (visibles par vous seul) :",
    "deleted": "Le document « {name} » a été supprimé, avec tous ses passages indexés.",
    "no_upload_here": (
        "Cet assistant ne reçoit pas de fichiers. Choisissez l'assistance agents pour "
        "interroger vos propres documents."
    ),
}
