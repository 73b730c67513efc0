"""What may reach a screen: the display check shared by the final answer and the stream.

An answer (the model's, or fiche excerpts) is Markdown that a browser renders. Rendered
Markdown can make the browser fetch or link anywhere, carrying whatever the URL holds, and the
user's values are put back into the answer for display. So, however the Markdown is written:

- a link is kept only when its target is exactly a source URL of this turn; otherwise its
  text stays and its target goes (inline, reference, autolink ``<…>``, HTML ``<a href>``,
  bare ``https://``, ``www.``, ``//host``, ``https:\\\\host``, ``javascript:``, ``data:`` …);
- images are never rendered (``![…](…)``, ``![…][…]``, ``<img>``), nor any raw HTML tag;
- what is left cannot form a link, an image or HTML: the constructs are escaped;
- the canary ends the turn.

``check_answer`` is that check (plus citations); ``DisplayStream`` applies it while tokens
stream, holding back only what is not yet verifiable, so no screen shows what the final
answer removes. Placeholders are re-personalised afterwards, in plain text only
(``Pseudonymiser.repersonalise_display``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from pydantic import BaseModel

from chatbot.privacy.pseudonymise import PLACEHOLDER, could_be_placeholder

CITATION = re.compile(r"\[(\d{1,2})\]")
REMOVED_LINK = "(lien retiré)"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PUNCT = r"!-/:-@\[-`{-~"  # ASCII punctuation: what a backslash escapes in Markdown
_BACKSLASH_ESCAPE = re.compile(rf"\\([{_PUNCT}])")
# A character reference the renderer decodes (not one that is backslash-escaped).
_ENTITY = re.compile(
    r"(?<!\\)((?:\\\\)*)(&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# A reference definition line, possibly inside a quote or a list item: "[1]: http://…".
_DEFINITION = re.compile(
    r"^[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)])[ \t]*)*\[[^\]\n]+\]:"
    r"(?:[ \t]*\S+(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?)?[ \t]*$",
    re.MULTILINE,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:[\s/](?:[^<>]|<[^<>]*>)*)?>")
# What any renderer, a terminal or a browser may take for a link (GFM autolinks included).
_BARE = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*:[\\/]|(?:javascript|data|vbscript|mailto|xmpp|file):"
    r"|(?<![^\s(\[*_~\"'=])//(?=[^\s/])|www\.)[^\s\x00]*",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\")]*_~"
# One pass escapes every construct that could still make a link, an image, HTML or an entity.
_ESCAPE = re.compile(rf"\\(?=[{_PUNCT}])|<|\]\(|\]:|!\[|&(?=#?\w+;)")
# A source URL that may be written back as a link target as it is.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d{1,5})?(?:[/?#][^\s<>()\[\]\"'\\`]*)?")


def safe_url(url: str) -> bool:
    return bool(_SAFE_URL.fullmatch(url))


class Checked(BaseModel):
    text: str
    cited: list[int]  # source numbers the answer cites, in order of first use
    invalid_citations: int = 0
    removed_urls: int = 0  # link targets dropped (inline, reference, HTML, bare)
    removed_images: int = 0
    removed_html: int = 0
    canary_leak: bool = False

    def repairs(self) -> dict[str, int]:
        """What the check removed, for the logs (counts only, never text)."""
        return self.model_dump(
            include={"invalid_citations", "removed_urls", "removed_images", "removed_html"}
        )


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def leaks_canary(text: str, canary: str) -> bool:
    """The canary, as written or with separators slipped in ("G X-01 23…")."""
    if not canary:
        return False
    return canary.casefold() in text.casefold() or _compact(canary) in _compact(text)


def check_answer(text: str, n_sources: int, allowed_urls: set[str], canary: str) -> Checked:
    """The display check: drop the canary's answer, citations to missing sources, every link
    that is not exactly a source, images and HTML; escape what could still become one."""
    if leaks_canary(text, canary):
        return Checked(text="", cited=[], canary_leak=True)
    cleaner = _Cleaner({u for u in allowed_urls if safe_url(u)}, n_sources)
    cleaned = cleaner.clean(text)
    if leaks_canary(cleaned, canary):
        return Checked(text="", cited=[], canary_leak=True)
    cited: list[int] = []
    for match in CITATION.finditer(cleaned):
        n = int(match.group(1))
        if n not in cited:
            cited.append(n)
    return Checked(
        text=cleaned,
        cited=cited,
        invalid_citations=cleaner.invalid,
        removed_urls=cleaner.links,
        removed_images=cleaner.images,
        removed_html=cleaner.html,
    )


class _Cleaner:
    def __init__(self, allowed: set[str], n_sources: int) -> None:
        self.allowed, self.n_sources = allowed, n_sources
        self.kept: list[str] = []  # allowed links, restored after escaping
        self.invalid = self.links = self.images = self.html = 0

    def clean(self, text: str) -> str:
        # What the renderer reads: "&#119;ww.x", "www\.x" are www.x, "\[x\]\(y\)" is [x](y).
        text = _ENTITY.sub(lambda m: m.group(1) + html.unescape(m.group(2)), text)
        text = _CONTROL.sub("", text)  # \x00 is the protection mark below
        text = _BACKSLASH_ESCAPE.sub(r"\1", text)
        text = self._markup(text)
        text = re.sub(r"[ \t]{2,}", " ", self._citations(text))
        text = _BARE.sub(self._bare, text)
        text = _ESCAPE.sub(self._escape, text)
        text = re.sub(r"\x00(\d+)\x00", lambda m: self.kept[int(m.group(1))], text)
        return text.strip()

    def _markup(self, text: str) -> str:
        text, n = _DEFINITION.subn("", text)
        self.links += n
        return self._html(self._links(text))

    def _html(self, text: str) -> str:
        text = _COMMENT.sub(self._drop_html, text)
        text = _AUTOLINK.sub(self._autolink, text)
        return _TAG.sub(self._drop_html, text)

    def _citations(self, text: str) -> str:
        def citation(match: re.Match[str]) -> str:
            if 1 <= int(match.group(1)) <= self.n_sources:
                return match.group(0)
            self.invalid += 1
            return ""

        return CITATION.sub(citation, text)

    def _protect(self, markdown: str) -> str:
        self.kept.append(markdown)
        return f"\x00{len(self.kept) - 1}\x00"

    def _drop_html(self, match: re.Match[str]) -> str:
        self.html += 1
        if re.match(r"<img\b", match.group(0), re.IGNORECASE):
            self.images += 1
        return ""

    def _autolink(self, match: re.Match[str]) -> str:
        if match.group(1) in self.allowed:
            return self._protect(match.group(0))
        self.links += 1
        return REMOVED_LINK

    def _bare(self, match: re.Match[str]) -> str:
        token = match.group(0)
        url = token.rstrip(_TRAILING)
        while url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        rest = token[len(url) :]
        if url in self.allowed:
            return self._protect(url) + rest
        self.links += 1
        return REMOVED_LINK + rest

    def _escape(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if found == "<":
            placeholder = PLACEHOLDER.match(match.string, match.start())
            return "<" if placeholder else "\\<"
        if found in ("](", "]:"):
            return "]\\" + found[1]
        return "\\" + found

    def _links(self, text: str) -> str:
        """Inline and reference links and images: the text stays, the target goes unless it
        is exactly a source; images go entirely but for their text. Innermost first."""
        out: list[str] = []
        i = 0
        while i < len(text):
            start = text.find("[", i)
            if start == -1:
                out.append(text[i:])
                break
            close = _closing_bracket(text, start)
            if close == -1:
                out.append(text[i : start + 1])
                i = start + 1
                continue
            image = start > 0 and text[start - 1] == "!"
            inner = text[start + 1 : close]
            after = text[close + 1 : close + 2]
            end, target = close + 1, None
            if after == "(":
                parsed = _destination(text, close + 1)
                if parsed is not None:
                    end, target = parsed
            elif after == "[":
                label_close = _closing_bracket(text, close + 1)
                if label_close != -1 and (image or not inner.strip().isdigit()):
                    end, target = label_close + 1, ""
            if target is None and not image:
                out.append(text[i : start + 1])  # not a link: go on inside the brackets
                i = start + 1
                continue
            out.append(text[i : start - 1] if image else text[i:start])
            label = _BARE.sub(self._bare, self._citations(self._html(self._links(inner))))
            if image:
                self.images += 1
                out.append(label)
            elif target in self.allowed:
                label = _ESCAPE.sub(self._escape, label).replace("[", "\\[").replace("]", "\\]")
                out.append(self._protect(f"[{label}]({target})"))
            else:
                self.links += 1
                out.append(label)
            i = end
        return "".join(out)


def _closing_bracket(text: str, start: int) -> int:
    """Index of the "]" closing the "[" at ``start``, or -1 (not within the paragraph)."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
        elif char == "\n" and _BLANK_LINE.match(text, i):
            return -1
        i += 1
    return -1


