"""Authorizer functions (and an echo integration) for the local cloud's authorizer tests (not part of the application).
The key decides: "good" is allowed (with a context), "boom" fails, "odd" answers in a shape API
Gateway cannot read, anything else is denied."""

import json


def simple(event, context):
    """An HTTP API authorizer with simple responses (payload 2.0); echoes what it was given."""
    key = event["identitySource"][0] if event["identitySource"] else "good"
    if key == "boom":
        raise RuntimeError("the authorizer failed")
    if key == "odd":
        return {"allowed": "yes"}
    return {"isAuthorized": key == "good", "context": {"owner": "alice", "routeArn": event["routeArn"], "type": event["type"]}}


def policy(event, context):
    """A WebSocket $connect authorizer answering an IAM policy for the methodArn."""
    key = (event.get("queryStringParameters") or {}).get("apiKey")
    if key == "boom":
        raise RuntimeError("the authorizer failed")
    effect = "Allow" if key == "good" else "Deny"
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
    return {"principalId": "alice", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}, "context": {"owner": "alice", "eventType": event["requestContext"]["eventType"]}}


def echo(event, context):
    """The routes' integration: answers with the event it was given."""
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
