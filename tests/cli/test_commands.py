"""`solroute`'s commands as a user and a script see them, run in process with typer's CliRunner
against a stand-in API served on 127.0.0.1 (tests/cli/stand_in.py): help, usage errors, the
environment's defaults, --json on every command, the text of get, quote, watch and submit, and
the hints, which must name the API in use."""

import json

import pytest
from typer.testing import CliRunner

from localcloud.cli import parser as local_cloud_parser
from solroute_cli.api import hint
from solroute_cli.main import app, main
from tests.support.stand_in import OWN_KEY, StandIn, live_frame, order_json, quote_answer, run_order, snapshot_frame
from tests.support.background import serving

WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
CONFIRMED = run_order(tokenIn="JUP", tokenOut="USDC", amountIn="200000", wallet=WALLET)  # a split: two venues, two legs
FAILED = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1000000")  # price impact above the limit
runner = CliRunner()


def solroute(*argv: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(argv), env=env)


def api_with(*orders, **answers) -> StandIn:
    """A stand-in knowing ``orders`` (GET answers them); its WebSocket sends the first one's snapshot."""
    return StandIn(orders={o.orderId: order_json(o) for o in orders}, frames=[snapshot_frame(orders[0])] if orders else [], **answers)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# -- help and usage --------------------------------------------------------------------------


def test_help_lists_every_command_with_an_argparse_style_usage_line():
    shown = solroute("--help")
    assert shown.exit_code == 0
    assert "usage: solroute" in shown.stdout, "scripts and the e2e tests look for it"
    for command in ("quote", "submit", "watch", "get", "cancel", "list", "up", "keys"):
        assert f" {command} " in shown.stdout, command


@pytest.mark.parametrize("argv", [["-h"], ["submit", "-h"], ["keys", "-h"], ["keys", "create", "-h"], ["up", "-h"]])
def test_dash_h_is_help_at_every_level_as_in_up(argv):
    shown = solroute(*argv)
    assert shown.exit_code == 0 and "usage: solroute" in shown.stdout


def test_up_help_is_the_local_clouds_own_and_lists_every_option():
    shown = solroute("up", "--help")
    options = {f"--{name.replace('_', '-')}" for name in vars(local_cloud_parser().parse_args(["up"])) if name != "command"}
    assert shown.exit_code == 0 and shown.stdout.startswith("usage: solroute up")
    assert {o for o in options if o not in shown.stdout} == set()
    assert "--param KEY=VALUE" in shown.stdout


@pytest.mark.parametrize("argv", [["get"], ["get", "ID", "--no-such-option"], ["list", "--limit", "0"], ["up", "--no-such-option"], ["keys", "nope"]])
def test_a_usage_error_exits_2(argv):
    assert main(argv) == 2


def test_main_returns_the_commands_exit_code():
    api = api_with(FAILED)
    with serving(api.app()) as url:
        assert main(["get", FAILED.orderId, "--api", url, "--json"]) == 0
        assert main(["watch", FAILED.orderId, "--api", url, "--json"]) == 1


# -- defaults from the environment -----------------------------------------------------------


def test_the_api_url_and_key_come_from_the_environment_when_no_option_gives_them():
    api = api_with(CONFIRMED)
    with serving(api.app()) as url:
        shown = solroute("get", CONFIRMED.orderId, "--json", env={"SOLROUTE_API_URL": url, "SOLROUTE_API_KEY": OWN_KEY})
    assert shown.exit_code == 0, shown.output
    assert api.seen == [("GET /api/orders/{id}", OWN_KEY, {})]


def test_the_websocket_url_comes_from_the_environment_when_the_api_does_not_name_it():
    api = api_with(CONFIRMED, health_names_the_websocket=False)
    with serving(api.app()) as url:
        unnamed = solroute("watch", CONFIRMED.orderId, "--api", url)
        named = solroute("watch", CONFIRMED.orderId, "--api", url, env={"SOLROUTE_WS_URL": url.replace("http", "ws") + "/ws"})
    assert unnamed.exit_code == 1
    assert unnamed.stderr.startswith("solroute watch: no WebSocket URL:") and "--ws" in unnamed.stderr
    assert named.exit_code == 0, named.output


# -- --json: standard output is JSON only ----------------------------------------------------


