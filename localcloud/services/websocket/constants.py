"""API Gateway's WebSocket API: the limits and fixed behaviours the local cloud emulates, each with
the AWS documentation it comes from. Where AWS documents nothing, the note says what the value
rests on instead."""

# "WebSocket frame size: 32 KB" and "Message payload size: 128 KB": "a message larger than 32 KB
# must be split into multiple frames, each 32 KB or smaller. This applies to @connections commands.
# If a larger message (or larger frame size) is received, the connection is closed with code 1009."
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-routes-integrations.html
MAX_FRAME_BYTES = 32 * 1024
MAX_MESSAGE_BYTES = 128 * 1024
CLOSE_MESSAGE_TOO_BIG = 1009

# PostToConnection's Data is a blob of at most 131,072 bytes; more is PayloadTooLargeException,
# HTTP 413 ("The data has exceeded the maximum size allowed."). botocore's service model,
# botocore/data/apigatewaymanagementapi/2018-11-29/service-2.json, and
# https://docs.aws.amazon.com/botocore/latest/reference/services/apigatewaymanagementapi/client/exceptions/PayloadTooLargeException.html
MAX_POST_BYTES = 131_072

# "Currently binary payloads are not supported. If a binary frame is received, the connection is
# closed with code 1003."
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-routes-integrations.html
CLOSE_UNSUPPORTED_DATA = 1003

# "Idle Connection Timeout: 10 minutes" and "Connection duration for WebSocket API: 2 hours".
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
# What counts as activity is not documented: a message either way (a client's, or an @connections
# post) does, a protocol-level ping does not, as users find (andyrichardson/subscriptionless#3).
IDLE_TIMEOUT_S = 10 * 60
MAX_CONNECTION_DURATION_S = 2 * 60 * 60
# The close code of both is not documented either: 1001, what an endpoint sends when it is "going
# away" (RFC 6455, section 7.4.1).
CLOSE_GOING_AWAY = 1001

# "API Gateway calls the $connect route when a persistent connection between the client and a
# WebSocket API is being initiated" and "the $disconnect route when the client or the server
# disconnects". A message goes to the route whose key the selection expression evaluates to; "If
# there is no match, and a route with the $default route key exists, that route is selected. If no
# routes match the evaluated value, and there is no $default route, the service returns an error."
# So $connect and $disconnect are never a message's route.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
CONNECT_ROUTE = "$connect"
DISCONNECT_ROUTE = "$disconnect"
DEFAULT_ROUTE = "$default"
LIFECYCLE_ROUTES = frozenset({CONNECT_ROUTE, DISCONNECT_ROUTE})

# The error frames API Gateway sends a client (errors.gateway_frame): "Forbidden" when no route
# matches, "Internal server error" when the route's integration fails (the function raised or
# timed out). AWS documents neither frame; their wire form is as clients receive it, e.g.
# `{"message": "Internal server error", "connectionId":"VNRUSeldSwMCIRQ=", "requestId":"VNRXVFJOywMF3-Q="}`
# (aws-samples/simple-websockets-chat-app#24 and #42, nearst/laconia#41, architect/architect#1093).
NO_ROUTE_MESSAGE = "Forbidden"
INTEGRATION_FAILED_MESSAGE = "Internal server error"

# A $disconnect event's disconnectReason for a normal close; any other code says "Going away".
NORMAL_CLOSE = 1000

# A REQUEST authorizer on $connect (the only route one may have): "If a specified identity source is
# missing, null, or empty, API Gateway returns a 401 Unauthorized response without calling the
# authorizer"; the authorizer's event carries methodArn arn:aws:execute-api:region:account-id:api-id/
# stage-name/$connect; it answers an IAM policy (principalId, policyDocument, optional context) and a
# Deny refuses the handshake with 403; an authorizer that fails or answers in another shape is 500.
# principalId and the context's keys reach every route's event of the connection as
# requestContext.authorizer. Context values are strings, numbers or booleans, never objects or
# arrays. WebSocket APIs do not cache authorizer results (AuthorizerResultTtlInSeconds is
# "Supported only for HTTP API Lambda authorizers").
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
# https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers-authorizerid.html
UNAUTHORIZED_STATUS, UNAUTHORIZED_MESSAGE = 401, "Unauthorized"
FORBIDDEN_STATUS, FORBIDDEN_MESSAGE = 403, "Forbidden"
AUTHORIZER_FAILED_STATUS, AUTHORIZER_FAILED_MESSAGE = 500, "Internal Server Error"
