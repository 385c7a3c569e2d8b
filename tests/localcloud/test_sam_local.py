"""The env-vars file for `sam local` (localcloud.sam_local): where it goes and what the log says.
What SAM CLI makes of it is tested end to end in tests/e2e/test_sam_local.py."""

import json
from pathlib import Path

import pytest

from localcloud import sam_local
from localcloud.resources import Deployed
from localcloud.template import Template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.mark.parametrize(
    ("host", "reachable"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", False), ("172.17.0.1", True), ("docker.host", True)],
)
def test_a_loopback_or_unspecified_address_is_not_one_a_container_reaches(host, reachable):
    assert sam_local.reachable_from_containers(host) is reachable


def test_the_file_has_the_endpoints_for_every_function_and_each_function_its_own_environment(tmp_path):
    template = Template(TEMPLATE)
    deployed = Deployed(prefix="solroute-dev", tables={"OrdersTable": {"name": "solroute-dev-OrdersTable", "arn": "arn"}})
    path = tmp_path / ".aws-sam" / "localcloud-env.json"
    said = sam_local.publish(path, template, deployed, "http://172.17.0.1:4566", "http://172.17.0.1:4567", "172.17.0.1")
    document = json.loads(path.read_text())
    endpoints = {"AWS_ENDPOINT_URL": "http://172.17.0.1:4566", "AWS_ENDPOINT_URL_SQS": "http://172.17.0.1:4567"}
    assert document["Parameters"] == endpoints
    assert set(document) == {"Parameters", *template.functions()}
    assert document["ApiFunction"]["ORDERS_TABLE"] == "solroute-dev-OrdersTable"
    # AWS::NoValue: the endpoints come from Parameters, never as a function's own empty value
    assert "AWS_ENDPOINT_URL" not in document["ApiFunction"]
    assert [p.name for p in path.parent.iterdir()] == ["localcloud-env.json"]  # no partial file left
    assert said.endswith(sam_local.start_api_command(path, template.root))
    assert "--env-vars" in said and "AWS_ACCESS_KEY_ID=test" in said


def test_a_cloud_on_loopback_still_writes_the_file_and_says_no_container_can_use_it(tmp_path):
    path = tmp_path / "env.json"
    said = sam_local.publish(path, Template(TEMPLATE), Deployed(prefix="p"), "http://127.0.0.1:4566", "", "127.0.0.1")
    assert json.loads(path.read_text())["Parameters"] == {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    assert "which a container cannot reach" in said and "--host" in said


def test_a_file_that_cannot_be_written_is_reported_not_raised(tmp_path):
    (tmp_path / "a-file").write_text("")
    said = sam_local.publish(tmp_path / "a-file" / "env.json", Template(TEMPLATE), Deployed(prefix="p"), "http://h:1", "", "h")
    assert said.startswith("could not write the env-vars file") and "--sam-env-vars" in said
