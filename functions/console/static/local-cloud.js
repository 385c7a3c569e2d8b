// What only the local cloud has: its health (which names a demo key) and the engine's counters.
import { $, el } from "./dom.js";

export async function localCloud(path) {
  try {
    const response = await fetch(path);
    return response.ok ? await response.json() : null;
  } catch (_) {
    return null; // a deployed stack has no such page
  }
}

export async function refreshStats() {
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
