// solroute console: an order ticket, a live view of one order over the WebSocket, my orders and,
// on the local cloud, the engine's counters. No framework and no build step: the DOM is built with
// textContent only (never innerHTML), so no order field can inject markup.
"use strict";

const KEY_STORAGE = "solroute.apiKey";
const DEMO_KEY_STORAGE = "solroute.apiKeyIsDemo"; // the key kept is the local cloud's demo key, which a restart changes
const FINAL = new Set(["confirmed", "failed", "expired", "cancelled"]);
const CANCELLABLE = new Set(["open", "pending"]);
const VENUES = ["raydium", "meteora"];
const ICONS = { open: "◷", pending: "…", routing: "⇆", building: "⚙", submitted: "↗", confirmed: "✓", failed: "✗", expired: "⌛", cancelled: "⊘" };
const PAGE_SIZE = 10;
const STATS_EVERY_MS = 5000;
// Following an order trusts no single push (docs/clients.md): a quiet stream is followed by a read
// of the order (5 s, doubling to 5 min while nothing changes), a subscribe keeps the connection
// alive (API Gateway closes one idle for 10 minutes and counts messages, not pings) and repairs it
// after a lost push, a closed socket is opened again. Tests may shorten them (window.SOLROUTE_TIMINGS).
const TIMINGS = Object.freeze({
  quietFirstMs: 5000, quietMaxMs: 60000, keepAliveMs: 300000, reconnectFirstMs: 500, reconnectMaxMs: 10000,
  ...(window.SOLROUTE_TIMINGS || {}),
});
// Error frames that a later subscribe may not meet again: the reads carry on meanwhile.
const PASSING_ERRORS = new Set(["STORE_BUSY", "TOO_MANY_SUBSCRIBERS", "SERVICE_UNAVAILABLE"]);

const $ = (selector) => document.querySelector(selector);
const websocketUrl = document.querySelector('meta[name="solroute-websocket"]').content;

// ------------------------------------------------------------------ small helpers
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function capital(word) {
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : "";
}

function venueName(dexes) {
  return String(dexes || "?").split("+").map(capital).join(" + ");
}

function percent(fraction, digits = 3) {
  const value = Number(fraction);
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : "–";
}

// Decimal strings, exactly (a float would send 1.1% as 0.011000000000000001, which the API refuses).
function decimalParts(text) {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  return match ? { sign: match[1], whole: match[2] || "0", fraction: match[3] || "" } : null;
}

