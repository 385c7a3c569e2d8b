"""`solroute submit ... --twap` and `--every`: their grammar, the request body the API receives
(the issue 27 contract), and a usage error (exit 2, nothing sent) for every contradiction."""

import json
from datetime import UTC, datetime

import pytest
from aiohttp import web
from typer.testing import CliRunner

from solroute_cli.main import app, main
from solroute_cli.strategy_args import ends_at, twap_schedule
from tests.cli.parents import PARENT_ID
from tests.support.background import serving
from tests.support.cloud_process import free_port
from tests.support.stand_in import StandIn

runner = CliRunner()


@pytest.mark.parametrize(
    "text, fields",
    [
        ("10x30s", {"slices": 10, "intervalSeconds": 30}),
        ("10x30", {"slices": 10, "intervalSeconds": 30}),
        ("3 x 2m", {"slices": 3, "intervalSeconds": 120}),
        ("10/5m", {"slices": 10, "durationSeconds": 300}),
        ("24/1D", {"slices": 24, "durationSeconds": 86400}),
    ],
)
def test_the_twap_grammar_is_slices_x_interval_or_slices_over_a_duration(text, fields):
    assert twap_schedule(text) == fields


@pytest.mark.parametrize("text", ["10", "x30s", "10x", "10x1.5m", "10*30s", "ten/5m", "10/soon"])
def test_a_twap_spec_outside_the_grammar_is_a_usage_error_that_states_it(text, capsys):
    code = main(["submit", "SOL", "USDC", "10", "--twap", text, "--api", f"http://127.0.0.1:{free_port()}"])
    assert code == 2
    assert "expected SLICESxINTERVAL (10x30s" in capsys.readouterr().err


def test_until_takes_an_iso_time_as_it_is_or_a_duration_from_now():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert ends_at("2026-12-31T00:00:00Z", now) == "2026-12-31T00:00:00Z"
    assert ends_at("1d", now) == "2026-12-08T12:00:00Z"


class Recording(StandIn):
    """The stand-in, keeping each POST's body; it accepts a strategy as the API does (active)."""

    def __init__(self) -> None:
        super().__init__(orders={}, replies=[])
        self.bodies: list[dict] = []

    async def execute(self, request: web.Request) -> web.Response:
        self.record(request, "POST /api/orders/execute")
        self.bodies.append(await request.json())
        return web.json_response({"orderId": PARENT_ID, "status": "active", "websocketUrl": f"ws://{request.host}/ws"}, status=202)


def sent(*argv: str) -> tuple[dict, str]:
    api = Recording()
    with serving(api.app()) as url:
        shown = runner.invoke(app, ["submit", *argv, "--no-watch", "--api", url])
    assert shown.exit_code == 0, shown.output
    return api.bodies[0], shown.stdout


def test_a_twap_is_sent_as_the_contract_says_with_its_limit_jitter_and_retries():
    body, shown = sent("SOL", "USDC", "10", "--twap", "10x30s", "--limit", "140", "--jitter", "3s", "--max-retries", "4", "--wallet", "W1")
    assert body == {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "10", "slippage": "0.01", "type": "twap", "slices": 10,
                    "intervalSeconds": 30, "limitPrice": "140", "jitterSeconds": 3, "maxRetries": 4, "wallet": "W1"}  # fmt: skip
    assert f"order {PARENT_ID}: twap 10 SOL -> USDC as 10x30s, each slice at least 140 USDC per SOL (active)" in shown


def test_a_twap_over_a_duration_sends_duration_seconds():
    body, _ = sent("SOL", "USDC", "10", "--twap", "10/5m", "--dexes", "raydium")
    assert body == {"tokenIn": "SOL", "tokenOut": "USDC", "amountIn": "10", "slippage": "0.01", "dexes": "raydium", "type": "twap",
                    "slices": 10, "durationSeconds": 300}  # fmt: skip


def test_a_recurring_order_sends_the_amount_per_run_and_never_amount_in():
    body, shown = sent("USDC", "SOL", "50", "--every", "1h", "--runs", "24", "--min-price", "0.005", "--max-price", "0.0075")
    assert body == {"tokenIn": "USDC", "tokenOut": "SOL", "slippage": "0.01", "type": "recurring", "amountPerRun": "50",
                    "intervalSeconds": 3600, "runs": 24, "minPrice": "0.005", "maxPrice": "0.0075"}  # fmt: skip
    assert f"order {PARENT_ID}: recurring 50 USDC -> SOL every 1h, 24 runs (active)" in shown


