// The pieces drawn in more than one place: a status badge, and the venues' quote bars.
import { el } from "./dom.js";
import { VENUES } from "./engine.js";
import { percent } from "./format.js";

// A status carries an icon and a word as well as a colour; a status the console has no icon for
// still shows its word.
export const ICONS = {
  open: "◷", pending: "…", routing: "⇆", building: "⚙", submitted: "↗", confirmed: "✓", failed: "✗", expired: "⌛", cancelled: "⊘",
  active: "▶", completed: "✓", partially_filled: "◑", skipped: "↷", // a parent's, and a slot it skipped
};

export function statusText(status) {
  return `${ICONS[status] || "•"} ${String(status).replace("_", " ")}`;
}

export function badge(node, status) {
  node.textContent = statusText(status);
  node.className = `badge status-${status}`;
}

export function renderBars(container, quotes, chosenDex, tokenOut) {
  container.replaceChildren();
  const byDex = Object.fromEntries((quotes || []).map((q) => [q.dex, q]));
  const amounts = Object.values(byDex).map((q) => Number(q.amountOut));
  const best = Math.max(...amounts, 0);
  for (const { name: dex, label } of VENUES) {
    const quote = byDex[dex];
    const row = el("div", null, "bar-row");
    row.append(el("span", label, "bar-label"));
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
