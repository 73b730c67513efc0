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


def test_a_fiche_with_two_sources_links_each_page_its_cited_sections_come_from() -> None:
    from chatbot.knowledge.models import SourceLink

    maternity = SourceLink(url=CNI, title="Congé de maternité")
    paternity = SourceLink(url=VITALE, title="Congé de paternité")
    fiche = {"id": "conges", "title": "Congés de naissance"}
    text = as_markdown(
        result(
            [
                Source(
                    n=1,
                    heading="Congés de naissance > Paternité",
                    url=VITALE,
                    links=[paternity],
                    **fiche,
                ),
                Source(
                    n=3,
                    heading="Congés de naissance > Démarche",
                    url=CNI,
                    links=[maternity, paternity],
                    **fiche,
                ),
            ]
        )
    )
    (line,) = [x for x in text.splitlines() if x.startswith("- ")]
    assert line == (
        "- \\[1\\] \\[3\\] Congés de naissance — Paternité ; Démarche — "
        f"[Congé de paternité]({VITALE}), [Congé de maternité]({CNI})"
    )
    # Only the paternity section cited: its page alone, as a single-source fiche.
    (line,) = [
        x
        for x in as_markdown(
            result([Source(n=1, url=VITALE, links=[paternity], **fiche)])
        ).splitlines()
        if x.startswith("- ")
    ]
    assert line == f"- \\[1\\] [Congés de naissance]({VITALE})"
