"""The local validator's own methods, for tests and operators; no Solana cluster has them, so
their names say so (the `solroute_` prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.services.solana.errors import invalid_params
from localcloud.services.solana.params import Params

if TYPE_CHECKING:
    from localcloud.services.solana.validator import LocalValidator


def advance_slots(validator: LocalValidator, raw: Any) -> dict:
    """Move the chain's time on by N slots at once: params [N] or [{"slots": N}]. Blockhashes age
    (151 expires any blockhash handed out before) and pending confirmations move with it, as if
    N x 400 ms had passed."""
    params = Params(raw, 1)
    given = params.required(0, "the number of slots")
    slots = given.get("slots") if isinstance(given, dict) else given
    if not isinstance(slots, int) or isinstance(slots, bool) or slots < 0:
        raise invalid_params(f"slots must be a non-negative integer, got {slots!r}")
    tip = validator.clock.advance(slots)
    return {"slot": tip, "blockHeight": tip}


METHODS = {"solroute_advanceSlots": advance_slots}
