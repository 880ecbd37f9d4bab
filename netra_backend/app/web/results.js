// An agent's answer rendered for people: cost_optimizer's savings (totals, chart, sorted
// table, assumptions, what is not modelled), triage_agent's reading with a switch button, any
// other agent's reply; failures and cancellations in words.
"use strict";

import { h } from "./dom.js";

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const wholeMoney = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

export const usd = (value) => money.format(Number(value) || 0);
export const usdWhole = (value) => wholeMoney.format(Number(value) || 0);

export const AGENT_LABELS = {
  cost_optimizer: "Cost optimizer",
  triage_agent: "Triage",
};
export const agentLabel = (name) => AGENT_LABELS[name] || name;

/** agent_failed error codes (docs/protocol.md) as sentences. */
export function failureWords(error) {
  const code = (error && error.code) || "agent_error";
  const message = (error && error.message) || "";
  switch (code) {
    case "invalid_context":
      return `The request was not accepted: ${message}`;
    case "timeout":
      return "The run took too long and was stopped.";
    case "agent_error":
      return "The agent ran into an internal error. Try again; if it keeps failing, the server log says why.";
    case "cancelled":
      return "The server shut down while this was running, so it did not finish.";
    case "interrupted":
      return "The server went down while this was running, so it did not finish.";
    default:
      return message || `The run failed (${code}).`;
  }
}

/** `error` frame codes (docs/protocol.md) as sentences. */
export function errorFrameWords(data) {
  const code = (data && data.code) || "";
  const message = (data && data.message) || "";
  const retry = data && data.retry_after ? ` Try again in ${Math.ceil(data.retry_after)} s.` : "";
  switch (code) {
    case "too_many_runs":
      return "You already have the most runs going at once. Wait for one to finish, then send again.";
    case "rate_limited":
      return "You are sending too fast. Wait a moment, then send again.";
    case "server_busy":
      return "The server is busy." + (retry || " Try again shortly.");
    case "storage_unavailable":
      return "The server cannot record runs right now." + (retry || " Try again shortly.");
    case "shutting_down":
      return "The server is restarting and starts no new runs. Send again in a moment.";
    case "message_too_long":
      return "Your message is too long. Shorten it and send again.";
    case "unknown_agent":
      return `The server has no such agent. ${message}`;
    case "run_not_active":
      return "That run has already finished.";
    case "conversation_busy":
      return "A run in this thread is still going. Wait for it to finish (or cancel it), then send again.";
    default:
      return message || "The server refused the request.";
  }
}

/** The answer block of a finished run. `onSwitch(agent)` serves triage's button. */
export function renderResult(agent, result, { onSwitch, streamed } = {}) {
  if (!result || typeof result !== "object") return h("p", {}, "The agent returned no answer.");
  if (agent === "cost_optimizer" && Array.isArray(result.recommendations)) return renderCost(result);
  if (agent === "triage_agent" && typeof result.intent === "string") return renderTriage(result, onSwitch);
  return renderGeneric(result, streamed);
}

function renderGeneric(result, streamed) {
  const text = typeof result.reply === "string" ? result.reply : typeof result.summary === "string" ? result.summary : null;
  const box = h("div", { class: "answer-generic" });
  if (text !== null && !streamed) box.append(h("p", { class: "reply" }, text));
  const rest = Object.keys(result).filter((key) => key !== "reply" && key !== "summary");
  if (text === null || rest.length > 0) {
    box.append(h("details", { class: "raw" }, h("summary", {}, "Full result"),
      h("pre", {}, JSON.stringify(result, null, 2))));
  }
  return box;
}

function renderTriage(result, onSwitch) {
  const confidence = Math.max(0, Math.min(1, Number(result.confidence) || 0));
  const percent = Math.round(confidence * 100);
  const box = h("div", { class: "answer-triage" },
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Intent"), h("dd", { class: "intent" }, result.intent)),
      h("div", {}, h("dt", {}, "Confidence"),
        h("dd", { class: "confidence" }, h("meter", { min: 0, max: 1, value: confidence, "aria-label": "Confidence" }), ` ${percent}%`)),
    ),
    h("p", { class: "reply" }, result.reply || ""),
  );
  const target = result.suggested_agent;
  if (target && target !== "triage_agent" && onSwitch) {
    box.append(h("button", { type: "button", class: "switch-agent", onclick: () => onSwitch(target) },
      `Ask ${agentLabel(target)} instead`));
  }
  return box;
}

