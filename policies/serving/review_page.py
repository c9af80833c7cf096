"""The review page: where a store manager decides on today's suggestions (``GET /review``).

One self-contained HTML page (no build step, no asset fetched from anywhere: styles and
script inline). The page itself holds no data; everything it shows or sends goes through
the keyed API with the key the manager types (kept in the tab's ``sessionStorage``):
``POST /recommend`` and ``POST /transfer-options`` for the store state the manager opens
(a JSON file of the state's columns), ``POST /feedback`` and ``POST /transfer-decision``
for the decisions, exactly as any other client would send them. Orders start accepted and
can be changed (other units) or rejected; each transfer alert shows its options with
their reasons and waits for a pick or a veto (an undecided alert sends nothing). Texts
from the server are written as text, never as HTML.
"""

from __future__ import annotations

# what the page may do: its own inline script and style, requests to this server only
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ShelfLife - today's review</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f4f4f4; }
.tier-red { color: #b00; font-weight: 600; } .tier-orange { color: #c60; font-weight: 600; }
.tier-yellow { color: #990; } .tier-blue { color: #06c; }
fieldset { margin: .6rem 0; border: 1px solid #ccc; } legend { font-weight: 600; }
label { display: block; margin: .2rem 0; }
#error { color: #b00; } #result { color: #060; font-weight: 600; }
input[type=number] { width: 5rem; }
</style></head>
<body>
<h1>Today's review</h1>
<section id="open">
  <label>API key <input id="key" type="password" autocomplete="off"></label>
  <label>Store state (JSON columns)
    <input id="state" type="file" accept=".json,application/json"></label>
  <button id="load" type="button">Load suggestions</button>
  <p id="error" role="alert"></p>
</section>
<section id="orders" hidden>
  <h2>Orders</h2>
  <table id="order-table"><thead><tr><th>Store</th><th>SKU</th><th>Suggested</th>
  <th>Alert</th><th>Why</th><th>Decision</th><th>Units</th></tr></thead><tbody></tbody></table>
</section>
<section id="transfers" hidden>
  <h2>Transfer options</h2>
  <p>Pick one option per alert or veto it; an alert left undecided sends nothing.</p>
  <div id="alerts"></div>
</section>
<p><button id="submit" type="button" hidden>Send decisions</button></p>
<p id="result" role="status"></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const keyInput = $("key");
keyInput.value = sessionStorage.getItem("shelflife-key") || "";
let orders = [];
let alerts = [];

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: {"X-API-Key": keyInput.value, "Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = answer.detail;
    const text = Array.isArray(detail)
      ? detail.map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ")
      : String(detail || response.statusText);
    const error = new Error(response.status + " " + text);
    error.status = response.status;
    throw error;
  }
  return answer;
}

function showOrders(answer) {
  const body = document.querySelector("#order-table tbody");
  body.replaceChildren();
  orders = answer.sku_ids.map((sku, i) => ({
    store_id: answer.store_ids[i], sku_id: sku, suggested_units: answer.order_units[i],
  }));
  orders.forEach((order, i) => {
    const row = body.insertRow();
    row.dataset.row = String(i);
    cell(row, order.store_id);
    cell(row, order.sku_id);
    cell(row, String(order.suggested_units));
    const tier = answer.alerts[i];
    cell(row, tier === "none" ? "" : tier, "tier-" + tier);
    cell(row, answer.reasons ? answer.reasons[i] : "");
    const select = document.createElement("select");
    select.className = "decision";
    for (const d of ["accepted", "changed", "rejected"]) select.add(new Option(d, d));
    cell(row, "").append(select);
    const units = document.createElement("input");
    units.type = "number"; units.min = "0"; units.step = "1"; units.className = "units";
    units.value = String(order.suggested_units); units.disabled = true;
    cell(row, "").append(units);
    select.addEventListener("change", () => { units.disabled = select.value !== "changed"; });
  });
  $("orders").hidden = orders.length === 0;
}

function showAlerts(found) {
  alerts = found;
  const box = $("alerts");
  box.replaceChildren();
  alerts.forEach((alert, i) => {
    const set = document.createElement("fieldset");
    set.dataset.alert = alert.alert_id;
    const legend = document.createElement("legend");
    legend.textContent = alert.alert_id + ": " + alert.surplus_units + " units will expire within "
      + alert.life_left_days + " days";
    set.append(legend);
    const choices = alert.options.map((o) => [o.option_id, o.reason]);
    choices.push(["veto", "Veto: send nothing"]);
    for (const [value, text] of choices) {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio"; radio.name = "alert-" + i; radio.value = value;
      label.append(radio, " " + text);
      set.append(label);
    }
    box.append(set);
  });
  $("transfers").hidden = alerts.length === 0;
}

$("load").addEventListener("click", async () => {
  $("error").textContent = ""; $("result").textContent = "";
  sessionStorage.setItem("shelflife-key", keyInput.value);
  const file = $("state").files[0];
  if (!file) { $("error").textContent = "Choose the store state file first."; return; }
  try {
    const state = JSON.parse(await file.text());
    showOrders(await api("/recommend", state));
    try {
      showAlerts((await api("/transfer-options", state)).alerts);
    } catch (err) {
      if (err.status !== 404) throw err;  // a policy without transfers has no options
      showAlerts([]);
    }
    $("submit").hidden = false;
  } catch (err) {
    $("error").textContent = "Could not load: " + err.message;
  }
});

$("submit").addEventListener("click", async () => {
  $("error").textContent = ""; $("result").textContent = "";
  const rows = document.querySelectorAll("#order-table tbody tr");
  const entries = Array.from(rows, (row) => {
    const order = orders[Number(row.dataset.row)];
    const decision = row.querySelector(".decision").value;
    const entry = {...order, decision};
    if (decision === "changed") entry.final_units = Number(row.querySelector(".units").value);
    return entry;
  });
  const decisions = [];
  alerts.forEach((alert, i) => {
    const picked = document.querySelector("input[name='alert-" + i + "']:checked");
    if (!picked) return;
    decisions.push(picked.value === "veto"
      ? {option_id: alert.options[0].option_id, decision: "vetoed"}
      : {option_id: picked.value, decision: "accepted"});
  });
  let moved;
  try {  // transfers first: each batch is recorded whole or not at all
    moved = decisions.length ? await api("/transfer-decision", {decisions}) : {recorded: 0};
  } catch (err) {
    $("error").textContent = "Nothing recorded (transfer decisions refused): " + err.message;
    return;
  }
  try {
    const sent = entries.length ? await api("/feedback", {entries}) : {recorded: 0};
    $("result").textContent = "Recorded " + sent.recorded + " order decisions and "
      + moved.recorded + " transfer decisions.";
  } catch (err) {
    $("error").textContent = "Transfer decisions recorded (" + moved.recorded
      + "), order decisions refused: " + err.message;
  }
});
</script>
</body></html>
"""
