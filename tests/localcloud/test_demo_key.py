"""The demo key and the stack outputs: a template that keeps API keys (an ApiKeysTableName
output) gets one key issued at start, shown in the banner and on the health page with the
template's Outputs as deployed here."""

import io
import json
import urllib.request

from localcloud.logs import LogPrinter
from solroute.logic.keys import KeyAuthority
from tests.support.background import local_cloud
from tests.support.keys_cloud import key_store, keys_cloud_config


def test_a_template_that_keeps_api_keys_gets_a_demo_key_shown_with_the_stack_outputs():
    # Given a template with an API keys table, started with its own key rate
    with local_cloud(keys_cloud_config(KeyRatePerMinute="7"), LogPrinter(io.StringIO())) as cloud:
        # When a script reads the health page
        with urllib.request.urlopen(f"{cloud.http_url}/_localcloud/health", timeout=10) as response:
            health = json.loads(response.read())
        store = key_store(cloud)
        principal = KeyAuthority(store).authorize(health["demoKey"])
        stored = store.list()
        banner, queue_arn, http_url = cloud.banner(), cloud.deployed.queues["NotesQueue"]["arn"], cloud.http_url

    # Then the outputs are what describe-stacks would give, without the one naming no local resource
    assert health["outputs"] == {
        "ApiKeysTableName": "solroute-dev-ApiKeysTable",
        "KeyRatePerMinute": "7",
        "NotesQueueArn": queue_arn,
        "NotesTableStream": "solroute-dev-ApiKeysTable/solroute-dev-NotesQueue",
    }
    # And the demo key is a real key, named demo, with the template's rate
    assert principal is not None and principal.rate_per_minute == 7
    assert [(k.name, k.key_id) for k in stored] == [("demo", principal.key_id)]
    # And the banner shows it, and a Try line that reaches this cloud's API
    assert f"  API key        {health['demoKey']}   (demo key: send it as x-api-key" in banner
    assert f"solroute submit SOL USDC 1.5 --api {http_url}" in banner
