"""Types every generation backend shares, and the stop-string logic they all apply the same way."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

DEFAULT_STOP = ("endmodule",)


@dataclass
class SamplingParams:
    """How to sample. temperature 0 means greedy (then n > 1 repeats the same answer)."""

    n: int = 1
    temperature: float = 0.0
    top_p: float = 0.95
    max_new_tokens: int = 1024
    stop: tuple[str, ...] = DEFAULT_STOP
    seed: int = 0
    ignore_eos: bool = False  # benchmarks of raw speed: every row runs max_new_tokens
    too_long: str = "error"  # a prompt beyond the context: "error" (UserError) or "empty" (n empty answers)

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass
class Completion:
    text: str  # generated text, cut just after the first stop string
    tokens: int  # generated tokens up to that point (what "sampled tokens/s" counts)
    finish: str  # "stop", "eos" or "length"


@dataclass
class GenStats:
    prompts: int = 0
    samples: int = 0
    tokens: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"prompts": self.prompts, "samples": self.samples, "tokens": self.tokens,
                "seconds": round(self.seconds, 3),
                "tokens_per_s": round(self.tokens / self.seconds, 1) if self.seconds > 0 else None, **self.extra}


# (prompt index, its n completions); backends call it as soon as a prompt is done so callers
# can persist results (resumable eval) and show progress.
ResultCallback = Callable[[int, list[Completion]], None]


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Text up to and including the earliest stop string; whether one was found."""
    best = -1
    best_len = 0
    for s in stop:
        i = text.find(s)
        if i >= 0 and (best < 0 or i < best):
            best, best_len = i, len(s)
    if best < 0:
        return text, False
    return text[:best + best_len], True


class Backend(ABC):
    """Turns prompts into n completions each. Prompts are `rtlgen.prompts.Prompt` objects."""

    name = ""

    @abstractmethod
    def generate(self, prompts: list, params: SamplingParams, on_result: ResultCallback | None = None,
                 progress: bool = True) -> list[list[Completion]]:
        ...

    def describe(self) -> dict:
        """What to record in reports (model, device, dtype…)."""
        return {"backend": self.name}

    def prompt_tokens(self, prompt) -> int | None:
        """Length of the rendered prompt in tokens, where the backend can tell."""
        return None

    def context_length(self) -> int | None:
        return None

    def close(self) -> None:
        pass
