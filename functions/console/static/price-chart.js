// A parent order's fills on a small chart of price over time: inline SVG, no library. A point per
// confirmed child at (its time, its price), joined in time order, and a dashed line at the arrival
// price, the price the parent's shortfall is measured against.

import { shortPrice } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 120;
const PAD = { left: 4, right: 4, top: 10, bottom: 10 };

function node(tag, attributes, text) {
  const made = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
  if (text !== undefined) made.textContent = text;
  return made;
}

// [low, high] with some room around the prices, and never empty (one price, or all equal).
function span(values) {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const room = Math.max((high - low) * 0.15, Math.abs(high) * 0.001, 1e-9);
  return [low - room, high + room];
}

// fills: [{ atMs, price, slot }] (confirmed children); arrival: the arrival price or null; unit: "USDC per SOL".
export function priceChart(container, fills, arrival, unit) {
  container.replaceChildren();
  const points = fills.filter((f) => Number.isFinite(Number(f.price)) && Number.isFinite(Number(f.atMs)))
    .map((f) => ({ ...f, x: Number(f.atMs), y: Number(f.price) }))
    .sort((a, b) => a.x - b.x);
  const arrivalValue = arrival === null || arrival === undefined ? NaN : Number(arrival);
  const prices = points.map((p) => p.y).concat(Number.isFinite(arrivalValue) ? [arrivalValue] : []);
  const summary = points.length
    ? `${points.length} fill${points.length === 1 ? "" : "s"} from ${shortPrice(Math.min(...points.map((p) => p.y)))} to ${shortPrice(Math.max(...points.map((p) => p.y)))} ${unit}` +
      (Number.isFinite(arrivalValue) ? `; arrival price ${shortPrice(arrival)}` : "")
    : "No fill yet";
  const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `Price of each fill over time: ${summary}` });
  svg.append(node("rect", { class: "chart-frame", x: 0.5, y: 0.5, width: WIDTH - 1, height: HEIGHT - 1 }));
  container.append(svg);
  if (!prices.length) {
    svg.append(node("text", { class: "chart-label", x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle" }, "no fill yet"));
    return;
  }
  const [low, high] = span(prices);
  const first = points.length ? points[0].x : 0;
  const last = points.length ? points.at(-1).x : 0;
  const x = (ms) => (last === first ? WIDTH / 2 : PAD.left + ((ms - first) / (last - first)) * (WIDTH - PAD.left - PAD.right));
  const y = (price) => PAD.top + ((high - price) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);
  svg.append(node("text", { class: "chart-label", x: PAD.left + 2, y: 9 }, shortPrice(high.toPrecision(6))));
  svg.append(node("text", { class: "chart-label", x: PAD.left + 2, y: HEIGHT - 2 }, shortPrice(low.toPrecision(6))));
  if (Number.isFinite(arrivalValue)) {
    const at = y(arrivalValue);
    svg.append(node("line", { class: "chart-arrival", x1: 0, x2: WIDTH, y1: at, y2: at, "data-price": arrival }));
    svg.append(node("text", { class: "chart-label", x: WIDTH - PAD.right - 2, y: at - 2, "text-anchor": "end" }, `arrival ${shortPrice(arrival)}`));
  }
  if (points.length > 1) {
    svg.append(node("polyline", { class: "chart-line", points: points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ") }));
  }
  for (const p of points) {
    const dot = node("circle", { class: "chart-point", cx: x(p.x).toFixed(1), cy: y(p.y).toFixed(1), r: 3.5, "data-slot": p.slot, "data-price": p.price, "data-at-ms": p.atMs });
    dot.append(node("title", {}, `Slot ${p.slot + 1}: ${shortPrice(p.price)} ${unit} at ${new Date(p.x).toLocaleTimeString()}`));
    svg.append(dot);
  }
}
