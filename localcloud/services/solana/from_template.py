"""The local cloud's validator as the template sets it up: its confirmation delay is the seed's
settlement time (SwapDelayMinMs / SwapDelayMaxMs, defaults or --param), and a template that
declares a SolanaRpcUrl parameter gets this validator's URL there unless --param gave one (an
empty one keeps the simulated ledger chain), and its faucet (ChainFaucet=true) likewise."""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.services.solana.constants import DEFAULT_CONFIRM_MAX_MS, DEFAULT_CONFIRM_MIN_MS
from localcloud.services.solana.validator import Log, LocalValidator
from localcloud.template import Template

RPC_URL_PARAMETER = "SolanaRpcUrl"
FAUCET_PARAMETER = "ChainFaucet"
CONFIRM_MIN_PARAMETER, CONFIRM_MAX_PARAMETER = "SwapDelayMinMs", "SwapDelayMaxMs"


def validator_for(template: Template, log: Log) -> LocalValidator:
    values = template.parameters
    low = float(values.get(CONFIRM_MIN_PARAMETER) or DEFAULT_CONFIRM_MIN_MS)
    high = float(values.get(CONFIRM_MAX_PARAMETER) or DEFAULT_CONFIRM_MAX_MS)
    return LocalValidator(confirm_min_ms=low, confirm_max_ms=max(low, high), log=log)


def point_template_at(template: Template, given: Mapping[str, str], url: str) -> bool:
    """Set SolanaRpcUrl to ``url`` if the template declares it and the user gave none (``--param
    SolanaRpcUrl=`` with no value chooses the ledger chain); whether it did. The local chain's
    faucet is on unless ChainFaucet was given."""
    if RPC_URL_PARAMETER not in template.parameters or RPC_URL_PARAMETER in given:
        return False
    faucet = {FAUCET_PARAMETER: "true"} if FAUCET_PARAMETER in template.parameters and FAUCET_PARAMETER not in given else {}
    template.override(**{RPC_URL_PARAMETER: url, **faucet})
    return True
