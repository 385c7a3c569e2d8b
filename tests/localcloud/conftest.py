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
