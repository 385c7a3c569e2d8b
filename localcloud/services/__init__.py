"""The AWS services the local cloud emulates, one package each, named after the service:
awslambda (Lambda: the runtime, the Invoke API, event source mappings), dynamodb (DynamoDB and
DynamoDB Streams), sqs, http (API Gateway's HTTP API), websocket (API Gateway's WebSocket API) and
eventbridge (schedules). Each is laid out as moto and LocalStack lay a service out: its state
(backend), its API operations, its errors (one class per AWS error), its named limits
(constants) and its wire protocol (transport). `lambda` is a Python keyword: moto's name,
awslambda, stands in for it."""
