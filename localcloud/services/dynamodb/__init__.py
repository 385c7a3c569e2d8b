"""DynamoDB and DynamoDB Streams: moto's backends (tables, items, streams and their errors, all
moto's own) served by a lean front of ours, in a child process of the local cloud.

server.py is that front (`python -m localcloud.services.dynamodb.server`); endpoint.py starts and
stops it from the cloud (and waits for any AWS endpoint to answer); long_poll.py is the one thing
it answers differently from DynamoDB (GetRecords held until a record arrives), and bill.py what
DynamoDB would bill for its requests (`solroute up --meter`).

Nothing is imported here: the child process sets moto's settings before it imports moto, and the
stream poller reads long_poll.py without importing moto."""
