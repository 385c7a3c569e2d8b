"""UpdateExpressions parsed once per text, not twice per call.

moto (checked against 5.2.6, the version pyproject allows: >=5.1,<6) parses an UpdateItem's
UpdateExpression in its handler (to check the placeholders it names) and again in its backend,
on every call, though the engine sends a handful of expression texts over and over. The tree
depends on the text alone: placeholders (``#n``, ``:v``) stay nodes until the validator resolves
them, on its own deep copy (``Validator.__init__``), so no call changes the tree it was given and
one tree per text serves every call, whatever names and values come with it. A text that fails
to parse raises each time, as before (lru_cache keeps only answers).

tests/localcloud/test_dynamodb_parse_cache.py checks the tree is shared and never changed, that
calls with the same text and different names or values each get their own answer, and fails when
moto's parser moves.
"""

from __future__ import annotations

from functools import lru_cache

from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

_CACHE_SIZE = 512  # distinct texts kept: the engine sends a few dozen


def install() -> None:
    """Replace moto's UpdateExpressionParser.make with a cached one (once per process)."""
    if getattr(UpdateExpressionParser.make, "cached", False):
        return
    original = UpdateExpressionParser.__dict__["make"].__func__  # moto's own classmethod

    @lru_cache(maxsize=_CACHE_SIZE)
    def make(expression: str):  # type: ignore[no-untyped-def]
        return original(UpdateExpressionParser, expression)

    def cached(cls, expression: str):  # type: ignore[no-untyped-def]
        # A subclass parses into its own nodes: only moto's parser itself is cached.
        return make(expression) if cls is UpdateExpressionParser else original(cls, expression)

    cached.cached = True  # type: ignore[attr-defined]
    cached.cache_info = make.cache_info  # type: ignore[attr-defined]
    UpdateExpressionParser.make = classmethod(cached)  # type: ignore[method-assign,assignment]
