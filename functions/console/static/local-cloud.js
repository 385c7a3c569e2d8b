// What only the local cloud has: its health (which names a demo key), the engine's counters and
// the template's alarms as the local cloud evaluates them.
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
  if (stats.alarms && Object.keys(stats.alarms).length) await refreshAlarms();
  return true;
}

// Each alarm's state; one in ALARM first, with CloudWatch's reason and the runbook to follow.
async function refreshAlarms() {
  const answer = await localCloud("/_localcloud/alarms");
  if (!answer) return;
  const order = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };
  const alarms = [...answer.alarms].sort((a, b) => order[a.state] - order[b.state] || a.logicalId.localeCompare(b.logicalId));
  const firing = alarms.filter((a) => a.state === "ALARM").length;
  $("#alarms-summary").textContent = firing ? `${firing} of ${alarms.length} alarms firing.` : `No alarm firing (${alarms.length} watched).`;
  const list = $("#alarms-list");
  list.replaceChildren();
  for (const alarm of alarms) {
    const item = el("li", null, `alarm alarm-${alarm.state.toLowerCase()}`);
    item.dataset.alarm = alarm.logicalId;
    item.append(el("strong", alarm.logicalId.replace(/Alarm$/, "")), " ", el("span", alarm.state, "alarm-state"));
    if (alarm.state === "ALARM") {
      item.append(el("p", alarm.reason, "note"));
      if (alarm.runbook) item.append(el("p", `Runbook: docs/operations.md#${alarm.runbook}`, "note"));
    }
    list.append(item);
  }
}
