"""API Gateway's WebSocket API: route selection, the route functions' events, connections with their
limits and lifetimes, and the @connections management API the functions post through.

api.py holds what the API does (routes, events, connections, @connections operations),
connection.py a connection's state, transport.py the wire (aiohttp), errors.py API Gateway's
errors and error frames, and constants.py its limits with the documentation they come from."""

from localcloud.services.websocket.api import WebSocketApi, select_route

__all__ = ["WebSocketApi", "select_route"]
