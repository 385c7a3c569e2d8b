"""Load a function from functions/<dir>/app.py the way Lambda would: with its own
environment (resolved from template.yaml) and fresh module state."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from solroute import services, settings
from solroute.dal.dynamodb.items import item_fields

from localcloud.resources import Deployed
from localcloud.services.awslambda.context import LambdaContext
from localcloud.template import Template

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def event(name: str, **replace: str) -> dict:
    """A sample event from events/, with placeholder values swapped for real ones."""
    text = (EVENTS / name).read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return json.loads(text)


def stored(item: dict) -> dict:
    """A stored order item as one dict: top-level attributes and its JSON document."""
    return item_fields(item)


def reset_caches() -> None:
    settings.settings.cache_clear()
    for value in vars(services).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


class Lambda:
    def __init__(self, template: Template, deployed: Deployed, logical_id: str, monkeypatch: Any) -> None:
        self.spec = template.functions()[logical_id]
        self.env = deployed.environment(template, self.spec.environment)
        self.monkeypatch = monkeypatch
        self._activate()
        code_dir = str(self.spec.code_dir)
        module_name, _, self.handler_name = self.spec.handler.rpartition(".")
        monkeypatch.syspath_prepend(code_dir)
        for name in list(sys.modules):  # sibling modules of another function's app.py
            mod = getattr(sys.modules[name], "__file__", None) or ""
            if mod.startswith(str(ROOT / "functions")):
                del sys.modules[name]
        spec = importlib.util.spec_from_file_location(f"{logical_id}_{module_name}", self.spec.code_dir / f"{module_name}.py")
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)

    def _activate(self) -> None:
        for key, value in self.env.items():
            self.monkeypatch.setenv(key, value)
        reset_caches()

    def __call__(self, event: dict) -> Any:
        self._activate()
        context = LambdaContext(self.spec.logical_id, self.spec.memory, self.spec.timeout)
        return getattr(self.module, self.handler_name)(event, context)
