"""The ``/editeurs`` page as HTML, rendered on the server: French, DSFR look, no script, no
external font or image (the chart is inline SVG), readable at 375 px wide."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from chatbot.editors.preview import MAX_DRAFT_CHARS, PreviewResult
from chatbot.editors.report import KINDS_FR, GapsReport, Group, StaleReport

if TYPE_CHECKING:
    from chatbot.store.reports import FeedbackReport

PERIODS = (7, 30, 90)

STYLE = """
:root { --blue: #000091; --blue-hover: #1212ff; --red: #e1000f; --text: #161616;
  --text-2: #3a3a3a; --mention: #595959; --border: #dddddd; --alt: #f6f6f6;
  --blue-975: #f5f5fe; --focus: #0a76f6; --error: #ce0500; --success: #18753c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
  color: var(--text); background: #fff; }
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.5; }
a { color: var(--blue); text-underline-offset: 0.2em; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.container { max-width: 78rem; margin: 0 auto; padding: 0 1.5rem; }
.skiplink { position: absolute; left: -9999px; top: 0; background: #fff; padding: 0.5rem 1rem; }
.skiplink:focus { left: 0; z-index: 10; }
header.site { border-bottom: 1px solid var(--border); box-shadow: 0 2px 4px rgba(0,0,18,.08); }
.brand { display: flex; align-items: center; gap: 1.5rem; padding: 1rem 0; flex-wrap: wrap; }
.republique { font-weight: 700; text-transform: uppercase; font-size: 1rem; line-height: 1.1;
  padding-top: 0.25rem; border-top: 4px solid; border-image:
  linear-gradient(90deg, var(--blue) 33%, #fff 33% 66%, var(--red) 66%) 1; }
.service-title { font-size: 1.25rem; font-weight: 700; margin: 0; }
.service-tagline { margin: 0; color: var(--text-2); font-size: 0.875rem; }
nav.main ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap;
  border-top: 1px solid var(--border); }
nav.main a { display: block; padding: 0.75rem 1rem; color: var(--text); text-decoration: none; }
nav.main a:hover { background: var(--alt); }
main { padding: 1.5rem 0 3rem; }
h1 { font-size: 2rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 0.75rem; padding-top: 1rem;
  border-top: 1px solid var(--border); }
h3 { font-size: 1.125rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
.lead { font-size: 1.1rem; color: var(--text-2); }
.card { border: 1px solid var(--border); border-bottom: 3px solid var(--blue);
  padding: 1rem 1.25rem; margin: 0 0 1rem; }
.cards { list-style: none; padding: 0; margin: 0; }
.meta { color: var(--mention); font-size: 0.875rem; margin: 0 0 0.5rem; }
.badge { display: inline-block; background: var(--blue-975); color: var(--blue);
  font-size: 0.8rem; font-weight: 700; padding: 0 0.5rem; margin-right: 0.25rem; }
.badge.warn { background: #fff4f3; color: var(--error); }
.callout { background: var(--blue-975); border-left: 4px solid var(--blue);
  padding: 1rem 1.25rem; margin: 1rem 0; }
.alert { border-left: 4px solid var(--error); background: #fff4f3; padding: 1rem 1.25rem; }
.ok { border-left: 4px solid var(--success); background: #f6fef9; padding: 1rem 1.25rem; }
form.inline { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; }
label { display: block; font-weight: 500; margin-bottom: 0.25rem; }
.hint { display: block; color: var(--mention); font-size: 0.8rem; font-weight: 400; }
select, input[type=text], textarea { font: inherit; background: #eee; border: 0;
  border-radius: 0.25rem 0.25rem 0 0; box-shadow: inset 0 -2px 0 0 #3a3a3a;
  padding: 0.5rem 0.75rem; width: 100%; max-width: 100%; color: var(--text); }
textarea { min-height: 14rem; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 0.875rem; }
.field { margin: 0 0 1rem; }
.btn { display: inline-block; background: var(--blue); color: #f5f5fe; padding: 0.5rem 1rem;
  border: none; border-radius: 0; font: inherit; font-weight: 500; cursor: pointer;
  min-height: 2.5rem; }
.btn:hover { background: var(--blue-hover); }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--border);
  vertical-align: top; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
.chart { width: 100%; max-width: 32rem; height: auto; display: block; margin: 0.5rem 0; }
ul.plain { padding-left: 1.2rem; margin: 0.25rem 0; }
footer.site { border-top: 2px solid var(--blue); padding: 1.5rem 0; font-size: 0.875rem;
  color: var(--text-2); }
@media (max-width: 48rem) { .container { padding: 0 1rem; } h1 { font-size: 1.6rem; }
  h2 { font-size: 1.3rem; } }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count < 2 else plural or singular + 's'}"


def layout(title: str, body: str, *, nav: bool = True) -> str:
    links = (
        '<nav class="main" aria-label="Menu principal"><div class="container"><ul>'
        '<li><a href="#sans-reponse">Sans réponse</a></li>'
        '<li><a href="#avis">Avis</a></li>'
        '<li><a href="#a-revoir">Fiches à revoir</a></li>'
        '<li><a href="#essai">Essayer une fiche</a></li>'
        '<li><a href="/">Retour à l\'assistant</a></li></ul></div></nav>'
        if nav
        else ""
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} – Guichet</title><style>{STYLE}</style></head><body>"
        '<a class="skiplink" href="#contenu">Aller au contenu</a>'
        '<header class="site" role="banner"><div class="container brand">'
        '<p class="republique">République<br>française</p>'
        '<div><p class="service-title">Guichet — espace des rédacteurs</p>'
        '<p class="service-tagline">Ce que les usagers ont demandé, et les fiches à écrire'
        "</p></div></div>"
        f"{links}</header>"
        f'<main id="contenu" tabindex="-1"><div class="container">{body}</div></main>'
        '<footer class="site" role="contentinfo"><div class="container">'
        "<p>Les questions affichées ont été pseudonymisées avant d'être enregistrées : "
        "les données personnelles y sont remplacées par des étiquettes comme &lt;NOM_1&gt;.</p>"
        "</div></footer></body></html>"
    )


def refusal_page(title: str, message: str, login: bool) -> str:
    action = (
        '<p><a class="btn" href="/agent">Se connecter</a></p>'
        if login
        else '<p><a href="/">Retour à l\'assistant</a></p>'
    )
    return layout(title, f"<h1>{_e(title)}</h1><p>{_e(message)}</p>{action}", nav=False)


# --------------------------------------------------------------------------- chart


def trend_svg(trend: Sequence[tuple[str, int]], unit: str, label: str) -> str:
    """Bars per day or week, as inline SVG with a text alternative."""
    width, height, pad = 320, 90, 14
    values = [n for _, n in trend] or [0]
    top = max(values) or 1
    step = (width - 2 * pad) / max(len(values), 1)
    bars = []
    for i, value in enumerate(values):
        h = (height - 2 * pad) * value / top
        x = pad + i * step
        bars.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{height - pad - h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{h:.1f}" fill="#000091"></rect>'
        )
    first, last = (trend[0][0], trend[-1][0]) if trend else ("", "")
    summary = ", ".join(f"{day} : {n}" for day, n in trend if n) or "aucune"
    desc = f"Questions par {unit} pour « {label} », du {first} au {last} : {summary}."
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(desc)}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#595959" stroke-width="1"></line>'
        + "".join(bars)
        + f'<text x="{pad}" y="{height - 2}" font-size="9" fill="#3a3a3a">{_e(first)}</text>'
        f'<text x="{width - pad}" y="{height - 2}" font-size="9" fill="#3a3a3a" '
        f'text-anchor="end">{_e(last)}</text>'
        f'<text x="{pad}" y="10" font-size="9" fill="#3a3a3a">max {top}</text></svg>'
    )


# --------------------------------------------------------------------------- sections


def period_form(days: float) -> str:
    options = "".join(
        f'<option value="{d}"{" selected" if d == days else ""}>{d} derniers jours</option>'
        for d in PERIODS
    )
    return (
        '<form class="inline" method="get" action="/editeurs">'
        '<div><label for="jours">Période</label>'
        f'<select id="jours" name="jours">{options}</select></div>'
        '<button class="btn" type="submit">Afficher</button></form>'
    )


def _group_card(number: int, group: Group, unit: str) -> str:
    kinds = "".join(
        f'<span class="badge">{_e(KINDS_FR.get(k, k))} : {v}</span>'
        for k, v in sorted(group.kinds.items())
    )
    examples = "".join(f"<li>{_e(q)}</li>" for q in group.examples)
    closest = (
        "".join(
            f"<li>{_e(f.title)} (<code>{_e(f.id)}</code>) : score {f.score:.2f}</li>"
            for f in group.closest
        )
        or "<li>aucune fiche proche</li>"
    )
    return (
        f'<li class="card" id="groupe-{number}"><h3>{number}. « {_e(group.label)} »</h3>'
        f'<p class="meta">{_n(group.count, "question")} {kinds}</p>'
        f"{trend_svg(group.trend, unit, group.label)}"
        f'<p><strong>Exemples</strong></p><ul class="plain">{examples}</ul>'
        f'<p><strong>Fiches les plus proches</strong></p><ul class="plain">{closest}</ul></li>'
    )


def gaps_section(report: GapsReport) -> str:
    kinds = ", ".join(f"{KINDS_FR.get(k, k)} : {v}" for k, v in sorted(report.kinds.items()))
    mode = "par le modèle" if report.mode == "backend" else "hors ligne"
    cards = "".join(_group_card(i, g, report.unit) for i, g in enumerate(report.groups, 1))
    more = (
        f"<p>… et {_n(report.more_groups, 'autre sujet', 'autres sujets')} moins demandés.</p>"
        if report.more_groups
        else ""
    )
    empty = (
        '<p class="callout">Aucune question sans réponse sur cette période.</p>'
        if not report.groups
        else ""
    )
    return (
        '<section aria-labelledby="sans-reponse"><h2 id="sans-reponse">Ce qui est resté sans '
        "réponse</h2>"
        f"{period_form(report.days)}"
        f'<p class="lead">{_n(report.total, "question")} sur les {report.days:g} derniers jours'
        f"{' (' + kinds + ')' if kinds else ''}, regroupées par sujet ({mode}), "
        "du plus demandé au moins demandé.</p>"
        f'{empty}<ol class="cards">{cards}</ol>{more}</section>'
    )


def feedback_section(report: FeedbackReport) -> str:
    """The ratings, as ``chatbot report feedback`` prints them (same library function)."""
    sources = {"agents": "agents", "citizens (anonymous)": "usagers (anonymes)"}
    rows = "".join(
        f"<tr><td>{_e(f.flow)}</td><td>{_e(sources.get(f.source, f.source))}</td>"
        f"<td>{f.ratings}</td><td>{f.up}</td><td>{f.down}</td>"
        f"<td>{f.negative_share * 100:.0f}\u00a0%</td></tr>"
        for f in report.flows
    )
    table = (
        '<div class="table-wrap"><table><caption class="meta">Avis laissés sous les réponses'
        '</caption><thead><tr><th scope="col">Assistant</th><th scope="col">Qui</th>'
        '<th scope="col">Avis</th><th scope="col">Positifs</th><th scope="col">Négatifs</th>'
        f'<th scope="col">Part de négatifs</th></tr></thead><tbody>{rows}</tbody></table></div>'
        if rows
        else "<p>Aucun avis sur la période.</p>"
    )
    return (
        '<section aria-labelledby="avis"><h2 id="avis">Avis des utilisateurs</h2>'
        f'{table}<p class="meta">Les questions mal notées figurent parmi les groupes '
        "ci-dessus.</p></section>"
    )


def stale_section(report: StaleReport) -> str:
    overdue = ' <span class="badge warn">dépassée</span>'
    rows = "".join(
        f"<tr><td>{_e(f.title)}<br><code>{_e(f.path)}</code></td><td>{_e(f.review_by)}"
        f"{overdue if f.overdue else ''}</td>"
        f"<td>{_e(f.editor or 'non indiqué')}</td></tr>"
        for f in report.to_review
    )
    review = (
        '<div class="table-wrap"><table><caption class="meta">Fiches dont la date de relecture '
        'est dépassée ou tombe dans les 30 jours</caption><thead><tr><th scope="col">Fiche</th>'
        '<th scope="col">À revoir avant le</th><th scope="col">Rédacteur</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        if rows
        else "<p>Aucune fiche à revoir dans les 30 jours.</p>"
    )
    cited = "".join(
        f"<li>{_e(f.title)} (<code>{_e(f.id)}</code>) : {_n(f.cited, 'citation')}</li>"
        for f in report.most_cited
    )
    never = "".join(f"<li><code>{_e(f.path)}</code></li>" for f in report.never_cited[:60])
    problems = "".join(f"<li>{_e(p)}</li>" for p in report.problems)
    return (
        '<section aria-labelledby="a-revoir"><h2 id="a-revoir">Fiches à revoir</h2>'
        f"{review}"
        f"<h3>Les plus citées ({report.days:g} derniers jours)</h3>"
        f'<ul class="plain">{cited or "<li>aucune citation sur la période</li>"}</ul>'
        f"<h3>Jamais citées sur la période ({len(report.never_cited)})</h3>"
        f'<ul class="plain">{never or "<li>aucune</li>"}</ul>'
        f"<h3>Problèmes relevés par la vérification des fiches ({len(report.problems)})</h3>"
        f'<ul class="plain">{problems or "<li>aucun</li>"}</ul></section>'
    )


def preview_section(
    report: GapsReport,
    csrf: str,
    *,
    result: PreviewResult | None = None,
    error: str | None = None,
    fields: dict[str, str] | None = None,
) -> str:
    fields = fields or {}
    chosen = fields.get("groupe", "1")
    options = (
        "".join(
            f'<option value="{i}"{" selected" if str(i) == chosen else ""}>'
            f"{i}. {_e(g.label[:80])} ({g.count})</option>"
            for i, g in enumerate(report.groups, 1)
        )
        or '<option value="0">aucun groupe sur la période</option>'
    )
    audience = fields.get("public", "public")
    form = (
        f'<form method="post" action="/editeurs/essai#resultat" novalidate>'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
        f'<input type="hidden" name="jours" value="{report.days:g}">'
        '<div class="field"><label for="groupe">Groupe de questions</label>'
        f'<select id="groupe" name="groupe">{options}</select></div>'
        '<div class="field"><label for="fiche">Texte de la fiche'
        '<span class="hint">Markdown avec son en-tête (title, summary, source_url, updated, '
        f"tags, licence). {MAX_DRAFT_CHARS} caractères au plus.</span></label>"
        f'<textarea id="fiche" name="fiche" maxlength="{MAX_DRAFT_CHARS}">'
        f"{_e(fields.get('fiche', ''))}</textarea></div>"
        '<div class="field"><label for="identifiant">Identifiant de la fiche'
        '<span class="hint">Le nom du fichier sans .md ; celui d\'une fiche existante pour '
        "essayer une modification.</span></label>"
        f'<input type="text" id="identifiant" name="identifiant" '
        f'value="{_e(fields.get("identifiant", ""))}" autocomplete="off"></div>'
        '<div class="field"><label for="public">Public de la fiche</label>'
        '<select id="public" name="public">'
        f'<option value="public"{" selected" if audience == "public" else ""}>usagers '
        "(public)</option>"
        f'<option value="agents"{" selected" if audience == "agents" else ""}>agents</option>'
        "</select></div>"
        '<div class="field"><label for="brouillon">Ou un brouillon du dossier des fiches'
        '<span class="hint">Par exemple public/permis-bateau.md ; laissez vide si vous avez '
        "collé le texte.</span></label>"
        f'<input type="text" id="brouillon" name="brouillon" '
        f'value="{_e(fields.get("brouillon", ""))}" autocomplete="off"></div>'
        '<button class="btn" type="submit">Essayer la fiche</button></form>'
    )
    outcome = ""
    if error:
        outcome = f'<div id="resultat" class="alert" role="alert"><p>{_e(error)}</p></div>'
    elif result is not None:
        outcome = _preview_result(result)
    return (
        '<section aria-labelledby="essai"><h2 id="essai">Essayer une fiche avant de la '
        "publier</h2><p>La fiche est essayée sur un index jetable, jamais sur celui qui répond "
        "aux usagers : elle n'est pas publiée.</p>"
        f"{form}{outcome}</section>"
    )


def _outcomes(title: str, items: Sequence[object], empty: str, show_before: bool) -> str:
    lines = []
    for o in items:
        before = getattr(o, "before", None)
        extra = f" (avant : <code>{_e(before)}</code>)" if show_before and before else ""
        lines.append(f"<li>{_e(getattr(o, 'question', ''))}{extra}</li>")
    return f'<h3>{title} ({len(items)})</h3><ul class="plain">{"".join(lines) or empty}</ul>'


def _preview_result(result: PreviewResult) -> str:
    warnings = "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
    return (
        f'<div id="resultat" class="ok" role="status"><p><strong>Résultat pour « '
        f"{_e(result.title)} » (<code>{_e(result.audience)}/{_e(result.fiche_id)}</code>)"
        "</strong></p>"
        + _outcomes(
            "Questions du groupe auxquelles elle répondrait",
            result.now_answered,
            "<li>aucune</li>",
            False,
        )
        + _outcomes(
            "Questions du groupe toujours sans réponse par elle",
            result.still_unanswered,
            "<li>aucune</li>",
            True,
        )
        + _outcomes(
            f"Questions déjà traitées qu'elle reprendrait (sur {result.checked} vérifiées)",
            result.taken_over,
            "<li>aucune</li>",
            True,
        )
        + _outcomes(
            "Questions auxquelles elle ne répondrait plus", result.lost, "<li>aucune</li>", False
        )
        + (f'<p>Remarques :</p><ul class="plain">{warnings}</ul>' if warnings else "")
        + "</div>"
    )


def editors_page(
    gaps: GapsReport,
    stale: StaleReport,
    csrf: str,
    *,
    user: str,
    feedback: FeedbackReport | None = None,
    result: PreviewResult | None = None,
    error: str | None = None,
    fields: dict[str, str] | None = None,
) -> str:
    body = (
        "<h1>Espace des rédacteurs</h1>"
        f'<p class="lead">Bonjour {_e(user)}. Voici ce que les usagers ont demandé sans obtenir '
        "de réponse, les fiches à revoir, et un essai de fiche avant publication.</p>"
        + gaps_section(gaps)
        + (feedback_section(feedback) if feedback is not None else "")
        + stale_section(stale)
        + preview_section(gaps, csrf, result=result, error=error, fields=fields)
    )
    return layout("Espace des rédacteurs", body)
