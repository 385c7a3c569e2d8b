// What functions/console/app.py wrote into the page: the stack's WebSocket URL, and the engine's
// constants from the engine's own definitions (its final and cancellable statuses, its venues),
// so the console keeps no copy of them, as it keeps none of the token table.

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const engine = JSON.parse(meta("solroute-engine"));

export const websocketUrl = meta("solroute-websocket");
export const FINAL = new Set(engine.finalStatuses); // solroute.models.status.FINAL_STATUSES
export const CANCELLABLE = new Set(engine.cancellableStatuses); // solroute.models.status.CANCELLABLE
export const VENUES = engine.venues; // [{ name, label }], in the engine's order (solroute.dex.seeds)
