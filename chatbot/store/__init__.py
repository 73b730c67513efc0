"""Everything the app keeps: agents' conversations, citizens' anonymous signals, files.

| module | job |
|---|---|
| ``schema`` | tables, engine (``open_engine``), database URL, timestamps |
| ``layer`` | ``GuichetDataLayer``: the only module that knows Chainlit's data-layer internals |
| ``scrub`` | text as it may be stored, through the session's privacy gate |
| ``signals`` | citizens' anonymous signals (a rating, an unanswered question) |
| ``files`` | element bytes on disk, and the route that serves them to their owner |
| ``retention`` | purge of old conversations, erasure of one user |
| ``reports`` | editors' reports: ratings, unanswered questions |
| ``commands`` | the ``report`` and ``data`` commands |
"""