function percentToFraction(text) {
  // "1.1" -> "0.011"; anything that is not a plain decimal goes to the API as it is, to be refused there.
  const parts = decimalParts(text);
  if (!parts) return String(text).trim();
  const digits = (parts.whole.padStart(3, "0") + parts.fraction).replace(/^0+(?=\d)/, "");
  const scale = parts.fraction.length + 2;
  const padded = digits.padStart(scale + 1, "0");
  const fraction = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`.replace(/\.?0+$/, "");
  return parts.sign + (fraction === "" ? "0" : fraction);
}

function addDecimals(a, b) {
  const [x, y] = [decimalParts(a), decimalParts(b)];
  if (!x || !y) return NaN;
  const scale = Math.max(x.fraction.length, y.fraction.length);
  const units = (p) => BigInt(p.sign + p.whole + p.fraction.padEnd(scale, "0"));
  const sum = (units(x) + units(y)).toString();
  const negative = sum.startsWith("-");
  const digits = (negative ? sum.slice(1) : sum).padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (negative ? "-" : "") + text;
}

function shortId(id) {
  return id ? `${id.slice(0, 8)}…` : "";
}

function badge(node, status) {
  node.textContent = `${ICONS[status] || "•"} ${status}`;
  node.className = `badge status-${status}`;
}

class TicketError extends Error {}

class ApiError extends Error {
  constructor(status, body) {
    // The engine's {"error": {...}}, or API Gateway's own {"message": "..."} (a refused key, no route).
    const error = (body && body.error) || {};
    let message = error.message || (body && typeof body.message === "string" && body.message) || (typeof body === "string" && body) || `HTTP ${status}`;
    if (Array.isArray(error.details) && error.details.length && !error.message) {
      message = error.details.map((d) => `${d.field}: ${d.message}`).join("; ");
    }
    super(message);
    this.status = status;
    this.code = error.code || "";
    this.details = error.details;
  }
}

// ------------------------------------------------------------------ the API
function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

async function api(method, path, { params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { "x-api-key": apiKey() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (_) { /* not JSON: keep the text */ }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

// ------------------------------------------------------------------ the key
function showKeyNote(text) {
  $("#key-note").textContent = text;
}

function offerDemoKey(demoKey) {
  $("#key-demo").hidden = false;
  $("#key-demo").addEventListener("click", () => saveKey(demoKey, "Using the local cloud's demo key.", true));
  if (!apiKey()) saveKey(demoKey, "Using the local cloud's demo key (remembered in this browser).", true);
  else if (localStorage.getItem(DEMO_KEY_STORAGE) && apiKey() !== demoKey) {
    // A restarted local cloud starts empty, with a new demo key: the old one is refused everywhere.
    saveKey(demoKey, "The local cloud restarted (its orders and keys are gone): using its new demo key.", true);
  }
}

function setupKey() {
  const input = $("#api-key");
  input.value = apiKey();
  if (!apiKey()) showKeyNote("Enter your API key (solroute keys create) to trade.");
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveKey(input.value.trim(), "Key saved in this browser.", false);
  });
  $("#key-forget").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORAGE);
    localStorage.removeItem(DEMO_KEY_STORAGE);
    input.value = "";
    forgetView();
    showKeyNote("Key forgotten.");
  });
}

function saveKey(key, note, isDemo) {
  if (!key) {
    showKeyNote("Enter a key first.");
    return;
  }
  const previous = apiKey();
  localStorage.setItem(KEY_STORAGE, key);
  if (isDemo) localStorage.setItem(DEMO_KEY_STORAGE, "1");
  else localStorage.removeItem(DEMO_KEY_STORAGE);
  $("#api-key").value = key;
  showKeyNote(note);
  if (previous && previous !== key) forgetView(); // nothing of another key's stays on screen
  orders.load();
}

// ------------------------------------------------------------------ the ticket
function ticketFields() {
  const form = $("#ticket");
  const value = (name) => form.elements[name].value.trim();
  const fraction = (name) => percentToFraction(value(name));
  const fields = { tokenIn: value("tokenIn"), tokenOut: value("tokenOut"), amountIn: value("amountIn") };
  if (value("slippage") !== "") fields.slippage = fraction("slippage");
  if (value("maxPriceImpact") !== "") fields.maxPriceImpact = fraction("maxPriceImpact");
  const venues = [...form.querySelectorAll('input[name="dex"]:checked')].map((box) => box.value);
  if (!venues.length) throw new TicketError("Tick at least one venue.");
  if (venues.length !== VENUES.length) fields.dexes = venues.join(",");
  return fields;
}

let preview = null; // { quoteId, ticket }: the quote shown, and the ticket it was asked for

function orderFields() {
  const form = $("#ticket");
  const fields = ticketFields();
  if (preview && preview.quoteId && preview.ticket === JSON.stringify(fields) && form.elements.type.value === "market") {
    fields.quoteId = preview.quoteId; // the order must pay at least the quote's minimum, or fail
  }
  if (form.elements.type.value === "limit") {
    fields.type = "limit";
    fields.limitPrice = form.elements.limitPrice.value.trim();
    fields.timeInForceSeconds = Number(form.elements.timeInForceSeconds.value);
  } else if (form.elements.deadline.value) {
    fields.deadline = form.elements.deadline.value;
  }
  return fields;
}

function showTicketError(error) {
  const box = $("#ticket-error");
  box.replaceChildren(el("strong", error.message));
  if (Array.isArray(error.details) && error.details.length > 1) {
    const list = el("ul");
    for (const d of error.details) list.append(el("li", `${d.field}: ${d.message}`));
    box.append(list);
  }
  box.hidden = false;
}

function clearTicketError() {
  $("#ticket-error").hidden = true;
  $("#ticket-error").replaceChildren();
}

function renderBars(container, quotes, chosenDex, tokenOut) {
  container.replaceChildren();
  const byDex = Object.fromEntries((quotes || []).map((q) => [q.dex, q]));
  const amounts = Object.values(byDex).map((q) => Number(q.amountOut));
  const best = Math.max(...amounts, 0);
  for (const dex of VENUES) {
    const quote = byDex[dex];
    const row = el("div", null, "bar-row");
    row.append(el("span", capital(dex), "bar-label"));
    const track = el("span", null, "bar-track");
    const bar = el("span", null, `bar bar-${dex}`);
    bar.style.width = quote && best > 0 ? `${Math.max(2, (100 * Number(quote.amountOut)) / best)}%` : "0";
    track.append(bar);
    row.append(track);
    let text = quote ? `${quote.amountOut} ${tokenOut}, impact ${percent(quote.priceImpact)}` : "no quote (no pool, or the venue did not answer)";
    if (quote && chosenDex && chosenDex.split("+").includes(dex)) text += " ✓ chosen";
    row.append(el("span", text, "bar-value"));
    container.append(row);
  }
}

async function previewQuote() {
  clearTicketError();
  try {
    const fields = ticketFields();
    const answer = await api("GET", "/api/quote", { params: fields });
    preview = { quoteId: answer.quoteId, ticket: JSON.stringify(fields) };
    $("#quote").hidden = false;
    renderBars($("#quote-bars"), answer.venues, answer.route.dexes, answer.tokenOut);
    const route = answer.route;
    $("#quote-route").textContent =
      `Best route: ${route.kind} ${route.description}: ${route.amountOut} ${answer.tokenOut} (at least ${route.minAmountOut}); ${answer.reason}.`;
    $("#quote-note").textContent = answer.quoteId
      ? `Submitting this ticket unchanged as a market order until ${new Date(answer.expiresAtMs).toLocaleTimeString()} holds it to at least ${route.minAmountOut} ${answer.tokenOut}, or it fails.`
      : `No binding quote: ${answer.problem || "the engine gave none"}.`;
  } catch (error) {
    showTicketError(error);
  }
}

async function submitOrder(event) {
  event.preventDefault();
  clearTicketError();
  const button = $("#submit");
  button.disabled = true;
  try {
    const accepted = await api("POST", "/api/orders/execute", { body: orderFields() });
    preview = null;
    follow(accepted.orderId);
    orders.load();
  } catch (error) {
    showTicketError(error);
  } finally {
    button.disabled = false;
  }
}

function setupTicket() {
  const form = $("#ticket");
  const syncType = () => {
    const limit = form.elements.type.value === "limit";
    $("#limit-fields").hidden = !limit;
    $("#market-fields").hidden = limit;
    $("#limit-unit").textContent = `(${form.elements.tokenOut.value || "?"} per ${form.elements.tokenIn.value || "?"})`;
  };
  for (const radio of form.elements.type) radio.addEventListener("change", syncType);
  form.addEventListener("input", () => { // a changed ticket is no longer the one quoted
    preview = null;
    $("#quote").hidden = true;
  });
  form.elements.tokenIn.addEventListener("input", syncType);
  form.elements.tokenOut.addEventListener("input", syncType);
  $("#flip").addEventListener("click", () => {
    [form.elements.tokenIn.value, form.elements.tokenOut.value] = [form.elements.tokenOut.value, form.elements.tokenIn.value];
    syncType();
  });
  $("#preview").addEventListener("click", previewQuote);
  form.addEventListener("submit", submitOrder);
  syncType();
}

// ------------------------------------------------------------------ one order, live
// Each status is shown once and in seq order. The subscription's snapshot holds the whole history
// up to its seq; a live update can overtake it, so an update past the next expected seq waits. A
// read of the order (GET) is handled as a snapshot.
class OrderView {
  constructor(orderId) {
    this.orderId = orderId;
    this.order = null;
    this.lastSeq = 0;
    this.waiting = new Map();
    this.socket = null;
    this.closed = false;
    this.retries = 0;
    this.lastHeard = this.lastSent = Date.now();
    this.quietMs = TIMINGS.quietFirstMs;
    this.timer = null;
    $("#timeline").replaceChildren();
    for (const id of ["#order-quotes", "#order-route", "#order-fill", "#order-failure", "#order-cancel"]) $(id).hidden = true;
    $("#order").hidden = false;
    $("#order-title").textContent = `Order ${this.orderId}`;
    badge($("#order-badge"), "pending");
    $("#order-pair").textContent = "";
    this.connect();
    this.schedule();
  }

  connect() {
    if (!websocketUrl) {
      this.note("This stack names no WebSocket URL: following by reading the order.");
      return;
    }
    const url = new URL(websocketUrl);
    url.searchParams.set("apiKey", apiKey());
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
      if (this.receive(message)) this.quietMs = TIMINGS.quietFirstMs;
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
      if (this.closed || this.isFinal()) return;
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
    if (this.closed || this.isFinal()) return;
    const now = Date.now();
    // No open socket, no keepalive: a new one subscribes as it opens (the reads go on meanwhile).
    const open = this.socket && this.socket.readyState === WebSocket.OPEN;
    const next = Math.min(this.lastHeard + this.quietMs, open ? this.lastSent + TIMINGS.keepAliveMs : Infinity);
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - now));
  }

  async tick() {
    if (this.closed || this.isFinal()) return;
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
    if (this.receive({ type: "snapshot", order, history: order.history || [] })) {
      this.quietMs = TIMINGS.quietFirstMs;
      this.subscribe(); // the stream missed it, so the engine dropped this connection: back on
    } else {
      this.quietMs = Math.min(TIMINGS.quietMaxMs, this.quietMs * 2);
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close();
  }

  note(text) {
    $("#order-connection").textContent = text;
  }

  isFinal() {
    return this.order !== null && FINAL.has(this.order.status);
  }

  // A message (or a read); true when it showed a status not shown before.
  receive(message) {
    if (this.closed) return false;
    if (message.type === "error") {
      if (PASSING_ERRORS.has((message.error || {}).code)) return false;
      this.note(`The engine refused: ${message.error.message}`);
      this.close();
      return false;
    }
    const before = this.lastSeq;
    if (message.type === "snapshot") {
      if (!this.order || message.order.seq >= this.order.seq) this.order = message.order;
      for (const step of message.history) this.queue(step.seq, step, null);
    } else if (message.type === "status_update" && message.orderId === this.orderId) {
      this.queue(message.seq, message, message);
    }
    this.render();
    return this.lastSeq > before;
  }

  queue(seq, step, update) {
    if (seq > this.lastSeq && !this.waiting.has(seq)) this.waiting.set(seq, { step, update });
    while (this.waiting.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      const { step: ready, update: live } = this.waiting.get(this.lastSeq);
      this.waiting.delete(this.lastSeq);
      if (live) this.apply(live);
      this.addStep(ready);
    }
  }

  apply(update) {
    // A live update carries what that step produced; fold it into the order the snapshot gave.
    const order = this.order;
    if (!order || update.seq <= order.seq) return;
    const data = update.data || {};
    order.status = update.status;
    order.seq = update.seq;
    order.history = [...(order.history || []), { status: update.status, seq: update.seq, timestampMs: update.timestampMs, message: update.message }];
    if (update.status === "building") {
      order.quotes = data.quotes || order.quotes;
      order.routing = data.routing || order.routing;
    } else if (update.status === "submitted") {
      order.transaction = { ...(order.transaction || {}), signature: data.txSignature, dex: data.dex, minAmountOut: data.minAmountOut };
    } else if (update.status === "confirmed") {
      const { route, ...execution } = data;
      order.execution = execution;
    } else if (update.status === "failed") {
      order.failureReason = data.reason;
      order.execution = data.execution || order.execution;
    } else if (update.status === "expired" || update.status === "cancelled") {
      order.failureReason = data.reason || null; // the broadcast may leave it out: the step's message says it
    }
  }

  addStep(step) {
    const first = this.order && this.order.history && this.order.history.length ? this.order.history[0].timestampMs : step.timestampMs;
    const item = el("li", null, `step status-${step.status}`);
    item.dataset.status = step.status;
    item.dataset.seq = step.seq;
    item.append(el("span", `+${((step.timestampMs - first) / 1000).toFixed(3)} s`, "offset"));
    item.append(el("span", `${ICONS[step.status] || "•"} ${step.status}`, "step-status"));
    item.append(el("span", step.message || "", "step-message"));
    $("#timeline").append(item);
  }

  render() {
    const order = this.order;
    if (!order) return;
    badge($("#order-badge"), order.status);
    const kind = order.type === "limit" ? `limit ${order.limitPrice} ${order.tokenOut} per ${order.tokenIn}` : `slippage ${percent(order.slippage, 1)}`;
    $("#order-pair").textContent = `${order.amountIn} ${order.tokenIn} → ${order.tokenOut}, ${kind}`;
    const cancel = $("#order-cancel");
    cancel.hidden = !CANCELLABLE.has(order.status);
    cancel.disabled = false;
    cancel.onclick = () => cancelOrder(order.orderId, cancel, $("#order-connection"));
    if (order.routing || (order.quotes && order.quotes.length)) {
      $("#order-quotes").hidden = false;
      renderBars($("#order-bars"), order.quotes, order.routing && order.routing.dex, order.tokenOut);
    }
    if (order.routing) this.renderRoute(order);
    if (order.execution && order.execution.amountOut) this.renderFill(order);
    const failure = $("#order-failure");
    const ended = ["failed", "expired", "cancelled"].includes(order.status);
    const last = (order.history || []).at(-1);
    failure.hidden = !ended;
    failure.textContent = !ended ? "" : order.failureReason ? `${capital(order.status)}: ${order.failureReason}` : (last && last.message) || capital(order.status);
    if (this.isFinal()) {
      this.note(`Final: ${order.status}. Reload the page to see this order again.`);
      this.close();
      orders.load();
      refreshStats();
    }
  }

  renderRoute(order) {
    const routing = order.routing;
    $("#order-route").hidden = false;
    const via = routing.via && routing.via.length ? ` via ${routing.via.join(", ")}` : "";
    $("#route-summary").textContent = `${routing.kind || "direct"} on ${venueName(routing.dex)}${via}: ${routing.reason}`;
    const executed = order.execution && order.execution.legs;
    const body = $("#legs tbody");
    body.replaceChildren();
    for (const leg of executed || routing.legs || []) {
      const row = el("tr");
      const received = leg.quotedAmountOut ? `${leg.amountOut} ${leg.tokenOut} (quoted ${leg.quotedAmountOut})` : `${leg.amountOut} ${leg.tokenOut}`;
      for (const text of [capital(leg.dex), `${leg.amountIn} ${leg.tokenIn}`, received, `${leg.fee} ${leg.tokenIn}`, percent(leg.priceImpact)]) row.append(el("td", text));
      body.append(row);
    }
  }

  renderFill(order) {
    const execution = order.execution;
    $("#order-fill").hidden = false;
    const facts = [
      ["Received", `${execution.amountOut} ${order.tokenOut}`],
      ["Quoted", execution.quotedAmountOut ? `${execution.quotedAmountOut} ${order.tokenOut}` : "–"],
      ["Price", execution.executedPrice ? `${Number(execution.executedPrice).toPrecision(8)} ${order.tokenOut} per ${order.tokenIn}` : "–"],
      ["Slippage", slippageText(execution.slippage)],
      ["Price impact", percent(execution.priceImpact)],
      ["Fees", feeText(execution.legs)],
      ["Transaction", execution.txHash || "–"],
    ];
    const list = $("#fill");
    list.replaceChildren();
    for (const [name, value] of facts) list.append(el("dt", name), el("dd", value));
  }
}

function slippageText(slippage) {
  // The engine's slippage is (quoted - received) / quoted: above 0 is a worse fill than quoted.
  const value = Number(slippage);
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "0% (exactly as quoted)";
  return `${percent(Math.abs(value))} ${value > 0 ? "worse" : "better"} than quoted`;
}

function feeText(legs) {
  const byToken = {};
  for (const leg of legs || []) byToken[leg.tokenIn] = addDecimals(byToken[leg.tokenIn] || "0", leg.fee);
  const parts = Object.entries(byToken).map(([token, fee]) => `${fee} ${token}`);
  return parts.length ? parts.join(" + ") : "–";
}

let current = null;

function forgetView() {
  // Another key (or none): nothing of the previous key's stays on screen.
  orders.reset();
  if (current) current.close();
  current = null;
  $("#order").hidden = true;
  if (location.hash) history.replaceState(null, "", location.pathname);
}

function follow(orderId) {
  if (current) current.close();
  if (location.hash !== `#order=${orderId}`) history.replaceState(null, "", `#order=${orderId}`);
  current = new OrderView(orderId);
}

