"""A handler module whose import (the Lambda init phase) takes INIT_SLEEP_S seconds; with
INIT_MARKER_DIR set, each init leaves a file there, so a test can count the inits."""

import os
import time

if os.environ.get("INIT_MARKER_DIR"):
    open(os.path.join(os.environ["INIT_MARKER_DIR"], f"init-{os.getpid()}"), "w").close()
time.sleep(float(os.environ.get("INIT_SLEEP_S", "0")))

from app import count, sleep  # noqa: E402, F401 - the handlers, after the slow init