def test_a_recurring_order_until_a_time_sends_ends_at():
    body, _ = sent("USDC", "SOL", "50", "--every", "1d", "--until", "2027-01-31T00:00:00Z")
    assert body["endsAt"] == "2027-01-31T00:00:00Z" and body["intervalSeconds"] == 86400 and "runs" not in body and "amountIn" not in body


def test_a_sniper_is_sent_with_its_worst_price_depth_and_watch_time():
    body, shown = sent("USDC", "NEWT", "100", "--snipe", "--max-price", "0.5", "--min-liquidity", "50000", "--expires", "1h")
    assert body == {"tokenIn": "USDC", "tokenOut": "NEWT", "amountIn": "100", "slippage": "0.01", "type": "sniper", "maxPrice": "0.5",
                    "minLiquidity": "50000", "timeInForceSeconds": 3600}  # fmt: skip
    assert f"order {PARENT_ID}: sniper 100 USDC -> NEWT once its pool holds 50000, at most 0.5 USDC per NEWT (active)" in shown
    body, _ = sent("USDC", "NEWT", "100", "--snipe", "--max-price", "0.5", "--expires", "2027-01-01T00:00:00Z")
    assert body["expiresAt"] == "2027-01-01T00:00:00Z" and "minLiquidity" not in body


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--snipe"], "a sniper needs --max-price"),
        (["--snipe", "--max-price", "1", "--twap", "10x30s"], "--snipe is a strategy of its own"),
        (["--snipe", "--max-price", "1", "--limit", "1"], "--limit is for limit orders and TWAP slices"),
        (["--snipe", "--max-price", "1", "--deadline", "30s"], "--deadline is not for a sniper"),
        (["--min-liquidity", "5"], "--min-liquidity is for a sniper"),
        (["--twap", "10x30s", "--every", "1h", "--runs", "2"], "--twap and --every are two strategies"),
        (["--runs", "24"], "--runs is for a recurring order: add --every INTERVAL"),
        (["--until", "1d"], "--until is for a recurring order"),
        (["--min-price", "1"], "--min-price is for a recurring order"),
        (["--max-price", "1"], "--max-price is for a recurring order"),
        (["--jitter", "3s"], "--jitter is for a TWAP: add --twap"),
        (["--max-retries", "2"], "--max-retries is for a TWAP"),
        (["--twap", "10x30s", "--deadline", "30s"], "--deadline is for a single order, not a twap"),
        (["--twap", "10x30s", "--expires", "10m"], "--expires is for a single order, not a twap"),
        (["--every", "1h", "--runs", "2", "--quote-id", "q"], "--quote-id is for a single order, not a recurring"),
        (["--every", "1h", "--runs", "2", "--limit", "1"], "--limit is a TWAP slice's limit"),
        (["--every", "1h"], "a recurring order needs how many runs: --runs N or --until WHEN"),
        (["--every", "1h", "--runs", "2", "--until", "1d"], "a recurring order needs how many runs"),
        (["--every", "hourly", "--runs", "2"], "--every 'hourly': expected a duration"),
        (["--twap", "10x30s", "--jitter", "a bit"], "--jitter 'a bit': expected a duration"),
    ],
)
def test_contradictory_strategy_options_are_a_usage_error_before_anything_is_sent(argv, fragment, capsys):
    nothing_listens = f"http://127.0.0.1:{free_port()}"  # reaching it would exit 3, not 2
    code = main(["submit", "SOL", "USDC", "10", *argv, "--api", nothing_listens])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"solroute submit: {fragment}")


def test_under_json_a_strategy_usage_error_is_one_json_object():
    shown = runner.invoke(app, ["submit", "SOL", "USDC", "10", "--runs", "2", "--json", "--api", f"http://127.0.0.1:{free_port()}"])
    assert shown.exit_code == 2
    assert json.loads(shown.stdout)["error"]["code"] == "USAGE"


def test_submit_help_states_the_grammar_and_the_strategy_exit_codes():
    shown = runner.invoke(app, ["submit", "--help"], env={"COLUMNS": "200"})
    text = " ".join(shown.stdout.split())
    assert "SLICESxINTERVAL (10x30s: 10 slices, one every 30 s) or SLICES/DURATION (10/5m" in text
    assert "Exit 0 when it is confirmed (a strategy: completed), 1 when it failed, expired or was cancelled (a strategy: also partially_filled)" in text
    for option in ("--twap", "--jitter", "--max-retries", "--every", "--runs", "--until", "--min-price", "--max-price"):
        assert option in text, option
