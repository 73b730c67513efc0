"""Step 4, retrieve: the knowledge this turn may read (audiences decided on the server)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState


async def retrieve(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    # The knowledge is searched for the subject, not for the details around it (invariant 8).
    query = ctx.privacy.subject(state.get("standalone") or state["question"])
    return {"hits": await ctx.kb.search(query, ctx.audiences, k=ctx.flow.retrieval.k)}
