"""The figures of a load run, and the targets they are held to (issue 13)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Sample(BaseModel):
    """One turn as the client saw it."""

    position: int  # the question's place in the conversation script
    first_token_s: float | None
    total_s: float
    ok: bool


class Report(BaseModel):
    through: str  # "library" or "server"
    database: str  # "SQLite" or "PostgreSQL"
    conversations: int
    think_s: float
    workers: str = ""
    wall_s: float = 0.0
    samples: list[Sample] = Field(default_factory=list)
    errors: int = 0
    disconnects: int = 0
    error_kinds: dict[str, int] = Field(default_factory=dict)  # what the errors were
    cpu_s: float | None = None  # CPU time of the measured process tree over the run
    peak_rss: int | None = None
    model_s: dict[int, float] = Field(default_factory=dict)  # model's own time per position
    notes: list[str] = Field(default_factory=list)  # e.g. how turns spread over instances

    @property
    def turns(self) -> int:
        return sum(1 for s in self.samples if s.ok)

    def added_ms(self) -> list[float]:
        """Each answered turn's time minus the model's own time for that question."""
        return [
            (s.total_s - self.model_s.get(s.position, 0.0)) * 1000 for s in self.samples if s.ok
        ]

    def cpu_ms_per_turn(self) -> float | None:
        if self.cpu_s is None or not self.turns:
            return None
        return self.cpu_s * 1000 / self.turns

    def lines(self) -> list[str]:
        ok = [s for s in self.samples if s.ok]
        first = [s.first_token_s * 1000 for s in ok if s.first_token_s is not None]
        total = [s.total_s * 1000 for s in ok]
        added = self.added_ms()
        cpu = self.cpu_ms_per_turn()
        model = ", ".join(f"{v * 1000:.0f}" for _, v in sorted(self.model_s.items()))
        head = (
            f"through {self.through} ({self.database}"
            + (f", {self.workers}" if self.workers else "")
            + f"): {self.conversations} conversations, think time {self.think_s:g} s, "
            f"{self.wall_s:.0f} s"
        )
        return [
            head,
            f"  turns {self.turns}  turns/s {self.turns / self.wall_s if self.wall_s else 0:.1f}"
            f"  errors {self.errors}  disconnects {self.disconnects}"
            + (f" {self.error_kinds}" if self.error_kinds else ""),
            f"  time to first token p50/p95  {_p(first, 50):.0f} / {_p(first, 95):.0f} ms",
            f"  turn time           p50/p95  {_p(total, 50):.0f} / {_p(total, 95):.0f} ms",
            f"  added latency       p50/p95  {_p(added, 50):.0f} / {_p(added, 95):.0f} ms"
            f"  (turn time minus the model's own {model} ms)",
            "  CPU per turn        "
            + (f"{cpu:.1f} ms" if cpu is not None else "not measured (no process id)")
            + "  peak RSS "
            + (f"{self.peak_rss / 2**20:.0f} MB" if self.peak_rss else "not measured"),
            *(f"  {note}" for note in self.notes),
        ]

    def targets(self) -> list[str]:
        """The issue's targets that this run speaks to, met or not."""
        out = []
        added = self.added_ms()
        cpu = self.cpu_ms_per_turn()
        if self.through != "library" and self.think_s > 0 and self.conversations >= 200:
            good = self.errors == 0 and self.disconnects == 0 and _p(added, 95) <= 100
            out.append(f"  target 200 conversations, 0 errors, added p95 <= 100 ms: {_met(good)}")
        if self.through != "library" and self.think_s == 0:
            rate = self.turns / self.wall_s if self.wall_s else 0
            out.append(f"  target saturation >= 25 turns/s: {_met(rate >= 25)}")
        limit = 25 if self.through == "library" else 40
        if cpu is not None:
            out.append(f"  target CPU per turn <= {limit} ms: {_met(cpu <= limit)}")
        return out


def _met(good: bool) -> str:
    return "met" if good else "NOT met"


def _p(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
