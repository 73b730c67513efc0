"""What a fiche's text may not hold: personal data (a warning), images and links to sites that
are not official (errors). Used by the folder check and by `parse_fiche_text`."""

from __future__ import annotations

import html
import re
from typing import Protocol
from urllib.parse import unquote, urlsplit

from chatbot.knowledge.models import Problem


class Fiche(Protocol):
    """What these checks read of a fiche (`chatbot.knowledge.fiche.Fiche` has it)."""

    path: str
    body: str
    body_line: int


def _error(rel: str, line: int, message: str, hint: str) -> Problem:
    return Problem(path=rel, line=line, message=message, hint=hint, severity="error")


def _warning(rel: str, line: int, message: str, hint: str) -> Problem:
    return Problem(path=rel, line=line, message=message, hint=hint, severity="warning")


# Simple look-alikes for personal data. The privacy gate owns the real detector; this only
# warns editors about an obvious slip. Special-rate service numbers (08..) are official.
_PERSONAL = {
    "adresse e-mail": re.compile(r"\b[\w.+-]+@([\w-]+\.)+[a-z]{2,}\b", re.I),
    "numéro de téléphone": re.compile(r"(?<![\d+])(?:\+33\s?|0)[1-79](?:[\s.-]?\d{2}){4}(?!\d)"),
    "numéro de sécurité sociale (NIR)": re.compile(
        r"\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}(?: ?\d{2})?\b"
    ),
    "IBAN": re.compile(r"\bFR\d{2}(?:\s?[0-9A-Z]{4}){5}\s?[0-9A-Z]{3}\b"),
}
# The only sites a fiche may link to: official ones. A host matches itself and its sub-domains
# ("gouv.fr" covers "www.impots.gouv.fr"). Answers only ever link to a turn's sources; this
# keeps fiches, whose text is quoted as excerpts, from pointing anywhere else.
OFFICIAL_HOSTS: tuple[str, ...] = (
    "gouv.fr",  # impots, legifrance, ants, franceconnect, interieur, travail-emploi...
    "service-public.fr",
    "ameli.fr",
    "caf.fr",
    "msa.fr",
    "urssaf.fr",
    "france-travail.fr",
    "pole-emploi.fr",
    "info-retraite.fr",
    "lassuranceretraite.fr",
    "agirc-arrco.fr",
    "cnil.fr",
    "defenseurdesdroits.fr",
    "justice.fr",
    "vie-publique.fr",
    "legifrance.fr",
    "europa.eu",
    "france-services.fr",
    "monespacesante.fr",
    "mesdroitssociaux.fr",
    "etudiant.gouv.fr",
)
_HOSTS_HINT = (
    "liez plutôt une page officielle (service-public.fr, *.gouv.fr, ameli.fr, caf.fr …; "
    "la liste est OFFICIAL_HOSTS dans chatbot/knowledge/body.py) ou supprimez le lien"
)
_FICHE_IMAGE = re.compile(r"!\[[^\]\n]*\]\s*[(\[]|<\s*img\b", re.IGNORECASE)
# Every way a fiche can write a link target: inline "](…)", "](<…>)", a reference definition
# "[x]: …", an autolink "<scheme:…>", HTML href/src, a bare "https://", "//host" or "www.".
_FICHE_TARGETS = re.compile(
    r"\]\(\s*<([^>\n]*)>"
    r"|\]\(\s*([^)\s]*)"
    r"|^\s*(?:>\s*)*\[[^\]\n]+\]:\s*<?([^\s>]*)"
    r"|<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>"
    r"|\b(?:href|src)\s*=\s*[\"']?([^\"'\s>]*)"
    r"|(?<![\w/(<\[])((?:[a-z][a-z0-9+.\-]*:[\\/]|//(?=\w)|www\.)[^\s)<>\]\"']*)",
    re.IGNORECASE | re.MULTILINE,
)
_OFFICIAL_MAIL = re.compile(r"@([\w-]+\.)*(gouv\.fr|example\.\w+|exemple\.\w+)\b", re.I)


def personal_data(fiche: Fiche) -> list[Problem]:
    body = fiche.body
    # Only lines holding an "@" or a long run of digits can match; finding them first is
    # ~10x faster than running every pattern over every line of 1,000 fiches.
    spans = {_line_span(body, m.start()) for m in _DIGITS.finditer(body)}
    spans |= {_line_span(body, i) for i in _positions(body, "@")}
    problems = []
    for start, end in sorted(spans):
        text = body[start:end]
        line = fiche.body_line + body.count("\n", 0, start)
        for kind, pattern in _PERSONAL.items():
            match = next(
                (
                    m
                    for m in pattern.finditer(text)
                    if not (kind == "adresse e-mail" and _OFFICIAL_MAIL.search(m.group(0)))
                ),
                None,
            )
            if match:
                problems.append(
                    _warning(
                        fiche.path,
                        line,
                        f"ressemble à une donnée personnelle ({kind})",
                        "supprimez-la, sauf si c'est le contact officiel d'un service",
                    )
                )
    return problems


def official_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in OFFICIAL_HOSTS)


def _foreign_target(target: str) -> str | None:
    """Why a link target may not be in a fiche, or None: a relative link (another fiche,
    checked elsewhere), an anchor, or a page of an official site."""
    decoded = unquote(html.unescape(target)).strip()
    normal = decoded.replace("\\", "/")
    scheme = re.match(r"([a-z][a-z0-9+.\-]*):", normal, re.IGNORECASE)
    if scheme is None and not normal.startswith("//") and not normal.lower().startswith("www."):
        return None
    if scheme and scheme.group(1).lower() in ("mailto", "tel"):
        address = normal[scheme.end() :].split("?", 1)[0]
        domain = address.rpartition("@")[2]
        if scheme.group(1).lower() == "tel" or official_host(domain):
            return None
        return f"lien e-mail vers `{domain}`, qui n'est pas un site officiel"
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return f"lien `{scheme.group(1).lower()}:`"
    rest = normal[scheme.end() :] if scheme else normal
    rest = "//" + rest.lstrip("/") if scheme or rest.startswith("//") else "//" + rest
    try:
        host = urlsplit(rest).hostname or ""
    except ValueError:
        host = ""
    if not host or not official_host(host):
        return f"lien vers `{host or decoded}`, qui n'est pas un site officiel"
    return None


def foreign_links(fiche: Fiche) -> list[Problem]:
    """Images, and links to hosts outside OFFICIAL_HOSTS, however written: an answer never
    shows an image, and a link in a fiche may only lead to an official site."""
    body = fiche.body
    if not any(mark in body for mark in ("](", "]:", "<", "://", ":\\", "//", "www.", "=")):
        return []
    problems = []
    for i, line in enumerate(body.split("\n")):
        where = fiche.body_line + i
        if _FICHE_IMAGE.search(line):
            problems.append(
                _error(
                    fiche.path,
                    where,
                    "image dans une fiche",
                    "supprimez-la : les réponses n'affichent jamais d'image ;"
                    " dites avec des mots ce qu'elle montre",
                )
            )
        for match in _FICHE_TARGETS.finditer(line):
            target = next(g for g in match.groups() if g is not None)
            if why := _foreign_target(target):
                problems.append(_error(fiche.path, where, why, _HOSTS_HINT))
    return problems


_DIGITS = re.compile(r"[0-9][0-9 .-]{7,}[0-9]")


def _positions(text: str, needle: str) -> list[int]:
    found, i = [], text.find(needle)
    while i != -1:
        found.append(i)
        i = text.find(needle, i + 1)
    return found


def _line_span(text: str, index: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return start, len(text) if end == -1 else end