def _destination(text: str, open_paren: int) -> tuple[int, str] | None:
    """``(dest "title")`` from ``open_paren``: (index after ")", dest), leniently."""
    n, i = len(text), open_paren + 1
    while i < n and text[i] in " \t\n":
        i += 1
    if i < n and text[i] == "<":
        # Leniently: the first ">" after which the link ends, even if "<" comes in between
        # (a placeholder inside "<…>" becomes a valid destination once re-personalised).
        close = text.find(">", i)
        while close != -1 and not _BLANK_LINE.search(text, i, close + 1):
            ended = _title_and_close(text, close + 1)
            if ended is not None:
                return ended, text[i + 1 : close]
            close = text.find(">", close + 1)
        return None
    start, depth = i, 0
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char.isspace():
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    dest = text[start:i]
    ended = _title_and_close(text, i)
    return None if ended is None else (ended, dest)


def _title_and_close(text: str, i: int) -> int | None:
    """After a destination: an optional title, then ")"; the index after it, or None."""
    n = len(text)
    while i < n and text[i] in " \t\n":
        i += 1
    if i < n and text[i] in "\"'(":
        closer = ")" if text[i] == "(" else text[i]
        close = text.find(closer, i + 1)
        if close == -1:
            return None
        i = close + 1
        while i < n and text[i] in " \t\n":
            i += 1
    if i < n and text[i] == ")":
        return i + 1
    return None


