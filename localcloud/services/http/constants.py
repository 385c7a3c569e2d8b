"""API Gateway's HTTP API: the limits and fixed behaviours the local cloud emulates, each with the
AWS documentation it comes from."""

import re

# "Payload size: 10 MB" (not increasable). A larger request is 413 {"message": "Request Entity Too Large"}.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
REQUEST_TOO_LARGE_MESSAGE = "Request Entity Too Large"
# "Total combined size of request line and header values: 10240 bytes" (not increasable), same page.
# AWS documents the limit, not the answer; the local cloud gives the payload limit's, JSON as every
# answer of API Gateway's own, and never echoes the request.
MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES = 10240
# aiohttp's own limit on a line (8190 bytes by default) is raised above it, so that the HTTP API
# answers a request over the limit as API Gateway does (localcloud.wire_errors answers the rest).
MAX_LINE_BYTES = 64 * 1024

# Payload format 2.0: the event's stage is "$default" unless the API has named stages, duplicate
# headers and query parameters are joined with commas, and cookies come in their own field. A body
# is passed as text only when it is text (a text content type whose bytes are UTF-8); any other body
# is passed base64-encoded with isBase64Encoded true.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
STAGE = "$default"
TEXT_CONTENT_TYPES = re.compile(r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+json|[^;]*\+xml)")

# Payload compression is a REST API feature: an HTTP API neither decompresses a request whose
# Content-Encoding says it is compressed nor compresses a response. The function gets the bytes the
# client sent (base64-encoded: compressed bytes are not text), Content-Encoding header included.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gzip-compression-decompression.html
DECOMPRESSES_REQUESTS = False

# API Gateway's own answers: no route is 404 {"message":"Not Found"}; a function that fails, or
# whose response is not in the payload 2.0 response format, is 500 {"message":"Internal Server Error"}.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
NOT_FOUND_MESSAGE = "Not Found"
INTERNAL_ERROR_MESSAGE = "Internal Server Error"

# A response header API Gateway can send: an HTTP token for a name (RFC 9110, section 5.1), and
# no line break or NUL in a value (RFC 9110, section 5.5).
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
FORBIDDEN_IN_HEADER_VALUE = re.compile(r"[\r\n\x00]")

# Lambda authorizers (payload 2.0). "If a specified identity source is missing, null, or empty, API
# Gateway returns a 401 Unauthorized response without calling the authorizer Lambda function";
# a simple response {"isAuthorized": false} is 403 Forbidden; the authorizer's context reaches the
# integration as requestContext.authorizer.lambda; the result is cached per identity source values
# for the authorizer's TTL (0 turns the cache off; at most 3600 s); an authorizer that fails or
# answers in another shape is 500.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
# https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers-authorizerid.html
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-httpapi-lambdaauthorizer.html
UNAUTHORIZED_MESSAGE = "Unauthorized"
FORBIDDEN_MESSAGE = "Forbidden"
MAX_AUTHORIZER_TTL_S = 3600
