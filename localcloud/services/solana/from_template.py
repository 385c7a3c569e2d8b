"""The local cloud's validator as the template sets it up: its confirmation delay is the seed's
settlement time (SwapDelayMinMs / SwapDelayMaxMs, defaults or --param), and a template that
declares a SolanaRpcUrl parameter gets this validator's URL there unless --param gave one."""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.services.solana.constants import DEFAULT_CONFIRM_MAX_MS, DEFAULT_CONFIRM_MIN_MS
from localcloud.services.solana.validator import Log, LocalValidator
from localcloud.template import Template

RPC_URL_PARAMETER = "SolanaRpcUrl"
CONFIRM_MIN_PARAMETER, CONFIRM_MAX_PARAMETER = "SwapDelayMinMs", "SwapDelayMaxMs"


def validator_for(template: Template, log: Log) -> LocalValidator:
    values = template.parameters
    low = float(values.get(CONFIRM_MIN_PARAMETER) or DEFAULT_CONFIRM_MIN_MS)
    high = float(values.get(CONFIRM_MAX_PARAMETER) or DEFAULT_CONFIRM_MAX_MS)
    return LocalValidator(confirm_min_ms=low, confirm_max_ms=max(low, high), log=log)


def point_template_at(template: Template, given: Mapping[str, str], url: str) -> bool:
    """Set SolanaRpcUrl to ``url`` if the template declares it and the user gave none; whether it did."""
    if RPC_URL_PARAMETER not in template.parameters or given.get(RPC_URL_PARAMETER):
        return False
    template.override(**{RPC_URL_PARAMETER: url})
    return True