@pytest.mark.parametrize(
    "argv, lines",
    [
        (["get", CONFIRMED.orderId], 1),
        (["list", "--wallet", WALLET], 1),
        (["quote", "JUP", "USDC", "200000"], 1),
        (["cancel", CONFIRMED.orderId], 1),
        (["submit", "JUP", "USDC", "200000", "--no-watch"], 1),
        (["submit", "JUP", "USDC", "200000"], 1 + len(CONFIRMED.history)),  # what was accepted, then each status
        (["watch", CONFIRMED.orderId], len(CONFIRMED.history)),
    ],
)  # fmt: skip
def test_json_makes_every_commands_output_parseable(argv, lines):
    api = api_with(CONFIRMED, quote=quote_answer("JUP", "USDC", 200000), page={"orders": [order_json(CONFIRMED)], "cursor": "next"})
    with serving(api.app()) as url:
        shown = solroute(*argv, "--api", url, "--json")
    documents = [json.loads(shown.stdout)] if lines == 1 else json_lines(shown.stdout)
    assert shown.exit_code in (0, 1), shown.output  # cancel of a confirmed order exits 1, and says why in JSON
    assert len(documents) == lines


def test_submit_and_watch_print_one_json_line_per_status_in_seq_order():
    api = api_with(CONFIRMED)
    with serving(api.app()) as url:
        shown = solroute("watch", CONFIRMED.orderId, "--api", url, "--json")
    lines = json_lines(shown.stdout)
    assert [line["seq"] for line in lines] == [h.seq for h in CONFIRMED.history]
    # Acceptance trial: lines rebuilt from the snapshot lacked type, orderId and timestamp.
    assert all({"type", "orderId", "status", "seq", "timestamp", "timestampMs", "message", "data"} <= set(line) for line in lines), lines[0]
    assert {(line["type"], line["orderId"]) for line in lines} == {("status_update", CONFIRMED.orderId)}


# -- text ------------------------------------------------------------------------------------


def test_get_shows_the_order_its_history_quotes_route_legs_and_fill():  # each line whole: read by a program, nothing wraps
    api = api_with(CONFIRMED)
    with serving(api.app()) as url:
        shown = solroute("get", CONFIRMED.orderId, "--api", url)
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert shown.exit_code == 0, shown.output
    assert lines[0] == f"order {CONFIRMED.orderId}  confirmed"
    offsets = [f"{(h.timestampMs - CONFIRMED.history[0].timestampMs) / 1000:.2f}" for h in CONFIRMED.history]
    for entry, offset in zip(CONFIRMED.history, offsets):
        assert any(line.split()[:2] == [entry.status.value, offset] and entry.message in line for line in lines), entry.status
    for quote in CONFIRMED.quotes:
        assert any(line.startswith(quote.dex.capitalize()) and str(quote.amountOut) in line for line in lines), quote.dex
    assert any(line.startswith("route: split on ") for line in lines)
    assert any(line.startswith(f"fill: {CONFIRMED.execution.amountOut} (quoted ") for line in lines)
    assert sum(1 for line in lines if " JUP -> " in line and "(quoted " in line) == len(CONFIRMED.execution.legs) == 2


def test_get_of_a_failed_order_says_why():
    api = api_with(FAILED)
    with serving(api.app()) as url:
        shown = solroute("get", FAILED.orderId, "--api", url)
    assert shown.exit_code == 0
    assert f"reason: {FAILED.failureReason}" in shown.stdout


def test_quote_is_rendered_and_exits_1_without_a_quote_id():
    api = api_with(quote=quote_answer("SOL", "USDC", 10**6))
    with serving(api.app()) as url:
        shown = solroute("quote", "SOL", "USDC", "1000000", "--api", url)
    assert shown.exit_code == 1
    assert "Raydium alone" in shown.stdout and "no quoteId: price impact " in shown.stdout


def test_watch_of_a_final_order_prints_its_history_and_exits_with_its_outcome():
    api = api_with(FAILED)
    with serving(api.app()) as url:
        shown = solroute("watch", FAILED.orderId, "--api", url)
    assert shown.exit_code == 1
    assert api.subscribed == [{"action": "subscribe", "orderId": FAILED.orderId}]
    lines = shown.stdout.splitlines()
    assert [line.split("s  ", 1)[1].split("  ")[0] for line in lines[:3]] == ["PENDING", "pending ▸ ROUTING", "✗ failed"]
    assert lines[2].endswith(FAILED.failureReason) and lines[3].startswith("failed in ")


