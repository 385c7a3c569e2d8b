// A parent order (TWAP or recurring) on screen: its plan, a progress bar of filled vs total, the
// running average price against the arrival price (shortfall in bps), each slot's child fill or
// skip, and a chart of the fills. Every total is the strategy object's own, from the latest
// snapshot or push (order-state.js): nothing here is counted from pushes.
import { $, el } from "./dom.js";
import { FINAL } from "./engine.js";
import { shortId, shortPrice } from "./format.js";
import { priceChart } from "./price-chart.js";
import { badge } from "./widgets.js";

export const KIND_NAMES = { twap: "TWAP", recurring: "Recurring", sniper: "Sniper" };

export function isParent(order) {
  return Boolean(order && order.strategy);
}

export function duration(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return `${seconds} s`;
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (s >= size && s % size === 0) return `${s / size} ${unit}`;
  }
  return `${s} s`;
}

// "TWAP: 10 slices of 1 SOL every 30 s, each at least 140 USDC per SOL"
export function planText(order) {
  const s = order.strategy;
  const per = `${order.tokenOut} per ${order.tokenIn}`;
  if (s.kind === "sniper") {
    // A sniper's maxPrice is the most tokenIn it pays per tokenOut (the buy's worst price).
    const depth = s.minLiquidity ? ` holding at least ${s.minLiquidity} of its quote token` : "";
    return `Sniper: buys ${order.tokenOut} with ${s.sliceAmount} ${order.tokenIn} once its pool appears${depth}, at most ${s.maxPrice} ${order.tokenIn} per ${order.tokenOut}`;
  }
  // A recurring order's runs are its slices (strategy.slices, strategy.sliceAmount).
  const noun = s.kind === "recurring" ? `run${s.slices === 1 ? "" : "s"}` : "slices";
  let text = `${KIND_NAMES[s.kind] || s.kind}: ${s.slices} ${noun} of ${s.sliceAmount} ${order.tokenIn} every ${duration(s.intervalSeconds)}`;
  if (s.limitPrice) text += `, each at least ${s.limitPrice} ${per}`;
  if (s.minPrice || s.maxPrice) text += `, only between ${s.minPrice || "0"} and ${s.maxPrice || "∞"} ${per}`;
  return text;
}

// "2 of 10 filled": the list's and the progress text's count.
export function filledText(s) {
  return `${s.filled} of ${s.slices} filled`;
}

