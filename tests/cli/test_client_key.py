"""The client commands send an API key as `x-api-key`, on HTTP calls and on the WebSocket
handshake: --api-key, else SOLROUTE_API_KEY, else the local cloud's demo key (its health page).
Run against a stand-in for the API that records what it is sent."""

from solroute_cli.main import main
from tests.support.stand_in import DEMO_KEY, OWN_KEY, StandIn, run_order, snapshot_frame
from tests.support.background import serving

ORDER_ID = "7f0c3d1e-0000-4000-8000-000000000001"


def stand_in(demo_key: str | None = DEMO_KEY) -> StandIn:
    return StandIn(frames=[snapshot_frame(run_order(tokenIn="SOL", tokenOut="USDC", amountIn="1.5"))], demo_key=demo_key,
                   orders={ORDER_ID: {"orderId": ORDER_ID, "status": "confirmed"}})  # fmt: skip


def test_submit_sends_the_local_clouds_demo_key_on_the_order_and_the_websocket():
    api = stand_in()
    with serving(api.app()) as url:
        code = main(["submit", "SOL", "USDC", "1.5", "--api", url])
    assert code == 0
    assert [(what, key) for what, key, _ in api.seen] == [("POST /api/orders/execute", DEMO_KEY), ("WebSocket", DEMO_KEY)]


def test_an_api_key_option_wins_over_the_demo_key():
    api = stand_in()
    with serving(api.app()) as url:
        code = main(["get", ORDER_ID, "--api", url, "--api-key", OWN_KEY, "--json"])
    assert code == 0
    assert [key for _, key, _ in api.seen] == [OWN_KEY]


def test_the_environment_gives_the_key_when_no_option_does(monkeypatch):
    monkeypatch.setenv("SOLROUTE_API_KEY", OWN_KEY)
    api = stand_in()
    with serving(api.app()) as url:
        code = main(["submit", "SOL", "USDC", "1.5", "--api", url, "--no-watch"])
    assert code == 0
    assert [key for _, key, _ in api.seen] == [OWN_KEY]


def test_list_needs_no_wallet_and_sends_one_when_given():
    api = stand_in()
    with serving(api.app()) as url:
        assert main(["list", "--api", url]) == 0
        assert main(["list", "--api", url, "--wallet", "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"]) == 0
    assert [(key, query.get("wallet")) for _, key, query in api.seen] == [
        (DEMO_KEY, None),
        (DEMO_KEY, "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"),
    ]


def test_without_any_key_the_command_says_how_to_get_one(capsys):
    api = stand_in(demo_key=None)
    with serving(api.app()) as url:
        code = main(["get", ORDER_ID, "--api", url])
    err = capsys.readouterr().err
    assert code == 1
    assert api.seen == []  # nothing sent without a key
    assert "no API key" in err and f"solroute keys create --name NAME --api {url}" in err


def test_api_gateways_own_refusals_of_a_key_say_what_to_do():
    import pytest

    from solroute_cli.api import raise_for_error
    from solroute_cli.errors import CliError

    url = "http://127.0.0.1:9"
    with pytest.raises(CliError) as forbidden:
        raise_for_error(403, {"message": "Forbidden"}, url)
    assert "HTTP 403" in str(forbidden.value) and "unknown or has been revoked" in str(forbidden.value)
    assert "--api-key" in str(forbidden.value) and "SOLROUTE_API_KEY" in str(forbidden.value)
    with pytest.raises(CliError) as unauthorized:
        raise_for_error(401, {"message": "Unauthorized"}, url)
    assert "HTTP 401" in str(unauthorized.value) and "no API key reached the API" in str(unauthorized.value)