async function cancelOrder(orderId, button, note) {
  button.disabled = true;
  try {
    await api("DELETE", `/api/orders/${encodeURIComponent(orderId)}`);
    note.textContent = `Order ${shortId(orderId)} cancelled.`;
  } catch (error) {
    note.textContent = `Not cancelled: ${error.message}`;
    button.disabled = false;
  }
  orders.load();
}

// ------------------------------------------------------------------ my orders
const orders = {
  cursors: [null], // the cursor of each page seen: [first page, second, ...]
  page: 0,
  request: 0, // only the latest request's answer is shown

  reset() {
    this.cursors = [null];
    this.page = 0;
    this.request += 1;
    $("#orders-table tbody").replaceChildren();
    $("#orders-note").textContent = "";
    $("#orders-older").disabled = $("#orders-newer").disabled = true;
  },

  async load(page = this.page) {
    if (!apiKey() || (page > 0 && !this.cursors[page])) return;
    const request = ++this.request;
    $("#orders-older").disabled = $("#orders-newer").disabled = true;
    try {
      const answer = await api("GET", "/api/orders", { params: { limit: PAGE_SIZE, cursor: this.cursors[page] } });
      if (request !== this.request) return; // a later request (another page, another key) wins
      this.page = page;
      this.cursors[page + 1] = answer.cursor;
      this.render(answer.orders);
      $("#orders-older").disabled = !answer.cursor;
      $("#orders-newer").disabled = page === 0;
    } catch (error) {
      if (request === this.request) $("#orders-note").textContent = `Could not list orders: ${error.message}`;
      $("#orders-newer").disabled = this.page === 0;
    }
  },

  render(list) {
    const body = $("#orders-table tbody");
    body.replaceChildren();
    const note = $("#orders-note");
    if (!list.length) note.textContent = "No orders yet.";
    else if (note.textContent === "No orders yet.") note.textContent = "";
    for (const order of list) {
      const row = el("tr");
      row.dataset.orderId = order.orderId;
      row.append(el("td", new Date(order.createdAt).toLocaleString()));
      row.append(el("td", `${order.amountIn} ${order.tokenIn} → ${order.tokenOut}${order.type === "limit" ? ` (limit ${order.limitPrice})` : ""}`));
      const status = el("td");
      const mark = el("span");
      badge(mark, order.status);
      status.append(mark);
      row.append(status);
      row.append(el("td", order.execution && order.execution.amountOut ? `${order.execution.amountOut} ${order.tokenOut}` : "–"));
      const actions = el("td", null, "row-actions");
      const view = el("button", "View");
      view.type = "button";
      view.setAttribute("aria-label", `View order ${order.orderId}`);
      view.addEventListener("click", () => follow(order.orderId));
      actions.append(view);
      if (CANCELLABLE.has(order.status)) {
        const cancel = el("button", "Cancel");
        cancel.type = "button";
        cancel.setAttribute("aria-label", `Cancel order ${order.orderId}`);
        cancel.addEventListener("click", () => cancelOrder(order.orderId, cancel, $("#orders-note")));
        actions.append(cancel);
      }
      row.append(actions);
      body.append(row);
    }
  },
};