def test_watch_shows_live_updates_after_the_snapshot_each_once():
    routing = snapshot_frame(CONFIRMED)
    routing["history"] = routing["history"][:2]  # subscribed while it was routing
    later = [live_frame(CONFIRMED.model_copy(update={"status": h.status, "seq": h.seq, "history": CONFIRMED.history[: h.seq]})) for h in CONFIRMED.history[1:]]
    api = api_with(CONFIRMED)
    api.frames = [later[0], routing, *later]  # routing's update overtakes the snapshot, then arrives again
    with serving(api.app()) as url:
        shown = solroute("watch", CONFIRMED.orderId, "--api", url, "--json")
    assert shown.exit_code == 0, shown.output
    assert [line["status"] for line in json_lines(shown.stdout)] == [h.status.value for h in CONFIRMED.history]


def test_submit_in_a_terminal_shows_a_live_timeline_then_the_route_and_fill():
    api = api_with(CONFIRMED)
    with serving(api.app()) as url:
        shown = solroute("submit", "JUP", "USDC", "200000", "--api", url, env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "waiting for the next status" in shown.stdout, "the spinner of the live view"
    assert "\x1b[" in shown.stdout, "redrawn in place"
    assert "confirmed in " in shown.stdout and "route: split on " in shown.stdout


def test_submit_to_a_pipe_prints_a_line_per_status_then_the_report():
    api = api_with(CONFIRMED)
    with serving(api.app()) as url:
        shown = solroute("submit", "JUP", "USDC", "200000", "--api", url)
    lines = shown.stdout.splitlines()
    assert shown.exit_code == 0
    assert lines[0].startswith(f"order {CONFIRMED.orderId}: 200000 JUP -> USDC, slippage 0.01 (pending)")
    first_ms = CONFIRMED.history[0].timestampMs
    offsets = [f"  +{(h.timestampMs - first_ms) / 1000:6.2f}s  " for h in CONFIRMED.history]
    assert [line[: len(offset)] for line, offset in zip(lines[1:], offsets)] == offsets, "by the engine's timestamps"
    assert "\x1b[" not in shown.stdout and "waiting for the next status" not in shown.stdout
    assert lines[1 + len(CONFIRMED.history)].startswith("confirmed in ") and lines[2 + len(CONFIRMED.history)].startswith("  route: split on ")


# -- hints name the API in use ---------------------------------------------------------------


def test_a_hint_adds_api_only_when_a_bare_command_would_reach_another(monkeypatch):
    assert hint("get X", "http://127.0.0.1:3000") == "solroute get X"
    assert hint("get X", "http://127.0.0.1:4000") == "solroute get X --api http://127.0.0.1:4000"
    monkeypatch.setenv("SOLROUTE_API_URL", "http://127.0.0.1:4000/")
    assert hint("get X", "http://127.0.0.1:4000") == "solroute get X", "the environment gives the bare command that API"
    assert hint("get X", "http://127.0.0.1:3000") == "solroute get X --api http://127.0.0.1:3000"


def test_lists_next_page_hint_carries_the_api_unless_the_environment_names_it():
    api = api_with(CONFIRMED, page={"orders": [order_json(CONFIRMED)], "cursor": "abc"})
    with serving(api.app()) as url:
        given = solroute("list", "--wallet", WALLET, "--api", url)
        from_env = solroute("list", "--wallet", WALLET, env={"SOLROUTE_API_URL": url})
    assert CONFIRMED.orderId in given.stdout
    assert f"more: solroute list --wallet {WALLET} --cursor abc --api {url}" in given.stdout
    assert f"more: solroute list --wallet {WALLET} --cursor abc\n" in from_env.stdout


def test_submits_and_watchs_hints_carry_the_api(monkeypatch):
    api = api_with(CONFIRMED)
    api.frames[0]["history"] = api.frames[0]["history"][:1]  # never final: the watch times out
    api.orders[CONFIRMED.orderId] = {**api.orders[CONFIRMED.orderId], "status": "pending", "history": api.frames[0]["history"]}
    with serving(api.app()) as url:
        placed = solroute("submit", "JUP", "USDC", "200000", "--no-watch", "--api", url)
        waited = solroute("watch", CONFIRMED.orderId, "--timeout", "0.3", "--api", url)
    assert f"follow it: solroute watch {CONFIRMED.orderId} --api {url}" in placed.stdout
    assert waited.exit_code == 1
    assert f"`solroute get {CONFIRMED.orderId} --api {url}` shows where it is" in waited.stderr
