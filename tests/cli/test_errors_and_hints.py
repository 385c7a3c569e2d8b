"""What a script and a person get when a command fails, and the commands a hint suggests.

Under --json every error is one JSON object on standard output, {"error": {"code", "message",
"status"?, "details"?}}, with a non-zero exit code and nothing on standard error; without it, a
line on standard error. An error body may be the engine's ({"error": {...}}) or API Gateway's own
({"message": "..."}): both are read. A hint is printed as the user ran solroute, so that pasted
it runs: `.venv/bin/solroute ...`, or `python -m solroute_cli ...` (never a bare `solroute` that
is not on the PATH). The hint tests run the real command lines as processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solroute_cli import api as cli_api
from solroute_cli.main import main
from tests.support.stand_in import StandIn, order_json, run_order, snapshot_frame
from tests.support.background import serving

ROOT = Path(__file__).resolve().parents[2]
ORDER = run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5")
ENGINE_429 = {"error": {"code": "RATE_LIMITED", "message": "key sr_abc may submit 60 orders a minute", "details": {"retryAfter": 3}}}


def json_error(capsys, argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert err == "", "under --json nothing goes to standard error"
    (line,) = out.splitlines()  # one JSON object
    return code, json.loads(line)


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        ((429, ENGINE_429), {"code": "RATE_LIMITED", "message": ENGINE_429["error"]["message"], "status": 429, "details": {"retryAfter": 3}}),
        ((403, {"message": "Forbidden"}), {"code": "FORBIDDEN", "message": "Forbidden", "status": 403}),
        ((401, {"message": "Unauthorized"}), {"code": "UNAUTHORIZED", "message": "Unauthorized", "status": 401}),
        ((404, {"message": "Not Found"}), {"code": "NOT_FOUND", "message": "Not Found", "status": 404}),
        ((502, "<html>bad gateway</html>"), {"code": "HTTP_502", "message": "<html>bad gateway</html>", "status": 502}),
    ],
)
def test_under_json_an_api_error_in_either_shape_is_one_json_object_on_stdout(capsys, refusal, expected):
    api = StandIn(refusal=refusal)
    with serving(api.app()) as url:
        code, shown = json_error(capsys, ["get", ORDER.orderId, "--api", url, "--json"])
    assert code == 1
    assert shown == {"error": expected}


def test_without_json_the_gateways_refusal_is_a_line_on_stderr_that_says_what_to_do(capsys):
    api = StandIn(refusal=(403, {"message": "Forbidden"}))
    with serving(api.app()) as url:
        code = main(["list", "--api", url])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("solroute list: HTTP 403 FORBIDDEN: Forbidden (the API key is unknown or has been revoked): pass --api-key")
    assert "a restarted local cloud has a new demo key" in err


def test_under_json_the_commands_own_errors_are_json_too(capsys):
    code, unreachable = json_error(capsys, ["get", ORDER.orderId, "--api", "http://127.0.0.1:9", "--json"])
    assert code == 3 and unreachable["error"]["code"] == "UNREACHABLE" and "not running" in unreachable["error"]["message"]
    code, usage = json_error(capsys, ["submit", "SOL", "USDC", "1", "--expires", "1h", "--json", "--api", "http://127.0.0.1:9"])
    assert code == 2 and usage["error"]["code"] == "USAGE" and "--expires is for limit orders" in usage["error"]["message"]
    code, parse = json_error(capsys, ["list", "--limit", "0", "--json"])
    assert code == 2 and parse == {"error": {"code": "USAGE", "message": "Invalid value for '--limit': Input should be greater than or equal to 1"}}
    never_final = StandIn(orders={ORDER.orderId: {**order_json(ORDER), "status": "open", "history": order_json(ORDER)["history"][:1]}}, replies=[])
    with serving(never_final.app()) as url:
        code = main(["watch", ORDER.orderId, "--api", url, "--timeout", "0.3", "--json"])
    out, err = capsys.readouterr()
    *statuses, last = [json.loads(line) for line in out.splitlines()]  # the last look before giving up shows its status
    assert code == 1 and err == "" and last["error"]["code"] == "NOT_FINAL" and [s["status"] for s in statuses] == ["pending"]


# -- hints, as the user ran solroute ---------------------------------------------------------


def test_the_program_is_named_as_it_was_run(monkeypatch, tmp_path):
    script = tmp_path / "venv" / "bin" / "solroute"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", ["venv/bin/solroute", "get", "X"])
    assert cli_api.program() == "venv/bin/solroute", "not on the PATH: the path it was run by"
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin")
    monkeypatch.setattr(sys, "argv", [str(script), "get", "X"])
    assert cli_api.program() == "solroute", "found on the PATH: its name"
    monkeypatch.setattr(sys, "argv", [str(ROOT / "solroute_cli" / "__main__.py"), "get", "X"])
    monkeypatch.setattr(sys, "orig_argv", [".venv/bin/python", "-m", "solroute_cli", "get", "X"])
    assert cli_api.program() == ".venv/bin/python -m solroute_cli"


def _no_watch(command: list[str], url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLROUTE_")} | {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([*command, "submit", "SOL", "USDC", "1.5", "--no-watch", "--api", url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("ran_as", [[".venv/bin/solroute"], [".venv/bin/python", "-m", "solroute_cli"]])
def test_a_hint_runs_as_printed_when_pasted(ran_as):
    api = StandIn(orders={ORDER.orderId: order_json(ORDER)}, frames=[snapshot_frame(ORDER)])
    with serving(api.app()) as url:
        placed = _no_watch(ran_as, url)
        (hint,) = [line.split("follow it: ", 1)[1] for line in placed.splitlines() if "follow it: " in line]
        assert hint == f"{' '.join(ran_as)} watch {ORDER.orderId} --api {url}"
        pasted = subprocess.run(hint, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60,
                                env={k: v for k, v in os.environ.items() if not k.startswith("SOLROUTE_")} | {"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    assert "confirmed in" in pasted.stdout
