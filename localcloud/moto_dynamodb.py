"""moto's DynamoDB and DynamoDB Streams, served lean for the local cloud.

`python -m moto.server` routes every request by matching it against every service's URL
patterns and logs each request through a locked handler; under load those two alone took a
quarter of its CPU. The local cloud needs two services from moto (SQS is its own), so this
serves exactly those: dispatch by the X-Amz-Target prefix, no request log, no CORS layer.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")  # read when moto's settings load

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402


class QuietRequestHandler(MotoRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def application() -> object:
    dynamodb, streams = create_backend_app("dynamodb"), create_backend_app("dynamodbstreams")

    def dispatch(environ: dict, start_response: object) -> object:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return (streams if target.startswith("DynamoDBStreams") else dynamodb)(environ, start_response)

    return dispatch


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    make_server(host, port, application(), threaded=True, request_handler=QuietRequestHandler).serve_forever()


if __name__ == "__main__":
    main()
