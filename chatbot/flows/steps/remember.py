"""Last step of every turn: append the exchange to the persisted (pseudonymised) history."""

from __future__ import annotations

from langgraph.runtime import Runtime

from chatbot.flows.state import TurnContext, TurnState


def remember(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
    return {
        "history": [
            {"role": "user", "content": state["question"]},
            {"role": "assistant", "content": state.get("answer", "")},
        ]
    }
