"""axe-core inside the real browser, for the browser tests (RGAA / WCAG 2.1 AA).

axe-core's JavaScript ships inside the ``axe_playwright_python`` wheel (``axe.min.js``), so
nothing is downloaded: the script is injected into the page under test and run there,
including in open shadow roots (the Copilot widget lives in one).

    from tests.a11y import run_axe, describe
    violations = run_axe(page)
    assert not violations, describe(violations)
"""

from __future__ import annotations

import json
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT

# WCAG 2.0/2.1 A and AA (what RGAA 4 maps to) plus axe's best practices (landmarks, one h1,
# ...); only serious and critical findings fail a test.
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
BLOCKING = ("serious", "critical")


def _summarise(raw: list[dict[str, Any]], impacts: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "helpUrl": v["helpUrl"],
            "nodes": [
                {
                    "target": n.get("target"),
                    "html": n.get("html", "")[:300],
                    "summary": n.get("failureSummary", ""),
                }
                for n in v["nodes"]
            ],
        }
        for v in raw
        if v.get("impact") in impacts
    ]


def _script(context: Any) -> str:
    ctx = json.dumps(context) if context is not None else "document"
    return f"axe.run({ctx}, {json.dumps(AXE_OPTIONS)})"


def run_axe(
    page: Any, context: Any = None, impacts: tuple[str, ...] = BLOCKING
) -> list[dict[str, Any]]:
    """Run axe-core on a sync Playwright ``page``; return its serious/critical violations.

    ``context`` is an axe context (selector string, or ``{"exclude": [...]}``); the default
    is the whole document.
    """
    page.evaluate(AXE_SCRIPT)
    result = page.evaluate(_script(context))
    return _summarise(result["violations"], impacts)


async def run_axe_async(
    page: Any, context: Any = None, impacts: tuple[str, ...] = BLOCKING
) -> list[dict[str, Any]]:
    """:func:`run_axe` for an async Playwright page."""
    await page.evaluate(AXE_SCRIPT)
    result = await page.evaluate(_script(context))
    return _summarise(result["violations"], impacts)


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable report for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)
