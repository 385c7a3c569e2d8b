"""A handler whose init leaves what a fork must not copy (HAZARD=thread: a running thread;
HAZARD=socket: an open socket)."""

import os
import socket
import threading

INIT_PID = os.getpid()
if os.environ.get("HAZARD") == "thread":
    threading.Thread(target=threading.Event().wait, daemon=True).start()
if os.environ.get("HAZARD") == "socket":
    CONNECTION = socket.socket()


def handler(event, context):
    return {"pid": os.getpid(), "initPid": INIT_PID}
