// One order as the console knows it, built from the subscription's snapshots, reads of the order
// (handled as snapshots) and live status_updates. Each status is taken once and in seq order: a
// snapshot holds the whole history up to its seq; a live update can overtake it, so an update past
// the next expected seq waits (as the CLI's watch.InOrder does).
import { FINAL } from "./engine.js";

export class OrderState {
  constructor(orderId) {
    this.orderId = orderId;
    this.order = null;
    this.lastSeq = 0;
    this.waiting = new Map();
  }

  isFinal() {
    return this.order !== null && FINAL.has(this.order.status);
  }

  // A snapshot or a status_update: the history steps it made ready, in seq order (none: nothing new).
  take(message) {
    const ready = [];
    if (message.type === "snapshot") {
      if (!this.order || message.order.seq >= this.order.seq) this.order = message.order;
      for (const step of message.history) this.queue(step.seq, step, null, ready);
    } else if (message.type === "status_update" && message.orderId === this.orderId) {
      this.queue(message.seq, message, message, ready);
    }
    return ready;
  }

  queue(seq, step, update, ready) {
    if (seq > this.lastSeq && !this.waiting.has(seq)) this.waiting.set(seq, { step, update });
    while (this.waiting.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      const { step: next, update: live } = this.waiting.get(this.lastSeq);
      this.waiting.delete(this.lastSeq);
      if (live) this.apply(live);
      ready.push(next);
    }
  }

  apply(update) {
    // A live update carries what that step produced; fold it into the order the snapshot gave.
    const order = this.order;
    if (!order || update.seq <= order.seq) return;
    const data = update.data || {};
    order.status = update.status;
    order.seq = update.seq;
    order.history = [...(order.history || []), { status: update.status, seq: update.seq, timestampMs: update.timestampMs, message: update.message }];
    if (data.strategy) {
      order.strategy = withStrategy(order.strategy, data);
    } else if (update.status === "building") {
      order.quotes = data.quotes || order.quotes;
      order.routing = data.routing || order.routing;
    } else if (update.status === "submitted") {
      order.transaction = { ...(order.transaction || {}), signature: data.txSignature, dex: data.dex, minAmountOut: data.minAmountOut };
    } else if (update.status === "confirmed") {
      const { route, ...execution } = data;
      order.execution = execution;
    } else if (update.status === "failed") {
      order.failureReason = data.reason;
      order.execution = data.execution || order.execution;
    } else if (update.status === "expired" || update.status === "cancelled") {
      order.failureReason = data.reason || null; // the broadcast may leave it out: the step's message says it
    }
  }
}

// A parent's push: the strategy's totals as the engine has them now (taken whole, never added up
// here), and the one child or skipped slot the change is about, put in its place in the lists the
// snapshot gave (the push leaves the lists out).
function withStrategy(previous, { strategy, child, skip }) {
  const children = [...((previous && previous.children) || [])];
  const skipped = [...((previous && previous.skipped) || [])];
  if (child) {
    const at = children.findIndex((c) => c.orderId === child.orderId);
    if (at >= 0) children[at] = child;
    else children.push(child);
  }
  if (skip && !skipped.some((s) => s.slot === skip.slot && s.atMs === skip.atMs)) skipped.push(skip);
  return { ...strategy, children, skipped };
}
