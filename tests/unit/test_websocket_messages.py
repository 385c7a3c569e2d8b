"""Every WebSocket message is built with its model (solroute.models.websocket_messages): no
producer writes one by hand, so none can drift from what the docs and the CLI read."""

import ast
from pathlib import Path

import solroute
from solroute.models.websocket_messages import TYPES, ErrorMessage, Snapshot, StatusUpdate, read_message

ROOT = Path(solroute.__file__).resolve().parents[3]
PRODUCERS = [*(ROOT / "layers/engine/solroute").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]


def _hand_written_messages(path: Path) -> list[int]:
    """Lines of dict literals with a "type" key naming a WebSocket message."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "type" and isinstance(value, ast.Constant) and value.value in TYPES:
                    found.append(node.lineno)
    return found


def test_no_producer_writes_a_websocket_message_by_hand():
    assert len(PRODUCERS) > 50
    assert {str(p.relative_to(ROOT)): lines for p in PRODUCERS if (lines := _hand_written_messages(p))} == {}


def test_the_models_are_the_only_types_and_read_back_what_they_write():
    assert {m.model_fields["type"].default for m in (StatusUpdate, Snapshot, ErrorMessage)} == set(TYPES)
    error = ErrorMessage.of("NO_ORDER", "name an orderId to subscribe to").frame()
    assert error == {"type": "error", "error": {"code": "NO_ORDER", "message": "name an orderId to subscribe to", "details": {}}}
    assert read_message(error) == ErrorMessage.of("NO_ORDER", "name an orderId to subscribe to")