function fraction(part, whole) {
  const value = Number(part) / Number(whole);
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function shortfallText(bps) {
  if (bps === null || bps === undefined) return "–";
  const value = Number(bps);
  if (value === 0) return "0 bps (as at arrival)";
  // shortfall = (arrival - average) / arrival: above 0 the fills paid less than the arrival price.
  return `${String(bps).replace(/^-/, "")} bps ${value > 0 ? "worse" : "better"} than at arrival`;
}

function renderProgress(order) {
  const s = order.strategy;
  const part = fraction(s.filledIn, order.amountIn);
  const percent = Math.round(part * 1000) / 10;
  const bar = $("#strategy-progress");
  bar.setAttribute("aria-valuenow", String(percent));
  bar.dataset.filledIn = s.filledIn;
  bar.firstElementChild.style.width = `${part * 100}%`;
  bar.className = `progress status-${order.status}`;
  const noun = s.kind === "recurring" ? "runs" : "slices";
  $("#strategy-progress-text").textContent =
    `${s.filledIn} of ${order.amountIn} ${order.tokenIn} sold (${percent}%) · ${s.filled} of ${s.slices} ${noun} filled`;
}

function renderFacts(order) {
  const s = order.strategy;
  const per = `${order.tokenOut} per ${order.tokenIn}`;
  const facts = [
    ["Received", `${s.filledOut} ${order.tokenOut}`],
    ["Average price", s.averagePrice ? `${shortPrice(s.averagePrice)} ${per}` : "– (no fill yet)", s.averagePrice],
    ["Arrival price", s.arrivalPrice ? `${shortPrice(s.arrivalPrice)} ${per}` : "– (not judged yet)", s.arrivalPrice],
    ["Shortfall", shortfallText(s.shortfallBps)],
    ["Fees", `${s.fees} ${order.tokenIn}${s.networkFees && Number(s.networkFees) ? ` + ${s.networkFees} SOL network` : ""}`],
    // A recurring order's skipped runs are not retried (its maxRetries is 0): count them instead.
    s.kind === "recurring"
      ? ["Skipped runs", String((s.skipped || []).length)]
      : ["Unfilled slots", `${s.retriesUsed} (at most ${s.maxRetries})`],
  ];
  if (order.status === "active" && s.cancelRequested) {
    facts.push(["Cancel", "requested: the slice in flight finishes, no new one starts"]);
  } else if (order.status === "active" && s.nextAtMs) {
    facts.push(["Next", `slot ${s.nextSlot} at ${new Date(s.nextAtMs).toLocaleTimeString()}`]);
  }
  const list = $("#strategy-facts");
  list.replaceChildren();
  for (const [name, value, exact] of facts) {
    const term = el("dt", name);
    const detail = el("dd", value);
    detail.dataset.fact = name;
    if (exact) detail.title = exact;
    list.append(term, detail);
  }
}

function renderSlots(order) {
  const s = order.strategy;
  const rows = [
    ...(s.children || []).map((child) => ({ ...child, kind: "child" })),
    ...(s.skipped || []).map((skip) => ({ ...skip, kind: "skip" })),
  ].sort((a, b) => a.slot - b.slot || (a.atMs || 0) - (b.atMs || 0));
  const body = $("#strategy-slots tbody");
  body.replaceChildren();
  for (const entry of rows) {
    const row = el("tr", null, `slot-${entry.kind}`);
    row.dataset.slot = entry.slot;
    row.dataset.kind = entry.kind;
    row.append(el("td", String(entry.slot)), el("td", entry.atMs ? new Date(entry.atMs).toLocaleTimeString() : "–"));
    const link = el("td");
    const state = el("td");
    const mark = el("span");
    if (entry.kind === "child") {
      const to = el("a", shortId(entry.orderId));
      to.href = `#order=${entry.orderId}`;
      to.setAttribute("aria-label", `Child order ${entry.orderId}`);
      link.append(to);
      badge(mark, entry.status);
      state.append(mark);
      row.append(link, el("td", `${entry.amountIn} ${order.tokenIn}`), el("td", entry.amountOut ? `${entry.amountOut} ${order.tokenOut}` : "–"),
        priceCell(entry.price), state);
    } else {
      badge(mark, "skipped");
      state.append(mark);
      row.append(el("td", "–"), el("td", "–"), el("td", "–"), el("td", "–"), state);
    }
    if (entry.reason) state.append(el("span", ` ${entry.reason}`, "slot-reason"));
    body.append(row);
  }
}

function priceCell(price) {
  const cell = el("td", shortPrice(price));
  if (price) cell.title = price;
  return cell;
}

export function renderStrategy(order) {
  const s = order.strategy;
  $("#order-strategy").hidden = false;
  renderProgress(order);
  renderFacts(order);
  renderSlots(order);
  const fills = (s.children || []).filter((child) => child.status === "confirmed" && child.price);
  priceChart($("#strategy-chart"), fills, s.arrivalPrice, `${order.tokenOut} per ${order.tokenIn}`);
  // The end: the final history entry says how it went (totals and shortfall); a note, not an alert,
  // since a completed or partly filled parent did trade.
  const end = $("#strategy-end");
  const last = (order.history || []).at(-1);
  end.hidden = !FINAL.has(order.status);
  end.textContent = end.hidden ? "" : (last && last.message) || order.status;
}

// A child order (parentId set): which slot of which parent, with a link to the parent.
export function renderParentLink(order) {
  const line = $("#order-parent");
  line.hidden = !order.parentId;
  if (!order.parentId) return;
  const to = el("a", `parent order ${shortId(order.parentId)}`);
  to.href = `#order=${order.parentId}`;
  to.setAttribute("aria-label", `Parent order ${order.parentId}`);
  line.replaceChildren(`Slot ${order.slot === undefined || order.slot === null ? "?" : order.slot} of `, to);
}
