"""The editors' space: what citizens asked and did not get, fiches to review, and a fiche tried
before it is published.

- ``groups``: questions left unanswered, refused as out of scope or badly rated, grouped by
  subject (clusters of paraphrases), with counts, a trend and the closest fiches.
- ``evaluate``: purity and completeness of the grouping on ``tests/eval/groups.jsonl``.
- ``review``: fiches past or near their review date, never cited, most cited; ``kb check``.
- ``preview``: a draft fiche searched on a throw-away index, never served.
- ``report``: the one function the page and ``chatbot report gaps|stale`` both print.
- ``page``, ``web``: the ``/editeurs`` page (HTML rendered on the server) and its routes.
- ``commands``: ``chatbot eval groups``, ``chatbot bench editors``.
"""
