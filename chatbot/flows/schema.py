"""Flow files: one YAML file per assistant in ``flows/``, validated by pydantic.

A bad file is reported as ``flows/x.yaml: field: what is wrong`` and skipped; the others load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatbot.roles import DEFAULT_ROLE, Role, audiences_of

Audience = Literal["public", "agents"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Starter(Strict):
    label: str = Field(min_length=1, max_length=60)
    message: str = Field(min_length=1, max_length=500)


class Contact(Strict):
    name: str = Field(min_length=1)
    detail: str = Field(min_length=1, description="phone, hours, address: what a user needs")
    url: str | None = None


class GuardSettings(Strict):
    max_chars: int = Field(4000, ge=100, le=100_000)
    classifier: bool = False  # second layer: ask the model, when a backend is configured


class RetrievalSettings(Strict):
    k: int = Field(4, ge=1, le=20)
    min_score: float = Field(0.3, ge=0.0, le=1.0)


class ModelSettings(Strict):
    name: str | None = None  # None: the operator's GUICHET_CHAT_MODEL
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_tokens: int = Field(700, ge=50, le=8000)


class Flow(Strict):
    name: str
    label: str = Field(min_length=1, max_length=60)
    description: str = ""
    roles: list[Role] = Field(min_length=1)
    audiences: list[Audience] = Field(min_length=1)
    instructions: str = Field(min_length=10)
    tone: str = ""
    starters: list[Starter] = Field(default_factory=list, max_length=6)
    escalation: list[Contact] = Field(min_length=1)
    guard: GuardSettings = Field(default_factory=GuardSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    replies: dict[str, str] = Field(default_factory=dict)
    show_internals: bool = False  # agents may expand the retrieval step; citizens never
    # Search the logged-in agent's own uploaded documents alongside the fiches, and accept
    # uploads in this flow's chat. Only staff roles ever get documents (decided on the
    # server in chatbot.turn), whatever this says.
    documents: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", value):
            raise ValueError("use lower-case letters, digits, - or _ (e.g. citizen)")
        return value

    def audiences_for(self, role: str | None) -> frozenset[str]:
        """What a caller of this role may read through this flow, never more than the role."""
        return frozenset(self.audiences) & audiences_of(role)

    def allows(self, role: str | None) -> bool:
        return (role or DEFAULT_ROLE) in self.roles


class FlowProblem(BaseModel):
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def parse_flow(path: Path, text: str | None = None) -> Flow:
    """Parse one flow file; raise ValueError with ``field: what is wrong`` lines."""
    try:
        raw = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "yaml"
        raise ValueError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError:
        raise ValueError("file: not UTF-8 text") from None
    if not isinstance(raw, dict):
        raise ValueError("file: expected a mapping of fields (name:, label:, ...)")
    raw.setdefault("name", path.stem)
    try:
        return Flow.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ValueError("; ".join(lines)) from None


def load_flows(folder: Path) -> tuple[dict[str, Flow], list[FlowProblem]]:
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        shown = f"{folder.name}/{path.name}"
        try:
            flow = parse_flow(path)
        except ValueError as exc:
            problems.append(FlowProblem(path=shown, message=str(exc)))
            continue
        if flow.name in flows:
            problems.append(FlowProblem(path=shown, message=f"name: {flow.name!r} is already used"))
            continue
        flows[flow.name] = flow
    return flows, problems