function setupOrders() {
  $("#orders-refresh").addEventListener("click", () => orders.load());
  $("#orders-older").addEventListener("click", () => orders.load(orders.page + 1));
  $("#orders-newer").addEventListener("click", () => orders.load(Math.max(0, orders.page - 1)));
}

// ------------------------------------------------------------------ the local cloud
async function localCloud(path) {
  try {
    const response = await fetch(path);
    return response.ok ? await response.json() : null;
  } catch (_) {
    return null; // a deployed stack has no such page
  }
}

async function refreshStats() {
  const stats = await localCloud("/_localcloud/stats");
  if (!stats || !stats.functions) return false;
  $("#stats").hidden = false;
  const body = $("#stats-table tbody");
  body.replaceChildren();
  for (const [name, s] of Object.entries(stats.functions)) {
    const row = el("tr");
    const mean = s.invocations ? (s.durationMsTotal / s.invocations).toFixed(1) : "–";
    for (const text of [name.replace(/Function$/, ""), s.invocations, s.errors, s.coldStarts, mean]) row.append(el("td", text));
    body.append(row);
  }
  const ws = stats.websocket || {};
  $("#stats-summary").textContent =
    `So far: ${stats.httpRequests} HTTP requests; ${ws.connected || 0} WebSocket connections, ${ws.messagesOut || 0} messages out, ${ws.gone || 0} gone.`;
  return true;
}

async function main() {
  setupTicket();
  setupOrders();
  setupKey();
  orders.load();
  const health = await localCloud("/_localcloud/health");
  if (health && health.demoKey) offerDemoKey(health.demoKey);
  const match = /^#order=([\w-]+)$/.exec(location.hash);
  if (match) follow(match[1]);
  window.addEventListener("hashchange", () => {
    const next = /^#order=([\w-]+)$/.exec(location.hash);
    if (next && (!current || current.orderId !== next[1])) follow(next[1]);
  });
  if (await refreshStats()) {
    setInterval(() => document.visibilityState === "visible" && refreshStats(), STATS_EVERY_MS);
  }
}

main();