function renderCost(result) {
  const savings = result.cost_savings || {};
  const recommendations = [...result.recommendations].sort(
    (a, b) => (Number(b.estimated_monthly_savings) || 0) - (Number(a.estimated_monthly_savings) || 0),
  );
  const box = h("div", { class: "answer-cost" });
  if (result.summary) box.append(h("p", { class: "summary" }, result.summary));
  box.append(h("dl", { class: "totals" },
    h("div", {}, h("dt", {}, "Monthly savings"), h("dd", { class: "total-monthly" }, usd(savings.monthly))),
    h("div", {}, h("dt", {}, "Annual savings"), h("dd", { class: "total-annual" }, usd(savings.annual))),
    h("div", {}, h("dt", {}, "Share of spend"), h("dd", { class: "total-percent" }, `${Number(savings.percent_of_spend || 0).toFixed(1)}%`)),
  ));
  if (recommendations.length > 0) {
    box.append(savingsChart(recommendations), recommendationsTable(recommendations));
  }
  const unsupported = Array.isArray(result.unsupported_services) ? result.unsupported_services : [];
  if (unsupported.length > 0) {
    box.append(h("p", { class: "not-modelled" }, h("strong", {}, "Not modelled: "), unsupported.join(", "),
      " (no savings levers are known for these, so they are left out)."));
  }
  const assumptions = Array.isArray(result.assumptions) ? result.assumptions : [];
  if (assumptions.length > 0) {
    box.append(h("details", { class: "assumptions" },
      h("summary", {}, `Assumptions (${assumptions.length})`),
      h("ul", {}, assumptions.map((text) => h("li", {}, text)))));
  }
  return box;
}

/** Horizontal bars of monthly savings by service, biggest first (plain HTML and CSS). */
function savingsChart(recommendations) {
  const byService = new Map();
  for (const rec of recommendations) {
    byService.set(rec.service, (byService.get(rec.service) || 0) + (Number(rec.estimated_monthly_savings) || 0));
  }
  const rows = [...byService.entries()].sort((a, b) => b[1] - a[1]);
  const top = rows.length ? rows[0][1] || 1 : 1;
  const label = "Monthly savings by service: " + rows.map(([service, value]) => `${service} ${usd(value)}`).join(", ");
  const list = h("ul", { class: "bars" });
  for (const [service, value] of rows) {
    const fill = h("span", { class: "bar-fill" });
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    fill.style.width = `${Math.max(1, (value / top) * 100).toFixed(1)}%`;
    list.append(h("li", { class: "bar", dataset: { service, value: String(value) } },
      h("span", { class: "bar-label" }, service),
      h("span", { class: "bar-track" }, fill),
      h("span", { class: "bar-value" }, usdWhole(value))));
  }
  return h("figure", { class: "chart" },
    h("figcaption", {}, "Monthly savings by service"),
    h("div", { role: "img", "aria-label": label }, list));
}

function recommendationsTable(recommendations) {
  // The source link sits under the lever's name: a column of its own would not fit beside the
  // action text at desktop width.
  const columns = ["Service", "Lever and source", "Action", "Monthly savings", "Confidence", "Effort"];
  const body = h("tbody", {});
  for (const rec of recommendations) {
    const cells = [
      rec.service,
      [h("span", { class: "lever" }, rec.title), " ", safeLink(rec.source)],
      rec.action,
      usd(rec.estimated_monthly_savings),
      `${Math.round((Number(rec.confidence) || 0) * 100)}%`,
      rec.effort,
    ];
    body.append(h("tr", { dataset: { savings: String(rec.estimated_monthly_savings) } },
      cells.map((cell, i) => h("td", { "data-label": columns[i], class: i === 3 ? "num" : null }, cell))));
  }
  return h("div", { class: "table-wrap" },
    h("table", { class: "recommendations" },
      h("caption", {}, `${recommendations.length} recommendation${recommendations.length === 1 ? "" : "s"}, largest saving first`),
      h("thead", {}, h("tr", {}, columns.map((c, i) => h("th", { scope: "col", class: i === 3 ? "num" : null }, c)))),
      body));
}

function safeLink(url) {
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return "";
  let host = url;
  try { host = new URL(url).hostname.replace(/^www\./, ""); } catch { /* keep the text */ }
  return h("a", { class: "source", href: url, target: "_blank", rel: "noopener noreferrer" }, `source: ${host}`);
}
