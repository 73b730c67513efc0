"""The Markdown under an answer: one line per fiche, citation numbers kept, the invitation to
check the sources only where sources are listed."""

from __future__ import annotations

from chatbot.flows.status import Status
from chatbot.present import as_markdown
from chatbot.turn import Source, TurnResult

VITALE = "https://www.ameli.fr/assure/remboursements/etre-bien-rembourse/carte-vitale"
CNI = "https://www.service-public.fr/particuliers/vosdroits/F1341"


def result(sources: list[Source], answer: str = "Réponse [1] et [3].") -> TurnResult:
    return TurnResult(
        turn_id="t",
        thread_id="th",
        flow="citizen",
        status=Status.answered,
        answer=answer,
        sources=sources,
    )


def test_two_sections_of_one_fiche_make_one_line_with_both_numbers() -> None:
    text = as_markdown(
        result(
            [
                Source(
                    n=1,
                    id="vitale",
                    title="Carte Vitale",
                    heading="Carte Vitale > Perte",
                    url=VITALE,
                ),
                Source(n=2, id="cni", title="Carte d'identité", url=CNI),
                Source(
                    n=3,
                    id="vitale",
                    title="Carte Vitale",
                    heading="Carte Vitale > Commander une carte",
                    url=VITALE,
                ),
            ]
        )
    )
    assert text.count(VITALE) == 1, text
    assert "- \\[1\\] \\[3\\] [Carte Vitale](" + VITALE + ") — Perte ; Commander une carte" in text
    assert "- \\[2\\] [Carte d'identité](" + CNI + ")" in text
    assert "vérifiez sur ces pages" in text


def test_no_sources_no_invitation_to_check_them() -> None:
    text = as_markdown(result([], answer="Votre message est trop long."))
    assert "ource" not in text and "vérifiez" not in text