# --- the stream -------------------------------------------------------------------------------

_UNFINISHED_DEFINITION = re.compile(r"^[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)])[ \t]*)*\[[^\]\n]*\]?:?")


def safe_cut(raw: str, canary: str = "") -> int:
    """How much of the streamed ``raw`` can be checked now: up to the last word that is
    finished, and before any link, markup, placeholder or canary that is not."""
    cut = len(raw)
    if word := re.search(r"\S+\Z", raw):
        cut = word.start()
    paragraph = 0
    for blank in _BLANK_LINE.finditer(raw, 0, cut):
        paragraph = blank.end()
    opened = _unfinished(raw[paragraph:cut])
    if opened is not None:
        cut = paragraph + opened
    line = raw.rfind("\n", 0, cut) + 1
    if _UNFINISHED_DEFINITION.match(raw, line) and raw.find("\n", line) == -1:
        cut = min(cut, line)
    return min(cut, _canary_start(raw, canary))


def _unfinished(text: str) -> int | None:
    """Start of the first "[", "](" or "<" in ``text`` that a later token could complete."""
    stack: list[int] = []
    owner, depth, i = None, 0, 0
    lt = None
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if owner is not None:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                owner = None
        elif char == "[":
            stack.append(i)
        elif char == "]" and stack:
            start = stack.pop()
            if text[i + 1 : i + 2] == "(":
                owner, depth = (stack[0] if stack else start), 1
                i += 2
                continue
            if i + 1 == len(text):
                return stack[0] if stack else start
        elif char == "<" and lt is None:
            rest = text[i:]
            if ">" not in rest and (
                re.match(r"<[A-Za-z/!?]", rest) or could_be_placeholder(rest.rstrip())
            ):
                lt = i
        i += 1
    starts = [s for s in (owner, stack[0] if stack else None, lt) if s is not None]
    return min(starts) if starts else None


def _canary_start(raw: str, canary: str) -> int:
    """Where a tail of ``raw`` that could grow into the canary starts (else its end)."""
    target = _compact(canary)
    if not target:
        return len(raw)
    best, seen = len(raw), ""
    for i in range(len(raw) - 1, -1, -1):
        char = raw[i]
        if _compact(char):
            seen = _compact(char) + seen
            if len(seen) > len(target):
                break
            if target.startswith(seen):
                best = i
    return best


class DisplayStream:
    """Between the model and every screen: feed raw tokens, get what may be shown now.

    Each emission is the display check of a prefix of the answer, re-personalised; when a
    later check no longer extends what was shown, or on the canary, the stream is reset.
    """

    def __init__(
        self,
        allowed_urls: set[str],
        n_sources: int,
        canary: str,
        personalise: Callable[[str], str],
    ) -> None:
        self.allowed, self.n_sources, self.canary = allowed_urls, n_sources, canary
        self.personalise = personalise
        self.raw = ""
        self.shown = ""
        self.stopped = False

    def feed(self, delta: str) -> list[tuple[bool, str]]:
        """(reset, text) pieces to emit now."""
        self.raw += delta
        return self._advance(safe_cut(self.raw, self.canary))

    def flush(self) -> list[tuple[bool, str]]:
        return self._advance(len(self.raw))

    def _advance(self, cut: int) -> list[tuple[bool, str]]:
        if self.stopped:
            return []
        checked = check_answer(self.raw[:cut], self.n_sources, self.allowed, self.canary)
        if checked.canary_leak or leaks_canary(self.raw, self.canary):
            self.stopped = True
            withdrawn, self.shown = bool(self.shown), ""
            return [(True, "")] if withdrawn else []
        text = self.personalise(checked.text)
        if text.startswith(self.shown):
            piece, self.shown = text[len(self.shown) :], text
            return [(False, piece)] if piece else []
        self.shown = text
        return [(True, ""), (False, text)] if text else [(True, "")]
