// The order on screen: its status timeline, badge, venue quotes, route, fill and failure, kept up
// to date by an OrderFeed; the address (#order=<id>) names it, so a reload shows it again.
import { $, el } from "./dom.js";
import { FINAL } from "./engine.js";
import { capital, feeText, percent, slippageText, venueName } from "./format.js";
import { refreshStats } from "./local-cloud.js";
import { OrderFeed } from "./order-feed.js";
import { OrderState } from "./order-state.js";
import { cancellable, cancelOrder, orders } from "./orders.js";
import { isParent, planText, renderParentLink, renderStrategy } from "./strategy-view.js";
import { wallet } from "./wallet.js";
import { badge, renderBars, statusText } from "./widgets.js";

class OrderView {
  constructor(orderId) {
    this.orderId = orderId;
    this.state = new OrderState(orderId);
    $("#timeline").replaceChildren();
    for (const id of ["#order-quotes", "#order-route", "#order-fill", "#order-failure", "#order-cancel", "#order-strategy", "#order-parent"]) $(id).hidden = true;
    $("#order").hidden = false;
    $("#order-title").textContent = `Order ${this.orderId}`;
    badge($("#order-badge"), "pending");
    $("#order-pair").textContent = "";
    this.feed = new OrderFeed(orderId, {
      receive: (message) => this.receive(message),
      isFinal: () => this.state.isFinal(),
      note: (text) => this.note(text),
    });
  }

  // A snapshot or a status_update; true when it showed a status not shown before.
  receive(message) {
    const steps = this.state.take(message);
    for (const step of steps) this.addStep(step);
    this.render();
    return steps.length > 0;
  }

  close() {
    this.feed.close();
  }

  note(text) {
    $("#order-connection").textContent = text;
  }

  addStep(step) {
    const order = this.state.order;
    const first = order && order.history && order.history.length ? order.history[0].timestampMs : step.timestampMs;
    const item = el("li", null, `step status-${step.status}`);
    item.dataset.status = step.status;
    item.dataset.seq = step.seq;
    item.append(el("span", `+${((step.timestampMs - first) / 1000).toFixed(3)} s`, "offset"));
    item.append(el("span", statusText(step.status), "step-status"));
    item.append(el("span", step.message || "", "step-message"));
    $("#timeline").append(item);
  }

  render() {
    const order = this.state.order;
    if (!order) return;
    badge($("#order-badge"), order.status);
    const kind = isParent(order) ? planText(order)
      : order.type === "limit" ? `limit ${order.limitPrice} ${order.tokenOut} per ${order.tokenIn}` : `slippage ${percent(order.slippage, 1)}`;
    $("#order-pair").textContent = `${order.amountIn} ${order.tokenIn} → ${order.tokenOut}, ${kind}`;
    const cancel = $("#order-cancel");
    cancel.hidden = !cancellable(order);
    cancel.disabled = false;
    cancel.onclick = async () => {
      const answer = await cancelOrder(order.orderId, cancel, $("#order-connection"));
      // The answer is the order as the engine left it (a parent may still be active, its cancel
      // requested): shown at once, as a read of the order would be.
      if (answer && answer.orderId === this.orderId && !this.feed.closed) this.receive({ type: "snapshot", order: answer, history: answer.history || [] });
    };
    renderParentLink(order);
    if (isParent(order)) {
      renderStrategy(order);
      this.ended(order);
      return;
    }
    if (order.routing || (order.quotes && order.quotes.length)) {
      $("#order-quotes").hidden = false;
      renderBars($("#order-bars"), order.quotes, order.routing && order.routing.dex, order.tokenOut);
    }
    if (order.routing) this.renderRoute(order);
    if (order.execution && order.execution.amountOut) this.renderFill(order);
    const failure = $("#order-failure");
    const ended = FINAL.has(order.status) && order.status !== "confirmed"; // final without a fill
    const last = (order.history || []).at(-1);
    failure.hidden = !ended;
    failure.textContent = !ended ? "" : order.failureReason ? `${capital(order.status)}: ${order.failureReason}` : (last && last.message) || capital(order.status);
    this.ended(order);
  }

  ended(order) {
    if (this.state.isFinal()) {
      this.note(`Final: ${order.status}. Reload the page to see this order again.`);
      this.close();
      orders.load();
      wallet.load(); // its balances moved (or, failed on chain, paid nothing)
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
      ...chainFacts(execution),
    ];
    const list = $("#fill");
    list.replaceChildren();
    for (const [name, value] of facts) list.append(el("dt", name), el("dd", value));
  }
}

function signed(amount) {
  return String(amount).startsWith("-") ? String(amount) : `+${amount}`;
}

// On a Solana chain: the slot it landed in, the network fee, how the wallet's balances moved.
function chainFacts(execution) {
  const facts = [];
  if (execution.slot !== undefined && execution.slot !== null) facts.push(["Slot", String(execution.slot)]);
  if (execution.networkFee) facts.push(["Network fee", `${execution.networkFee} SOL`]);
  if (execution.balanceChanges) {
    const moved = Object.entries(execution.balanceChanges).map(([token, amount]) => `${signed(amount)} ${token}`);
    facts.push(["Wallet change", moved.length ? moved.join(", ") : "nothing moved"]);
  }
  return facts;
}

let current = null;

export function followed() {
  return current && current.orderId;
}

export function follow(orderId) {
  if (current) current.close();
  if (location.hash !== `#order=${orderId}`) history.replaceState(null, "", `#order=${orderId}`);
  current = new OrderView(orderId);
}

export function forgetView() {
  // Another key (or none): nothing of the previous key's stays on screen.
  orders.reset();
  wallet.reset();
  if (current) current.close();
  current = null;
  $("#order").hidden = true;
  if (location.hash) history.replaceState(null, "", location.pathname);
}
