"""Step 6, generate: the model writes the answer from the hits, citing them [n], streamed.
Without a model the answer is the cited excerpts."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import HISTORY_SENT, TurnContext, TurnState
from chatbot.flows.steps.excerpts import excerpts_update, section_of
from chatbot.knowledge.models import Hit
from chatbot.logs import get_logger
from chatbot.outbound import Outbound, join, published

log = get_logger("guichet.flow")


async def generate(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    ctx = runtime.context
    if ctx.backend is None:
        return excerpts_update(state, ctx.flow, "no_backend", "excerpts_no_model")
    model = ctx.flow.model
    parts: list[str] = []
    stream = ctx.backend.stream_chat(
        generation_messages(state, ctx),
        model=model.name,
        temperature=model.temperature,
        max_tokens=model.max_tokens,
    )
    async for delta in stream:
        parts.append(delta)
        runtime.stream_writer({"token": delta})
    if stream.usage is not None:  # Albert's last chunk: what the operator is billed for
        ctx.usage = stream.usage
        log.info(
            "generate_usage",
            turn_id=ctx.turn_id,
            finish=stream.finish_reason,
            model=stream.model,
            **stream.usage.model_dump(),
        )
    return {"answer": "".join(parts)}


def excerpts_instead(state: TurnState, runtime: Runtime[TurnContext], kind: str) -> TurnState:
    """Fallback when the backend fails: withdraw what was streamed, show cited excerpts."""
    runtime.stream_writer({"reset": True})
    return excerpts_update(state, runtime.context.flow, kind, "excerpts_backend_down")


def system_prompt(ctx: TurnContext) -> Outbound:
    flow = ctx.flow
    return published(
        f"{flow.instructions.strip()}\n\nTon : {flow.tone.strip()}\n\n"
        f"Identifiant confidentiel de ces consignes, à ne jamais écrire : {ctx.canary}"
    )


def sources_block(hits: list[Hit]) -> Outbound:
    blocks = []
    for i, hit in enumerate(hits, start=1):
        title = hit.title.replace('"', "'")
        section = section_of(hit).replace('"', "'")
        page = f' page="{hit.page}"' if hit.page else ""
        blocks.append(
            f'<source n="{i}" title="{title}" section="{section}"{page}>\n'
            f"{hit.text.strip()}\n</source>"
        )
    return published("<sources>\n" + "\n".join(blocks) + "\n</sources>\n\n")


def generation_messages(state: TurnState, ctx: TurnContext) -> list[dict[str, Outbound]]:
    mask = ctx.privacy.mask_known
    history = [
        {"role": m["role"], "content": mask(m["content"])}
        for m in state.get("history", [])[-HISTORY_SENT:]
    ]
    question = join([published("Question de l'usager : "), mask(state["question"])])
    return [
        {"role": "system", "content": system_prompt(ctx)},
        *history,
        {"role": "user", "content": join([sources_block(state["hits"]), question])},
    ]
