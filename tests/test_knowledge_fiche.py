"""Fiche parsing, chunking and `kb check` validation (no store needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chatbot.knowledge import check
from chatbot.knowledge.check import scan
from chatbot.knowledge.fiche import chunk, parse
from chatbot.knowledge.models import Problem

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
ROOT = Path(__file__).resolve().parent.parent

FRONT = """---
title: Carte grise
summary: Changer l'adresse de sa carte grise.
source_url: https://www.service-public.fr/particuliers/vosdroits/F10869
updated: 2026-10-15
checked: 2026-10-15
tags: [voiture]
licence: Licence Ouverte Etalab 2.0
---
"""


def test_chunks_follow_h2_sections_with_heading_path_and_anchor() -> None:
    text = FRONT + (
        "Intro en une phrase.\n\n"
        "## Qui est concerné ?\nLes titulaires.\n\n### Cas particulier\nLes sociétés.\n\n"
        "```\n## pas un titre\n```\n\n"
        "## Démarche\nEn ligne sur l'ANTS.\n\n## Démarche\nDeuxième section homonyme.\n"
    )
    fiche, problems = parse(text, "public/carte-grise.md", "public", "carte-grise")
    assert fiche is not None and problems == []
    chunks = chunk(fiche)
    assert [c.heading for c in chunks] == [
        "Carte grise",
        "Carte grise > Qui est concerné ?",
        "Carte grise > Démarche",
        "Carte grise > Démarche",
    ]
    assert [c.anchor for c in chunks] == ["", "qui-est-concerne", "demarche", "demarche-1"]
    assert chunks[1].id == "public/carte-grise#qui-est-concerne"
    # A ### sub-heading and a fenced "## " line stay inside their section.
    assert "### Cas particulier" in chunks[1].text and "## pas un titre" in chunks[1].text
    assert all(c.url.endswith("F10869") and c.fiche_id == "carte-grise" for c in chunks)
    assert len({c.hash for c in chunks}) == 4


def test_long_section_is_split_but_keeps_its_heading() -> None:
    paragraphs = "\n\n".join(f"Paragraphe {i} " + "mot " * 100 for i in range(12))
    fiche, _ = parse(FRONT + "## Longue\n" + paragraphs, "public/x.md", "public", "x")
    assert fiche is not None
    chunks = chunk(fiche)
    assert len(chunks) > 1
    assert {c.heading for c in chunks} == {"Carte grise > Longue"}
    assert all(len(c.text) <= 2100 for c in chunks)


EXPECTED = [
    # `summary: [pas fermé` is line 3, not the next key
    ("public/yaml-casse.md", 3, "en-tête YAML mal formé"),
    ("public/champ-manquant.md", 7, "champ `summary` manquant"),
    ("public/champ-vide.md", 2, "champ `title` vide"),
    ("brouillons/fiche-brouillon.md", 1, "dossier d'audience inconnu `brouillons`"),
    ("public/Mauvais_Id.md", 1, "identifiant de fiche invalide"),
    ("public/doublon.md", 1, "identifiant de fiche en double `doublon`"),
    ("agents/doublon.md", 1, "identifiant de fiche en double `doublon`"),
    ("public/date-fausse.md", 5, "date invalide dans `updated`"),
    ("public/corps-vide.md", 9, "fiche sans texte"),
    ("public/lien-casse.md", 12, "lien interne cassé vers `fiche-absente.md`"),
    ("public/latin1.md", 3, "pas en UTF-8"),  # "versée" in the summary, line 3
    ("public/binaire.md", 1, "fichier binaire"),
    ("public/enorme.md", 1, "fichier trop gros"),
]


def make_broken_folder(target: Path) -> Path:
    """Good fixture fiches plus one file of each broken kind."""
    shutil.copytree(FIXTURES / "good", target)
    shutil.copytree(FIXTURES / "broken", target, dirs_exist_ok=True)
    good = (FIXTURES / "good" / "public" / "apl.md").read_text(encoding="utf-8")
    latin = good.encode("latin-1", errors="replace")
    (target / "public" / "latin1.md").write_bytes(latin)
    (target / "public" / "binaire.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (target / "public" / "enorme.md").write_text(good + "x" * 210_000, encoding="utf-8")
    return target


def test_each_broken_file_is_reported_with_file_line_and_fix(tmp_path: Path) -> None:
    folder = make_broken_folder(tmp_path / "knowledge")
    problems = check(folder)
    errors = [p for p in problems if p.severity == "error"]
    for path, line, message in EXPECTED:
        found = [p for p in errors if p.path == path and message in p.message]
        assert found, f"no error {message!r} for {path}; got {[str(p) for p in problems]}"
        assert found[0].line == line, str(found[0])
        assert found[0].hint
        assert str(found[0]).startswith(f"{path}:{line}: {found[0].message} — ")
    # Every error is one of the planted ones: the good fixture files are clean.
    assert {p.path for p in errors} == {path for path, _, _ in EXPECTED}


def test_bad_files_are_skipped_and_good_ones_kept(tmp_path: Path) -> None:
    result = scan(make_broken_folder(tmp_path / "knowledge"))
    kept = set(result.fiches)
    assert {"public/carte-identite", "public/apl", "agents/vpn-teletravail"} <= kept
    # A broken link or personal data does not stop a fiche from being served.
    assert {"public/lien-casse", "public/donnees-perso"} <= kept
    assert not kept & {"public/yaml-casse", "public/doublon", "agents/doublon", "public/latin1"}
    assert "public/yaml-casse.md" in result.blocked


def test_personal_data_is_a_warning_with_its_line(tmp_path: Path) -> None:
    folder = make_broken_folder(tmp_path / "knowledge")
    warnings = [p for p in check(folder) if p.severity == "warning"]
    kinds = {p.message for p in warnings if p.path == "public/donnees-perso.md" and p.line == 12}
    assert kinds == {
        "ressemble à une donnée personnelle (adresse e-mail)",
        "ressemble à une donnée personnelle (numéro de téléphone)",
    }
    # Official contacts in the good fixtures raise nothing.
    assert all(p.path == "public/donnees-perso.md" for p in warnings)


@pytest.mark.parametrize(
    "line",
    [
        "Mon numéro de sécurité sociale est 1 85 05 78 006 084 36.",
        "Virement sur FR76 3000 6000 0112 3456 7890 189.",
        "Appelez le +33 6 12 34 56 78.",
    ],
)
def test_personal_data_patterns(tmp_path: Path, line: str) -> None:
    folder = tmp_path / "k"
    (folder / "public").mkdir(parents=True)
    (folder / "public" / "x.md").write_text(FRONT + "Intro.\n\n" + line + "\n", encoding="utf-8")
    assert [p.line for p in check(folder) if p.severity == "warning"] == [12]


def test_seed_content_has_no_errors() -> None:
    problems = check(ROOT / "knowledge")
    assert not [str(p) for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("front", "line", "what"),
    [
        # YAML only notices an unclosed quote or bracket later: the editor must fix its line.
        ('title: "Carte grise\nsummary: x\nsource_url: https://a.fr\n', 2, "guillemet"),
        ("title: Carte grise\ntags: [a, b\nsummary: x\nlicence: y\n", 3, "`[`"),
        ("title: Carte grise\nsummary: x\nlicence: CC: BY\n", 4, "mapping values"),
        ("title: Carte grise\ntags:\n  - a\n - b\nlicence: y\n", 5, ""),
    ],
)
def test_yaml_error_points_at_the_file_line_to_fix(front: str, line: int, what: str) -> None:
    text = "---\n" + front + "---\nCorps.\n"
    fiche, problems = parse(text, "public/x.md", "public", "x")
    assert fiche is None and len(problems) == 1
    assert problems[0].line == line, str(problems[0])
    assert "en-tête YAML mal formé" in problems[0].message and what in problems[0].message
    assert text.split("\n")[line - 1] in text  # a line of the file, counted from `---`


def test_a_copy_under_another_id_is_a_near_duplicate(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "good", folder)
    apl = (folder / "public" / "apl.md").read_text(encoding="utf-8")
    (folder / "public" / "aide-logement.md").write_text(apl, encoding="utf-8")
    lines = apl.split("\n")
    # A fiche's text under another title and source page, one word changed: still a copy.
    rsa = (ROOT / "knowledge" / "public" / "rsa.md").read_text(encoding="utf-8")
    (folder / "public" / "rsa.md").write_text(rsa, encoding="utf-8")
    retitled = [
        "title: Revenu minimum (copie)"
        if line.startswith("title:")
        else "source_url: https://www.caf.fr/autre-page"
        if line.startswith("source_url:")
        else line
        for line in rsa.split("\n")
    ]
    body = "\n".join(retitled)
    body = body[: body.rindex(" ")] + " mot changé" + body[body.rindex(" ") :]
    (folder / "agents" / "rsa-agents.md").write_text(body, encoding="utf-8")

    result = scan(folder)
    assert set(result.fiches) >= {"public/apl", "public/aide-logement", "agents/rsa-agents"}
    duplicates = [p for p in result.problems if "quasi-doublon" in p.message]
    assert all(p.severity == "warning" for p in duplicates)

    def between(a: str, b: str) -> Problem:
        (found,) = [p for p in duplicates if {p.path, p.message.split()[2]} == {a, b}]
        return found

    # One warning per pair, on the second file by path, naming the other; the fix names both.
    copy = between("public/apl.md", "public/aide-logement.md")
    assert copy.path == "public/apl.md"
    assert copy.message.startswith("quasi-doublon de public/aide-logement.md (")
    assert "même source_url" in copy.message and "même titre" in copy.message
    assert "texte identique à 100%" in copy.message
    assert copy.line == next(i for i, line in enumerate(lines, 1) if line.startswith("source_url:"))
    assert "public/apl.md" in copy.hint and "public/aide-logement.md" in copy.hint
    reworded = between("agents/rsa-agents.md", "public/rsa.md")
    assert "texte identique à" in reworded.message
    assert "même titre" not in reworded.message and "source_url" not in reworded.message
    assert len(duplicates) == 2  # every pair once
    # The good fixtures alone, different fiches on related subjects, raise none.
    assert not [p for p in scan(FIXTURES / "good").problems if "quasi-doublon" in p.message]
