// solroute console: an order ticket, a live view of one order over the WebSocket, the key's wallet, my orders and,
// on the local cloud, the engine's counters. ES modules, no framework and no build step; this one
// wires them together (docs/console.md has the map).
import { offerDemoKey, setupKey } from "./key.js";
import { localCloud, refreshStats } from "./local-cloud.js";
import { follow, followed } from "./order-view.js";
import { orders, setupOrders } from "./orders.js";
import { setupTicket } from "./ticket.js";
import { setupWallet, wallet } from "./wallet.js";

const STATS_EVERY_MS = 5000;

function orderInAddress() {
  const match = /^#order=([\w-]+)$/.exec(location.hash);
  return match && match[1];
}

async function main() {
  setupTicket();
  setupOrders(follow);
  setupWallet();
  setupKey();
  orders.load();
  wallet.load();
  const health = await localCloud("/_localcloud/health");
  if (health && health.demoKey) offerDemoKey(health.demoKey);
  if (orderInAddress()) follow(orderInAddress());
  window.addEventListener("hashchange", () => {
    const next = orderInAddress();
    if (next && followed() !== next) follow(next);
  });
  if (await refreshStats()) {
    setInterval(() => document.visibilityState === "visible" && refreshStats(), STATS_EVERY_MS);
  }
}

main();
