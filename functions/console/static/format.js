// Words and numbers as the console shows them.
import { addDecimals } from "./decimal.js";

export function capital(word) {
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : "";
}

export function venueName(dexes) {
  return String(dexes || "?").split("+").map(capital).join(" + ");
}

export function percent(fraction, digits = 3) {
  const value = Number(fraction);
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : "–";
}

export function shortId(id) {
  return id ? `${id.slice(0, 8)}…` : "";
}

export function slippageText(slippage) {
  // The engine's slippage is (quoted - received) / quoted: above 0 is a worse fill than quoted.
  const value = Number(slippage);
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "0% (exactly as quoted)";
  return `${percent(Math.abs(value))} ${value > 0 ? "worse" : "better"} than quoted`;
}

export function feeText(legs) {
  // Summed per token on the decimal strings, exactly as the engine reports them.
  const byToken = {};
  for (const leg of legs || []) byToken[leg.tokenIn] = addDecimals(byToken[leg.tokenIn] || "0", leg.fee);
  const parts = Object.entries(byToken).map(([token, fee]) => `${fee} ${token}`);
  return parts.length ? parts.join(" + ") : "–";
}

// A price as shown: 8 significant digits (the engine's carry 12 places); the exact one goes in a title.
export function shortPrice(text) {
  const value = Number(text);
  return text !== null && text !== undefined && Number.isFinite(value) ? String(Number(value.toPrecision(8))) : "–";
}
