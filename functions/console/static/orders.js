// My orders: GET /api/orders, newest first, a page at a time; View and Cancel on each row.
import { api, apiKey } from "./api.js";
import { $, el } from "./dom.js";
import { CANCELLABLE } from "./engine.js";
import { shortId } from "./format.js";
import { badge } from "./widgets.js";

const PAGE_SIZE = 10;

export async function cancelOrder(orderId, button, note) {
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
      view.addEventListener("click", () => this.view(order.orderId));
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

export function setupOrders(view) {
  orders.view = view;
  $("#orders-refresh").addEventListener("click", () => orders.load());
  $("#orders-older").addEventListener("click", () => orders.load(orders.page + 1));
  $("#orders-newer").addEventListener("click", () => orders.load(Math.max(0, orders.page - 1)));
}
