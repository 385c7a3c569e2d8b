import pytest

from localcloud.services.dynamodb.endpoint import MotoServer
from tests.support.cloud_process import free_port


@pytest.fixture(scope="module")
def dynamodb():
    """A DynamoDB endpoint (moto's server) on a free port, for the stream tests."""
    server = MotoServer("127.0.0.1", free_port())
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(params=["forked", "plain"])
def either_instance_start(request, monkeypatch):
    """Run the test twice: instances forked from the function's template process (the default),
    then started the plain way (LOCALCLOUD_FORK=0): both must behave as Lambda does."""
    from localcloud.services.awslambda.runtime import FORK_ENV

    monkeypatch.setenv(FORK_ENV, "1" if request.param == "forked" else "0")
    return request.param
