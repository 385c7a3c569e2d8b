// The two DOM helpers every view uses. Text goes in with textContent only (never innerHTML), so no
// order field can inject markup.

export const $ = (selector) => document.querySelector(selector);

export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
