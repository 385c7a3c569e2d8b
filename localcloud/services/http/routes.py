"""An HTTP API route (`GET /api/orders/{orderId}`, `ANY /{proxy+}`) and how a request matches it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from localcloud.template import AuthorizerSpec


@dataclass
class HttpRoute:
    method: str  # GET, POST, ..., or ANY
    path: str  # /api/orders/{orderId}, /{proxy+}
    function: str  # logical id
    authorizer: AuthorizerSpec | None = None  # a Lambda authorizer runs before the function

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def _pattern(self) -> re.Pattern:
        parts = []
        for segment in self.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "$")

    def match(self, method: str, path: str) -> dict | None:
        if self.method not in ("ANY", method):
            return None
        found = self._pattern().match(path)
        return found.groupdict() if found else None

    @property
    def specificity(self) -> tuple:
        segments = self.path.strip("/").split("/")
        return (sum(not s.startswith("{") for s in segments), -sum(s.endswith("+}") for s in segments), len(segments), self.method != "ANY")
