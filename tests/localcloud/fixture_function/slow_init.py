"""A handler module whose import (the Lambda init phase) takes INIT_SLEEP_S seconds."""

import os
import time

time.sleep(float(os.environ.get("INIT_SLEEP_S", "0")))

from app import count, sleep  # noqa: E402, F401 - the handlers, after the slow init
