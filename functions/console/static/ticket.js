// The order ticket: the body the API documents, a quote preview, and the order it submits.
// Apart from the venues, nothing is checked here: the API's own message is shown.
import { api } from "./api.js";
import { percentToFraction } from "./decimal.js";
import { $, el } from "./dom.js";
import { VENUES } from "./engine.js";
import { follow } from "./order-view.js";
import { orders } from "./orders.js";
import { renderBars } from "./widgets.js";

class TicketError extends Error {}

const AMOUNT_LABELS = { market: "Amount to sell", limit: "Amount to sell", twap: "Total to sell", recurring: "Amount to sell per run" };

let preview = null; // { quoteId, ticket }: the quote shown, and the ticket it was asked for

function ticketFields() {
  const form = $("#ticket");
  const value = (name) => form.elements[name].value.trim();
  const fraction = (name) => percentToFraction(value(name)); // entered in percent, sent as a fraction
  const fields = { tokenIn: value("tokenIn"), tokenOut: value("tokenOut"), amountIn: value("amountIn") };
  if (value("slippage") !== "") fields.slippage = fraction("slippage");
  if (value("maxPriceImpact") !== "") fields.maxPriceImpact = fraction("maxPriceImpact");
  const venues = [...form.querySelectorAll('input[name="dex"]:checked')].map((box) => box.value);
  if (!venues.length) throw new TicketError("Tick at least one venue."); // an empty list would mean any venue
  if (venues.length !== VENUES.length) fields.dexes = venues.join(",");
  return fields;
}

// A count or a number of seconds: a whole number goes as a number, anything else as typed, for the
// API to refuse with its own message.
function whole(text) {
  return /^\d+$/.test(text) ? Number(text) : text;
}

// A parent order's own fields (docs/api.md): a TWAP slices the ticket's amount, a recurring order
// sells the ticket's amount at each run. Optional prices go only when entered.
function strategyFields(type, fields) {
  const form = $("#ticket");
  const value = (name) => form.elements[name].value.trim();
  const optional = (name, field) => { if (value(name) !== "") fields[field] = value(name); };
  fields.type = type;
  if (type === "twap") {
    fields.slices = whole(value("slices"));
    fields.intervalSeconds = whole(value("twapIntervalSeconds"));
    optional("sliceLimitPrice", "limitPrice");
  } else {
    fields.amountPerRun = fields.amountIn; // no amountIn: the engine works the total out (amountPerRun x runs)
    delete fields.amountIn;
    fields.intervalSeconds = whole(value("runIntervalSeconds"));
    fields.runs = whole(value("runs"));
    optional("minPrice", "minPrice");
    optional("maxPrice", "maxPrice");
  }
  return fields;
}

function orderFields() {
  const form = $("#ticket");
  const fields = ticketFields();
  const type = form.elements.type.value;
  if (preview && preview.quoteId && preview.ticket === JSON.stringify(fields) && type === "market") {
    fields.quoteId = preview.quoteId; // the order must pay at least the quote's minimum, or fail
  }
  if (type === "twap" || type === "recurring") return strategyFields(type, fields);
  if (type === "limit") {
    fields.type = "limit";
    fields.limitPrice = form.elements.limitPrice.value.trim();
    fields.timeInForceSeconds = Number(form.elements.timeInForceSeconds.value);
  } else if (form.elements.deadline.value) {
    fields.deadline = form.elements.deadline.value;
  }
  return fields;
}

function showTicketError(error) {
  const box = $("#ticket-error");
  box.replaceChildren(el("strong", error.message));
  if (Array.isArray(error.details) && error.details.length > 1) {
    const list = el("ul");
    for (const d of error.details) list.append(el("li", `${d.field}: ${d.message}`));
    box.append(list);
  }
  box.hidden = false;
}

function clearTicketError() {
  $("#ticket-error").hidden = true;
  $("#ticket-error").replaceChildren();
}

async function previewQuote() {
  clearTicketError();
  try {
    const fields = ticketFields();
    const answer = await api("GET", "/api/quote", { params: fields });
    preview = { quoteId: answer.quoteId, ticket: JSON.stringify(fields) };
    $("#quote").hidden = false;
    renderBars($("#quote-bars"), answer.venues, answer.route.dexes, answer.tokenOut);
    const route = answer.route;
    $("#quote-route").textContent =
      `Best route: ${route.kind} ${route.description}: ${route.amountOut} ${answer.tokenOut} (at least ${route.minAmountOut}); ${answer.reason}.`;
    $("#quote-note").textContent = answer.quoteId
      ? `Submitting this ticket unchanged as a market order until ${new Date(answer.expiresAtMs).toLocaleTimeString()} holds it to at least ${route.minAmountOut} ${answer.tokenOut}, or it fails.`
      : `No binding quote: ${answer.problem || "the engine gave none"}.`;
  } catch (error) {
    showTicketError(error);
  }
}

async function submitOrder(event) {
  event.preventDefault();
  clearTicketError();
  const button = $("#submit");
  button.disabled = true;
  try {
    const accepted = await api("POST", "/api/orders/execute", { body: orderFields() });
    preview = null;
    follow(accepted.orderId);
    orders.load();
  } catch (error) {
    showTicketError(error);
  } finally {
    button.disabled = false;
  }
}

export function setupTicket() {
  const form = $("#ticket");
  const syncType = () => {
    const type = form.elements.type.value;
    $("#limit-fields").hidden = type !== "limit";
    $("#market-fields").hidden = type !== "market";
    $("#twap-fields").hidden = type !== "twap";
    $("#recurring-fields").hidden = type !== "recurring";
    $("#amount-label").textContent = AMOUNT_LABELS[type];
    const unit = `(${form.elements.tokenOut.value || "?"} per ${form.elements.tokenIn.value || "?"})`;
    for (const span of form.querySelectorAll(".unit")) span.textContent = unit;
  };
  for (const radio of form.elements.type) radio.addEventListener("change", syncType);
  form.addEventListener("input", () => { // a changed ticket is no longer the one quoted
    preview = null;
    $("#quote").hidden = true;
  });
  form.elements.tokenIn.addEventListener("input", syncType);
  form.elements.tokenOut.addEventListener("input", syncType);
  $("#flip").addEventListener("click", () => {
    [form.elements.tokenIn.value, form.elements.tokenOut.value] = [form.elements.tokenOut.value, form.elements.tokenIn.value];
    syncType();
  });
  $("#preview").addEventListener("click", previewQuote);
  form.addEventListener("submit", submitOrder);
  syncType();
}
