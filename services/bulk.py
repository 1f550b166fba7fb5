"""What a bulk action on many watches did: one shape for every such action, so every screen reports them alike.

An action over a selection never stops at the first watch it may not change: it changes the rest and names each
refused watch with the reason, which the screen lists for the user.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Refusal(BaseModel):
    """A watch the action left alone, and why; `sku` is None when it does not exist or is outside the actor's scope."""

    watch_id: int
    sku: str | None = None
    reason: str


class BulkResult(BaseModel):
    """The watches the action changed, in the order given, and each one it refused."""

    done: list[int] = Field(default_factory=list)
    refused: list[Refusal] = Field(default_factory=list)

    def refuse(self, watch_id: int, sku: str | None, reason: str) -> None:
        self.refused.append(Refusal(watch_id=watch_id, sku=sku, reason=reason))
