// The question form: one agent picker, the message, and each agent's own fields (for
// cost_optimizer: monthly spend, the modelled services as checkboxes, other services, and an
// optional per-service breakdown). Problems are shown next to their field, in words.
"use strict";

import { $, h } from "./dom.js";
import { agentLabel, usd } from "./results.js";

const MAX_SPEND = 1e12;
const MAX_MESSAGE = 16000;
const FALLBACK_AGENTS = [
  { name: "cost_optimizer", description: "Estimates AWS savings from your monthly spend and services." },
  { name: "triage_agent", description: "Works out what your question is about and which agent should take it." },
];

/** "10,000", "$10 000.50" -> 10000.5; "" -> null; anything else -> NaN. */
export function parseAmount(text) {
  const cleaned = String(text).replace(/[\s,$]/g, "");
  if (cleaned === "") return null;
  return /^\d+(\.\d+)?$/.test(cleaned) ? Number(cleaned) : NaN;
}

function setError(field, errorEl, message) {
  errorEl.textContent = message || "";
  errorEl.hidden = !message;
  if (field) {
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
}

export class AskForm {
  constructor(onSend) {
    this.onSend = onSend;
    this.form = $("ask");
    this.agent = $("agent");
    this.description = $("agent-description");
    this.message = $("message");
    this.costFields = $("cost-fields");
    this.spend = $("monthly-spend");
    this.services = $("services");
    this.other = $("other-services");
    this.breakdown = $("breakdown");
    this.breakdownRows = $("breakdown-rows");
    this.send = $("send");
    this.agents = FALLBACK_AGENTS;
    this.serviceNames = [];
    this.errors = {
      message: $("message-error"),
      spend: $("monthly-spend-error"),
      services: $("services-error"),
      breakdown: $("breakdown-error"),
      form: $("ask-error"),
    };
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    this.message.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.submit(); }
    });
    this.agent.addEventListener("change", () => this.showAgent());
    this.services.addEventListener("change", () => this.syncBreakdown());
    this.other.addEventListener("input", () => this.syncBreakdown());
    this.setAgents(FALLBACK_AGENTS);
  }

  setAgents(agents) {
    if (!Array.isArray(agents) || agents.length === 0) return;
    const current = this.agent.value || "cost_optimizer";
    this.agents = agents;
    this.agent.replaceChildren(...agents.map((agent) => h("option", { value: agent.name }, agentLabel(agent.name))));
    this.agent.value = agents.some((a) => a.name === current) ? current : agents[0].name;
    this.showAgent();
  }

  setServices(services) {
    if (!Array.isArray(services) || services.length === 0) return;
    const checked = new Set(this.checkedServices());
    const defaults = checked.size ? checked : new Set(services.slice(0, 3).map((s) => s.name));
    this.serviceNames = services.map((s) => s.name);
    this.services.replaceChildren(...services.map((service) => {
      const id = `service-${service.id}`;
      return h("label", { class: "check", for: id },
        h("input", { type: "checkbox", id, name: "service", value: service.name, checked: defaults.has(service.name) }),
        service.name);
    }));
    this.syncBreakdown();
  }

  showAgent() {
    const name = this.agent.value;
    const agent = this.agents.find((a) => a.name === name);
    this.description.textContent = agent && agent.description ? agent.description : "";
    const cost = name === "cost_optimizer";
    this.costFields.hidden = !cost;
    this.costFields.disabled = !cost;
    this.message.required = !cost;
    this.message.placeholder = cost
      ? "Optional: what you want to know (for example: where can I save the most?)"
      : "Type your question";
    this.clearErrors();
  }

  /** Switch to `agent`, carrying the question over, and put the focus where typing goes on. */
  switchTo(agent, message) {
    if (![...this.agent.options].some((o) => o.value === agent)) return;
    this.agent.value = agent;
    this.showAgent();
    if (message && !this.message.value) this.message.value = message;
    (agent === "cost_optimizer" ? this.spend : this.message).focus();
    this.form.scrollIntoView({ block: "nearest" });
  }

  checkedServices() {
    return [...this.services.querySelectorAll("input[name=service]:checked")].map((input) => input.value);
  }

  otherServices() {
    return this.other.value.split(",").map((s) => s.trim()).filter(Boolean);
  }

  /** One amount field per chosen service, keeping what was typed. */
  syncBreakdown() {
    const typed = new Map([...this.breakdownRows.querySelectorAll("input")].map((i) => [i.dataset.service, i.value]));
    const names = [...this.checkedServices(), ...this.otherServices()];
    this.breakdownRows.replaceChildren(...names.map((name, index) => {
      const id = `breakdown-${index}`;
      return h("label", { class: "breakdown-row", for: id }, h("span", {}, name),
        h("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "USD per month",
          dataset: { service: name }, value: typed.get(name) || "" }));
    }));
    if (names.length === 0) this.breakdownRows.append(h("p", { class: "hint" }, "Choose services above first."));
  }

  clearErrors() {
    setError(this.message, this.errors.message, "");
    setError(this.spend, this.errors.spend, "");
    setError(null, this.errors.services, "");
    setError(null, this.errors.breakdown, "");
    for (const el of this.form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    this.errors.form.textContent = "";
  }

  reset() {
    this.form.reset();
    this.clearErrors();
    this.syncBreakdown();
    this.breakdown.open = false;
    this.showAgent();
  }

  setOnline(online, why) {
    this.send.disabled = !online;
    this.send.title = online ? "" : why;
    $("send-hint").textContent = online ? "" : why;
  }

  showFormError(text) {
    this.errors.form.textContent = text;
  }

  /** Validate, then hand {agent, message, context} to onSend. */
  submit() {
    if (this.send.disabled) return;
    this.clearErrors();
    const agent = this.agent.value;
    let message = this.message.value.trim();
    let firstBad = null;
    const bad = (field, errorEl, text) => { setError(field, errorEl, text); firstBad = firstBad || field; };
    if (message.length > MAX_MESSAGE) bad(this.message, this.errors.message, `Keep the message under ${MAX_MESSAGE.toLocaleString()} characters.`);
    let context = {};
    if (agent === "cost_optimizer") {
      const spend = parseAmount(this.spend.value);
      if (spend === null) bad(this.spend, this.errors.spend, "Enter your monthly AWS spend in US dollars, for example 10000.");
      else if (Number.isNaN(spend)) bad(this.spend, this.errors.spend, "The monthly spend must be a number of dollars, for example 10000 or 12,500.50.");
      else if (spend > MAX_SPEND) bad(this.spend, this.errors.spend, "The monthly spend must be at most $1,000,000,000,000.");
      const services = [...this.checkedServices(), ...this.otherServices()];
      if (services.length === 0) bad(this.services.querySelector("input") || this.other, this.errors.services, "Choose at least one service.");
      else if (services.length > 50) bad(this.other, this.errors.services, "Name at most 50 services.");
      const breakdown = {};
      let sum = 0;
      for (const input of this.breakdownRows.querySelectorAll("input")) {
        const amount = parseAmount(input.value);
        if (amount === null) continue;
        if (Number.isNaN(amount)) {
          bad(input, this.errors.breakdown, `The amount for ${input.dataset.service} must be a number of dollars.`);
          continue;
        }
        breakdown[input.dataset.service] = amount;
        sum += amount;
      }
      if (spend !== null && !Number.isNaN(spend) && sum > spend + 0.005) {
        bad(this.breakdownRows.querySelector("input"), this.errors.breakdown,
          `The breakdown adds up to ${usd(sum)}, more than the monthly spend (${usd(spend)}).`);
      }
      if (firstBad && this.errors.breakdown.textContent) this.breakdown.open = true;
      context = { monthly_spend: spend, primary_services: services };
      if (Object.keys(breakdown).length > 0) context.breakdown = breakdown;
      if (!message && !firstBad) message = `Where can I save on ${usd(spend)}/month of AWS (${services.join(", ")})?`;
    } else if (!message) {
      bad(this.message, this.errors.message, "Type a question first.");
    }
    if (firstBad) {
      firstBad.focus();
      return;
    }
    if (this.onSend({ agent, message, context })) this.message.value = "";
  }
}
