"""Reading orders back: one by id, or the caller's orders newest first. Only the order's owner
sees it: another owner's order is "not found", exactly as an unknown one."""

from __future__ import annotations

import re

from solroute.models.errors import InvalidRequest, OrderNotFound
from solroute.models.order import Order
from solroute.models.requests import ListOrdersQuery
from solroute.ports import OrderRepository, Page

_ORDER_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def check_order_id(order_id: str) -> str:
    if not _ORDER_ID.match(order_id or ""):
        raise InvalidRequest("orderId must be a UUID such as 3f2b8c1e-0d4a-4c55-9a57-1b2c3d4e5f60", {"orderId": order_id})
    return order_id


class OrderQueries:
    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    def get(self, order_id: str, owner: str) -> Order:
        order = self.orders.get(check_order_id(order_id))
        if order is None or order.owner is None or order.owner != owner:
            raise OrderNotFound(f"no order with id {order_id}", {"orderId": order_id})
        return order

    def list(self, owner: str, query: ListOrdersQuery) -> Page:
        return self.orders.list_by_owner(owner, query.limit, query.cursor, query.wallet)
