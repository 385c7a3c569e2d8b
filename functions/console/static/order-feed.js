// Following one order: a WebSocket subscription, and reads of the order when the stream is quiet.
// It trusts no single push (docs/clients.md): a quiet stream is followed by a read of the order
// (5 s, doubling to 1 min while nothing changes), a subscribe keeps the connection alive (API
// Gateway closes one idle for 10 minutes and counts messages, not pings) and repairs it after a
// lost push, a closed socket is opened again. Tests may shorten them (window.SOLROUTE_TIMINGS).
import { api, apiKey } from "./api.js";
import { websocketUrl } from "./engine.js";

const TIMINGS = Object.freeze({
  quietFirstMs: 5000, quietMaxMs: 60000, keepAliveMs: 300000, reconnectFirstMs: 500, reconnectMaxMs: 10000,
  ...(window.SOLROUTE_TIMINGS || {}),
});
// Error frames that a later subscribe may not meet again: the reads carry on meanwhile.
const PASSING_ERRORS = new Set(["STORE_BUSY", "TOO_MANY_SUBSCRIBERS", "SERVICE_UNAVAILABLE"]);

export class OrderFeed {
  // receive(message): true when the message (a snapshot or a status_update) showed something new;
  // isFinal(): the order needs following no more; note(text): how the following goes.
  constructor(orderId, { receive, isFinal, note }) {
    this.orderId = orderId;
    this.hooks = { receive, isFinal };
    this.note = note;
    this.socket = null;
    this.closed = false;
    this.retries = 0;
    this.lastHeard = this.lastSent = Date.now();
    this.quietMs = TIMINGS.quietFirstMs;
    this.timer = null;
    this.connect();
    this.schedule();
  }

  connect() {
    if (!websocketUrl) {
      this.note("This stack names no WebSocket URL: following by reading the order.");
      return;
    }
    const url = new URL(websocketUrl);
    url.searchParams.set("apiKey", apiKey()); // browsers cannot set headers on a WebSocket
    this.note("Connecting…");
    const socket = new WebSocket(url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.retries = 0;
      this.note("Live: following over the WebSocket.");
      this.subscribe();
      this.schedule(); // the keepalive counts from now
    });
    socket.addEventListener("message", (event) => {
      this.lastHeard = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      if (this.deliver(message)) this.quietMs = TIMINGS.quietFirstMs;
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
      if (this.closed || this.hooks.isFinal()) return;
      if (!opened && this.retries >= 3) { // refused each time: most likely the key (reads go on)
        this.note("Could not connect to the WebSocket API (check the API key); following by reading the order.");
        return;
      }
      // Reconnect; the new subscription's snapshot fills whatever was missed meanwhile.
      const delay = Math.min(TIMINGS.reconnectMaxMs, TIMINGS.reconnectFirstMs * 2 ** this.retries++);
      this.note(`Connection lost; reconnecting in ${(delay / 1000).toFixed(1)} s…`);
      setTimeout(() => this.closed || this.connect(), delay);
    });
  }

  subscribe() {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    this.lastSent = Date.now();
    this.socket.send(JSON.stringify({ action: "subscribe", orderId: this.orderId }));
  }

  // One timer for the two rules on time: a read when the stream is quiet, a keepalive subscribe.
  schedule() {
    clearTimeout(this.timer);
    if (this.closed || this.hooks.isFinal()) return;
    const now = Date.now();
    // No open socket, no keepalive: a new one subscribes as it opens (the reads go on meanwhile).
    const open = this.socket && this.socket.readyState === WebSocket.OPEN;
    const next = Math.min(this.lastHeard + this.quietMs, open ? this.lastSent + TIMINGS.keepAliveMs : Infinity);
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now));
  }

  async tick() {
    if (this.closed || this.hooks.isFinal()) return;
    if (Date.now() >= this.lastHeard + this.quietMs) await this.read();
    if (Date.now() >= this.lastSent + TIMINGS.keepAliveMs) this.subscribe();
    if (!this.closed) this.schedule();
  }

  async read() {
    this.lastHeard = Date.now(); // the next read waits a whole quiet period again
    let order;
    try {
      order = await api("GET", `/api/orders/${encodeURIComponent(this.orderId)}`);
    } catch (error) {
      if ([400, 401, 403, 404].includes(error.status)) {
        this.note(`Could not read the order: ${error.message}`);
        this.close();
        return;
      }
      this.quietMs = Math.min(TIMINGS.quietMaxMs, this.quietMs * 2); // busy or away: ask again later
      return;
    }
    if (this.closed) return;
    if (this.deliver({ type: "snapshot", order, history: order.history || [] })) {
      this.quietMs = TIMINGS.quietFirstMs;
      this.subscribe(); // the stream missed it, so the engine dropped this connection: back on
    } else {
      this.quietMs = Math.min(TIMINGS.quietMaxMs, this.quietMs * 2);
    }
  }

  // A message (or a read); true when it showed a status not shown before.
  deliver(message) {
    if (this.closed) return false;
    if (message.type === "error") {
      if (PASSING_ERRORS.has((message.error || {}).code)) return false;
      this.note(`The engine refused: ${message.error.message}`);
      this.close();
      return false;
    }
    return this.hooks.receive(message);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }
}
