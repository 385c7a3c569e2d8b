// The API key's wallet (GET /api/wallet): its address (shortened, with a copy button), the chain
// and every token's balance, loaded with the key, after each order ends, and on demand. A stack on
// the simulated ledger chain keeps no wallet: the panel says so in one line.
import { api, apiKey } from "./api.js";
import { $, el } from "./dom.js";

export function shortAddress(address) {
  return address && address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address || "";
}

function note(text) {
  $("#wallet-note").textContent = text;
}

export const wallet = {
  request: 0, // only the latest request's answer is shown
  address: "",

  reset() {
    this.request += 1; // an answer still on its way is for the previous key
    this.clear();
  },

  clear() {
    this.address = "";
    $("#wallet-head").hidden = true;
    $("#wallet-balances").hidden = true;
    $("#wallet-table tbody").replaceChildren();
    note("");
  },

  async load() {
    if (!apiKey()) return;
    const request = ++this.request;
    $("#wallet-refresh").disabled = true;
    try {
      const answer = await api("GET", "/api/wallet");
      if (request === this.request) this.render(answer);
    } catch (error) {
      if (request !== this.request) return;
      this.clear();
      note(error.code === "NO_WALLETS" ? "No wallet: this stack runs the simulated ledger chain, where orders settle without one." : `Could not read the wallet: ${error.message}`);
    } finally {
      if (request === this.request) $("#wallet-refresh").disabled = false;
    }
  },

  render(answer) {
    this.address = answer.address;
    $("#wallet-head").hidden = false;
    $("#wallet-address").textContent = shortAddress(answer.address);
    $("#wallet-address").title = answer.address;
    $("#wallet-chain").textContent = answer.chain === "local" ? "the local validator" : answer.chain;
    const body = $("#wallet-table tbody");
    body.replaceChildren();
    for (const balance of answer.balances) {
      const row = el("tr");
      row.dataset.token = balance.token;
      row.append(el("td", balance.token), el("td", balance.amount, "number"));
      body.append(row);
    }
    $("#wallet-balances").hidden = false;
    note(`Read from the chain at ${new Date().toLocaleTimeString()}.`);
  },

  async copy() {
    try {
      await navigator.clipboard.writeText(this.address);
      note("Address copied.");
    } catch (_) {
      note(`Copy it by hand: ${this.address}`); // no clipboard (an insecure origin, or refused)
    }
  },
};

export function setupWallet() {
  $("#wallet-refresh").addEventListener("click", () => wallet.load());
  $("#wallet-copy").addEventListener("click", () => wallet.copy());
}
