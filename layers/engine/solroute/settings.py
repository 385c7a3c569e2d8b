"""Environment variables, read once into one model. Domain code never reads os.environ."""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from solroute.dex import seeds
from solroute.dex.faults import FaultPlan
from solroute.dex.price_path import parse_volatility
from solroute.dex.simulation import SimulationConfig
from solroute.models import timeouts


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    orders_table: str = Field("", alias="ORDERS_TABLE")
    connections_table: str = Field("", alias="CONNECTIONS_TABLE")
    rate_limit_table: str = Field("", alias="RATE_LIMIT_TABLE")
    chain_table: str = Field("", alias="CHAIN_TABLE")
    idempotency_table: str = Field("", alias="IDEMPOTENCY_TABLE")
    api_keys_table: str = Field("", alias="API_KEYS_TABLE")
    orders_queue_url: str = Field("", alias="ORDERS_QUEUE_URL")
    settle_queue_url: str = Field("", alias="SETTLE_QUEUE_URL")
    # Optional: without it nothing wakes the trigger early when a limit order opens (it still ticks).
    trigger_wake_queue_url: str = Field("", alias="TRIGGER_WAKE_QUEUE_URL")
    websocket_url: str = Field("", alias="WEBSOCKET_URL")
    rate_limit_per_minute: int = Field(100, alias="RATE_LIMIT_PER_MINUTE", ge=0, le=10_000)  # the log fits one item
    rate_limit_window_seconds: Decimal = Field(Decimal(60), alias="RATE_LIMIT_WINDOW_SECONDS", ge=60)
    rate_limit_min_gap_ms: int = Field(0, alias="RATE_LIMIT_MIN_GAP_MS", ge=0)
    # How far one API key's accepted orders may reach ahead into the shared execution queue.
    key_backlog_seconds: int = Field(5, alias="KEY_BACKLOG_SECONDS", ge=1)
    # The most open limit orders one API key may have at once (0: no cap).
    key_max_open_orders: int = Field(100, alias="KEY_MAX_OPEN_ORDERS", ge=0)
    key_max_active_strategies: int = Field(10, alias="KEY_MAX_ACTIVE_STRATEGIES", ge=0)
    # The longest a revoked key may be honoured (template RevocationDelaySeconds): the broadcaster's
    # cache of a subscriber's key check, as API Gateway's of the HTTP authorizer's answer.
    revocation_delay_seconds: int = Field(30, alias="REVOCATION_DELAY_SECONDS", ge=0, le=3600)
    # WebSocket connections one API key may have open at once (template WebSocketConnectionsPerKey).
    websocket_connections_per_key: int = Field(50, alias="WEBSOCKET_CONNECTIONS_PER_KEY", ge=1)
    # The most price impact a route may have (an order may ask for less or more).
    max_price_impact: Decimal = Field(Decimal("0.05"), alias="MAX_PRICE_IMPACT", gt=0, le=1)
    quote_ttl_seconds: int = Field(30, alias="QUOTE_TTL_SECONDS", ge=1, le=3600)
    max_attempts: int = Field(3, alias="MAX_ATTEMPTS", ge=1)
    attempt_timeout_seconds: int = Field(timeouts.ATTEMPT_TIMEOUT_SECONDS, alias="ATTEMPT_TIMEOUT_SECONDS", ge=1)
    start_timeout_seconds: int = Field(timeouts.START_TIMEOUT_SECONDS, alias="START_TIMEOUT_SECONDS", ge=1)
    queue_visibility_timeout_seconds: int = Field(timeouts.QUEUE_VISIBILITY_TIMEOUT_SECONDS, alias="QUEUE_VISIBILITY_TIMEOUT_SECONDS", ge=0)
    trigger_tick_ms: int = Field(1000, alias="TRIGGER_TICK_MS", ge=100, le=60_000)  # how often open limit orders are judged
    trigger_orders_per_tick: int = Field(2000, alias="TRIGGER_ORDERS_PER_TICK", ge=1, le=10_000)  # the most one tick reads and judges
    fault_injection: str = Field("", alias="FAULT_INJECTION")
    # The chain (docs/chain.md): empty, the simulated ledger chain (CHAIN_TABLE); a Solana JSON-RPC
    # URL, the RPC chain, whose root secret is sealed by the KMS key CHAIN_KMS_KEY in the keys table.
    solana_rpc_url: str = Field("", alias="SOLANA_RPC_URL")
    chain_kms_key: str = Field("", alias="CHAIN_KMS_KEY")
    chain_faucet: bool = Field(False, alias="CHAIN_FAUCET")  # the wallet API may mint tokens (the local chain)
    solana_rpc_timeout_seconds: float = Field(5.0, alias="SOLANA_RPC_TIMEOUT_SECONDS", gt=0, le=60)
    # The simulated market's volatility per token (solroute.dex.price_path.parse_volatility).
    price_volatility: str = Field("0.02", alias="PRICE_VOLATILITY")
    backoff_base_seconds: float = Field(2.0, alias="BACKOFF_BASE_SECONDS", ge=0)
    # Webhooks (docs/webhooks.md): the delivery queue, attempts per status change, the first
    # retry's delay (each later one doubles, jittered) and how long one POST may take.
    webhook_queue_url: str = Field("", alias="WEBHOOK_QUEUE_URL")
    webhook_stream_failure_queue_url: str = Field("", alias="WEBHOOK_STREAM_FAILURE_QUEUE_URL")  # set aside, to redrive
    webhook_max_attempts: int = Field(5, alias="WEBHOOK_MAX_ATTEMPTS", ge=1, le=10)
    webhook_backoff_base_seconds: float = Field(2.0, alias="WEBHOOK_BACKOFF_BASE_SECONDS", ge=1)
    webhook_timeout_seconds: float = Field(3.0, alias="WEBHOOK_TIMEOUT_SECONDS", gt=0, le=10)
    # POSTs to http://127.0.0.1 (written so): only when the local cloud says so, never at the
    # ports it names (its own services). On Lambda, loopback is the runtime API: never a receiver.
    webhook_allow_loopback: bool = Field(False, alias="WEBHOOK_ALLOW_LOOPBACK")
    webhook_closed_loopback_ports: frozenset[int] = Field(frozenset(), alias="WEBHOOK_CLOSED_LOOPBACK_PORTS")

    @field_validator("webhook_closed_loopback_ports", mode="before")
    @classmethod
    def _port_list(cls, value: object) -> object:
        return [int(p) for p in value.split(",") if p.strip()] if isinstance(value, str) else value  # "3000,4568"

    sim_seed: int | None = Field(None, alias="SIM_SEED")
    sim_quote_delay_ms: int = Field(seeds.QUOTE_DELAY_MS, alias="SIM_QUOTE_DELAY_MS", ge=0)
    sim_swap_delay_min_ms: int = Field(seeds.SWAP_DELAY_MIN_MS, alias="SIM_SWAP_DELAY_MIN_MS", ge=0)
    sim_swap_delay_max_ms: int = Field(seeds.SWAP_DELAY_MAX_MS, alias="SIM_SWAP_DELAY_MAX_MS", ge=0)
    sim_failure_rate: Decimal = Field(seeds.FAILURE_RATE, alias="SIM_FAILURE_RATE", ge=0, le=1)
    sim_price_drift: Decimal = Field(seeds.PRICE_DRIFT, alias="SIM_PRICE_DRIFT", ge=0, lt=1)

    @field_validator("fault_injection")
    @classmethod
    def _known_faults(cls, value: str) -> str:
        FaultPlan.parse(value)  # fail at start-up, not at the first fault
        return value

    @field_validator("price_volatility")
    @classmethod
    def _volatility(cls, value: str) -> str:
        parse_volatility(value)  # fail at start-up with a clear message
        return value

    @property
    def volatility(self) -> dict[str, Decimal]:
        """Each token's volatility (price_volatility parsed; "*": the tokens not named)."""
        return parse_volatility(self.price_volatility)

    @property
    def market_seed(self) -> str:
        """The price path's seed: SIM_SEED when set, else one every function of the stack shares."""
        return str(self.sim_seed) if self.sim_seed is not None else self.orders_table or "solroute"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        # An empty variable (a template parameter left blank) means "use the default".
        return cls.model_validate({k: v for k, v in env.items() if v != ""})

    @property
    def simulation(self) -> SimulationConfig:
        return SimulationConfig(
            seed=self.sim_seed,
            quote_delay_ms=self.sim_quote_delay_ms,
            swap_delay_min_ms=self.sim_swap_delay_min_ms,
            swap_delay_max_ms=max(self.sim_swap_delay_min_ms, self.sim_swap_delay_max_ms),
            failure_rate=self.sim_failure_rate,
            price_drift=self.sim_price_drift,
        )

    @property
    def management_endpoint(self) -> str:
        """The @connections endpoint of the WebSocket API (https for wss, http for ws)."""
        url = self.websocket_url
        return "https://" + url[len("wss://"):] if url.startswith("wss://") else "http://" + url[len("ws://"):] if url.startswith("ws://") else url


class MissingSetting(RuntimeError):
    """A function was deployed without a variable it needs: it fails at init, naming it."""


def require(config: Settings, field: str) -> str:
    """The setting's value; MissingSetting naming its environment variable if it is empty."""
    value = getattr(config, field)
    if not value:
        variable = Settings.model_fields[field].alias
        raise MissingSetting(f"{variable} is not set: this function needs it (template.yaml sets it in the function's Environment)")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env(os.environ)
