// The API key form: save, forget, and on the local cloud its demo key.
import { apiKey, forgetKey, keepKey, keptKeyIsDemo } from "./api.js";
import { $ } from "./dom.js";
import { forgetView } from "./order-view.js";
import { orders } from "./orders.js";
import { wallet } from "./wallet.js";

function showKeyNote(text) {
  $("#key-note").textContent = text;
}

function saveKey(key, note, isDemo) {
  if (!key) {
    showKeyNote("Enter a key first.");
    return;
  }
  const previous = apiKey();
  keepKey(key, isDemo);
  $("#api-key").value = key;
  showKeyNote(note);
  if (previous && previous !== key) forgetView(); // nothing of another key's stays on screen
  orders.load();
  wallet.load();
}

export function offerDemoKey(demoKey) {
  $("#key-demo").hidden = false;
  $("#key-demo").addEventListener("click", () => saveKey(demoKey, "Using the local cloud's demo key.", true));
  if (!apiKey()) saveKey(demoKey, "Using the local cloud's demo key (remembered in this browser).", true);
  else if (keptKeyIsDemo() && apiKey() !== demoKey) {
    // A restarted local cloud starts empty, with a new demo key: the old one is refused everywhere.
    saveKey(demoKey, "The local cloud restarted (its orders and keys are gone): using its new demo key.", true);
  }
}

export function setupKey() {
  const input = $("#api-key");
  input.value = apiKey();
  if (!apiKey()) showKeyNote("Enter your API key (solroute keys create) to trade.");
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveKey(input.value.trim(), "Key saved in this browser.", false);
  });
  $("#key-forget").addEventListener("click", () => {
    forgetKey();
    input.value = "";
    forgetView();
    showKeyNote("Key forgotten.");
  });
}
