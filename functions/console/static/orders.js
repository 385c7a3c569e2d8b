// My orders: GET /api/orders, newest first, a page at a time; View and Cancel on each row.
import { api, apiKey } from "./api.js";
import { $, el } from "./dom.js";
import { CANCELLABLE } from "./engine.js";
import { shortId } from "./format.js";
import { filledText, isParent, KIND_NAMES } from "./strategy-view.js";
import { badge } from "./widgets.js";

const PAGE_SIZE = 10;

// The engine's cancellable statuses (a parent's "active" among them), but not a parent whose cancel
// was already requested: it stays active until its child in flight lands, and a second DELETE
// would change nothing.
export function cancellable(order) {
  return CANCELLABLE.has(order.status) && !(isParent(order) && order.strategy.cancelRequested);
}

// What the DELETE answered, truthfully: a parent with a child still routing stays active, its
// cancel requested, and ends cancelled once that child lands.
function cancelledText(orderId, answer) {
  const strategy = answer && answer.strategy;
  if (!answer || answer.status === "cancelled") return `Order ${shortId(orderId)} cancelled.`;
  if (strategy && strategy.cancelRequested) {
    const child = strategy.inflight ? ` (child ${shortId(strategy.inflight)})` : "";
    return `Cancel requested for order ${shortId(orderId)}: the slice in flight${child} finishes first, then it ends cancelled; no new slice starts.`;
  }
  return `Order ${shortId(orderId)} is ${answer.status}.`;
}

// DELETE /api/orders/{id}; the order as the API answered it, or null when it refused.
export async function cancelOrder(orderId, button, note) {
  button.disabled = true;
  let answer = null;
  try {
    answer = await api("DELETE", `/api/orders/${encodeURIComponent(orderId)}`);
    note.textContent = cancelledText(orderId, answer);
  } catch (error) {
    note.textContent = `Not cancelled: ${error.message}`;
    button.disabled = false;
  }
  orders.load();
  return answer;
}

// The trade column: a parent's plan, a child's slot with a link to its parent.
function tradeCell(order) {
  const cell = el("td", `${order.amountIn} ${order.tokenIn} → ${order.tokenOut}`);
  if (order.type === "limit") cell.append(` (limit ${order.limitPrice})`);
  if (isParent(order)) cell.append(el("span", ` ${KIND_NAMES[order.strategy.kind] || order.strategy.kind}`, "muted"));
  if (order.parentId) {
    const parent = el("a", `parent ${shortId(order.parentId)}`);
    parent.href = `#order=${order.parentId}`;
    parent.setAttribute("aria-label", `Parent order ${order.parentId}`);
    cell.append(el("br"), `slot ${order.slot + 1} of `, parent);
  }
  return cell;
}

function receivedText(order) {
  if (isParent(order)) return `${order.strategy.filledOut} ${order.tokenOut} · ${filledText(order.strategy)}`;
  return order.execution && order.execution.amountOut ? `${order.execution.amountOut} ${order.tokenOut}` : "–";
}

export const orders = {
  cursors: [null], // the cursor of each page seen: [first page, second, ...]
  page: 0,
  request: 0, // only the latest request's answer is shown
  view: () => {}, // what View does with an order id (console.js: follow it)

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
      row.append(tradeCell(order));
      const status = el("td");
      const mark = el("span");
      badge(mark, order.status);
      status.append(mark);
      row.append(status);
      row.append(el("td", receivedText(order)));
      const actions = el("td", null, "row-actions");
      const view = el("button", "View");
      view.type = "button";
      view.setAttribute("aria-label", `View order ${order.orderId}`);
      view.addEventListener("click", () => this.view(order.orderId));
      actions.append(view);
      if (cancellable(order)) {
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

export function setupOrders(view) {
  orders.view = view;
  $("#orders-refresh").addEventListener("click", () => orders.load());
  $("#orders-older").addEventListener("click", () => orders.load(orders.page + 1));
  $("#orders-newer").addEventListener("click", () => orders.load(Math.max(0, orders.page - 1)));
}
