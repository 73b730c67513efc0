"""Step 4, retrieve: the knowledge this turn may read (audiences decided on the server)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState


async def retrieve(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    # The knowledge is searched for the subject, not for the details around it (invariant 8).
    query = ctx.privacy.subject(state.get("standalone") or state["question"])
    k = ctx.flow.retrieval.k
    hits = await ctx.kb.search(query, ctx.audiences, k=k)
    if ctx.flow.documents and ctx.owner and ctx.documents is not None:
        # The agent's own documents: the owner was set by the server, the query reads only
        # that owner's collection (chatbot.documents.store).
        mine = await ctx.documents.search(ctx.owner, query, k=k)
        hits = sorted(hits + mine, key=lambda h: -h.score)[:k]
    return {"hits": hits}
