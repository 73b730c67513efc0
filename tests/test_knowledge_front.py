"""Front matter: several sources (each cited where it applies), the old single `source_url`,
the facts' `checked` date, yearly amounts past `review_by`, drafts; French messages with the
line to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chatbot.knowledge.check import scan
from chatbot.knowledge.fiche import parse, parse_fiche_text

SP = "https://www.service-public.fr/particuliers/vosdroits/"


def fiche_text(front: str, body: str = "Intro.\n\n## Section\nTexte.\n") -> str:
    return (
        "---\ntitle: Congés\nsummary: Les congés.\n"
        + front
        + "updated: 2026-10-15\nchecked: 2026-10-15\ntags: [congé]\nlicence: Test\n---\n"
        + body
    )


TWO = (
    f"sources:\n  - url: {SP}F2265\n    title: Congé de maternité\n"
    f"  - url: {SP}F3156\n    title: Congé de paternité\n"
)


def test_a_list_of_sources_is_read_with_titles_and_the_first_is_the_main_one() -> None:
    fiche, problems = parse(fiche_text(TWO), "public/conges.md", "public", "conges")
    assert fiche is not None and problems == []
    assert [(s.url, s.title) for s in fiche.meta.sources] == [
        (f"{SP}F2265", "Congé de maternité"),
        (f"{SP}F3156", "Congé de paternité"),
    ]
    assert fiche.meta.source_url == f"{SP}F2265"
    # Unmarked sections come from every source.
    assert all([s.url for s in c.sources] == [f"{SP}F2265", f"{SP}F3156"] for c in fiche.chunks)


def test_the_old_single_source_url_is_a_one_item_list() -> None:
    fiche, problems = parse(
        fiche_text(f"source_url: {SP}F2265\n"), "public/conges.md", "public", "conges"
    )
    assert fiche is not None and problems == []
    assert [(s.url, s.title) for s in fiche.meta.sources] == [(f"{SP}F2265", "")]
    assert all(c.url == f"{SP}F2265" and len(c.sources) == 1 for c in fiche.chunks)


def test_a_section_marked_with_a_source_cites_that_source_only() -> None:
    body = (
        "Intro.\n\n## Congé maternité\n<!-- source: 1 -->\n16 semaines.\n\n"
        "## Congé de paternité\n<!-- source: 2 -->\n25 jours.\n\n## Démarche\nPrévenez.\n"
    )
    fiche, problems = parse(fiche_text(TWO, body), "public/conges.md", "public", "conges")
    assert fiche is not None and problems == []
    urls = {c.anchor: [s.url[-5:] for s in c.sources] for c in fiche.chunks}
    assert urls == {
        "": ["F2265", "F3156"],
        "conge-maternite": ["F2265"],
        "conge-de-paternite": ["F3156"],
        "demarche": ["F2265", "F3156"],
    }
    assert {c.anchor: c.url[-5:] for c in fiche.chunks}["conge-de-paternite"] == "F3156"
    assert not any("<!--" in c.text for c in fiche.chunks)  # the mark is not shown


def test_a_mark_naming_no_listed_source_is_an_error_on_its_line() -> None:
    body = "Intro.\n\n## Section\n<!-- source: 3 -->\nTexte.\n"
    fiche, problems = parse(fiche_text(TWO, body), "public/conges.md", "public", "conges")
    assert fiche is not None  # still served, from every source
    (problem,) = problems
    assert problem.severity == "error" and problem.line == 17
    assert "marque de source invalide" in problem.message and "entre 1 et 2" in problem.hint


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        (f"sources:\n  - url: {SP}F1\n    title: Un\n  - url: {SP}F2\n", 7, "source 2 : `title`"),
        ("sources:\n  - url: pas-une-adresse\n    title: Un\n", 5, "adresse web invalide"),
        (
            f"sources:\n  - url: {SP}F1\n    title: Un\n    titre: Deux\n",
            5,
            "champ inconnu `titre`",
        ),
        (f"sources: {SP}F1\n", 4, "`sources` doit être une liste"),
        ("", 8, "champ `sources` (ou `source_url`) manquant"),
    ],
)
def test_a_bad_source_list_says_which_item_and_line(front: str, line: int, message: str) -> None:
    fiche, problems = parse(fiche_text(front), "public/x.md", "public", "x")
    assert fiche is None
    assert [(p.line, message in p.message) for p in problems] == [(line, True)], problems
    assert "sources" in problems[0].hint


def test_source_url_and_sources_together_warn_and_the_list_wins() -> None:
    fiche, problems = parse(
        fiche_text(f"source_url: {SP}F9999\n" + TWO), "public/x.md", "public", "x"
    )
    assert fiche is not None and fiche.meta.source_url == f"{SP}F2265"
    assert [(p.severity, p.line) for p in problems] == [("warning", 4)]


def test_the_checked_date_is_read_and_its_absence_is_a_warning() -> None:
    fiche, _ = parse(fiche_text(TWO), "public/x.md", "public", "x")
    assert fiche is not None and fiche.meta.checked == dt.date(2026, 10, 15)
    text = fiche_text(TWO).replace("checked: 2026-10-15\n", "")
    fiche, problems = parse(text, "public/x.md", "public", "x")
    assert fiche is not None and fiche.meta.checked is None
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "date de vérification des faits manquante")
    ]
    bad = fiche_text(TWO).replace("checked: 2026-10-15", "checked: 15/10/2026")
    fiche, problems = parse(bad, "public/x.md", "public", "x")
    assert fiche is None and problems[0].message == "date invalide dans `checked`"
    assert problems[0].line == 10


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_yearly_amounts_are_flagged_once_past_review_by(tmp_path: Path) -> None:
    review = fiche_text(TWO).replace(
        "checked: 2026-10-15\n", "checked: 2026-10-15\nreview_by: 2027-04-01\n"
    )
    amounts = "Intro.\n\n## Montant\nEnviron 150 € par mois.\n"
    write(tmp_path, "public/montants.md", review.replace("Intro.\n\n## Section\nTexte.\n", amounts))
    write(tmp_path, "public/sans-montant.md", review)
    fixed = review.replace("review_by:", "yearly_amounts: false\nreview_by:")
    write(
        tmp_path, "public/frais-fixes.md", fixed.replace("Intro.\n\n## Section\nTexte.\n", amounts)
    )
    declared = review.replace("review_by:", "yearly_amounts: true\nreview_by:")
    write(tmp_path, "public/plafonds.md", declared)
    no_date = fiche_text(TWO, amounts)
    write(tmp_path, "public/sans-revue.md", no_date)

    def flagged(today: dt.date) -> dict[str, int]:
        return {
            p.path: p.line
            for p in scan(tmp_path, today=today).problems
            if "date de revue" in p.message and p.severity == "warning"
        }

    # Before the date, only the fiche with amounts and no review date.
    assert flagged(dt.date(2027, 4, 1)) == {"public/sans-revue.md": 13}
    # After it: amounts detected (€) or declared; not a fiche without amounts, nor one whose
    # amounts are declared fixed. The line is the `review_by` line.
    assert flagged(dt.date(2027, 4, 2)) == {
        "public/montants.md": 11,
        "public/plafonds.md": 12,
        "public/sans-revue.md": 13,
    }


def test_a_draft_is_validated_but_never_among_the_served_fiches(tmp_path: Path) -> None:
    draft = fiche_text(TWO).replace("tags:", "status: draft\ntags:")
    write(tmp_path, "public/brouillon.md", draft)
    write(tmp_path, "public/publiee.md", fiche_text(TWO, "Voir [le brouillon](brouillon.md).\n"))
    write(tmp_path, "public/mauvais.md", draft.replace("status: draft", "status: brouillon"))
    result = scan(tmp_path)
    assert set(result.fiches) == {"public/publiee"}
    assert set(result.drafts) == {"public/brouillon"}
    by_path = {p.path: p for p in result.problems}
    assert "champ `status` invalide" in by_path["public/mauvais.md"].message
    assert by_path["public/mauvais.md"].line == 11
    link = by_path["public/publiee.md"]
    assert link.severity == "warning" and "brouillon" in link.message


def test_parse_fiche_text_reads_a_draft_for_the_preview() -> None:
    draft = fiche_text(TWO, "Écrivez à jean.dupont@gmail.com.\n").replace(
        "tags:", "status: draft\ntags:"
    )
    fiche, problems = parse_fiche_text(draft, "public/nouvelle-fiche.md")
    assert fiche is not None and fiche.meta.draft
    assert (fiche.id, fiche.audience, fiche.key) == (
        "nouvelle-fiche",
        "public",
        "public/nouvelle-fiche",
    )
    assert fiche.chunks and fiche.chunks[0].fiche_id == "nouvelle-fiche"
    # The same problems `kb check` would report for this file.
    assert [p.message for p in problems] == ["ressemble à une donnée personnelle (adresse e-mail)"]
    broken, problems = parse_fiche_text("pas d'en-tête", "agents/x.md")
    assert broken is None and problems[0].message == "pas d'en-tête (front matter)"
