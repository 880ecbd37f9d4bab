// The conversation: one turn per run (the user's question, then the run's card with its live
// steps and the answer). Events are applied by `seq`, each at most once: a replay after a
// reconnect, a reload from HTTP and live events may overlap, and the card shows each step once,
// in order.
"use strict";

import { h } from "./dom.js";
import { agentLabel, errorFrameWords, failureWords, renderResult } from "./results.js";

const STATUS_WORDS = {
  pending: "Waiting for the agent…",
  running: "Running",
  completed: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  refused: "Not started",
  lost: "Not confirmed",
};

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function formatMs(ms) {
  const value = Number(ms) || 0;
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60000)} min ${Math.round((value % 60000) / 1000)} s`;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

class Turn {
  constructor(thread, { runId = null, requestId = null, agent = "", message = "" }) {
    this.thread = thread;
    this.runId = runId;
    this.requestId = requestId;
    this.agent = agent;
    this.status = runId ? "running" : "pending";
    this.events = [];
    this.seen = new Set();
    this.maxSeq = 0;
    this.startedAt = null;
    this.createdAt = Date.now(); // orders a turn whose start is not known yet
    this.duration = null;
    this.tools = new Map();
    this.messages = new Map();

    this.questionText = h("p", { class: "question-text" }, message);
    this.questionMeta = h("span", { class: "meta" }, `You asked ${agentLabel(agent)}`);
    this.questionTime = h("time", { class: "meta" });
    this.statusText = h("span", { class: "run-status" });
    this.elapsed = h("span", { class: "elapsed" });
    this.spinner = h("span", { class: "spinner", "aria-hidden": "true" });
    this.cancelButton = h("button", { type: "button", class: "cancel", onclick: () => this.cancel() }, "Cancel");
    this.steps = h("ol", { class: "steps", "aria-label": "Steps" });
    this.answer = h("div", { class: "answer" });
    this.card = h("article", { class: "run", "aria-label": "Agent run" },
      h("header", { class: "run-head" }, this.spinner, this.statusText, this.elapsed, this.cancelButton),
      this.steps, this.answer);
    this.el = h("section", { class: "turn", "aria-label": "Question and answer" },
      h("div", { class: "question" }, h("div", { class: "question-head" }, this.questionMeta, this.questionTime), this.questionText),
      this.card);
    this.sync();
  }

  get running() {
    return this.status === "running" || this.status === "pending";
  }

  setAgent(agent) {
    this.agent = agent;
    this.questionMeta.textContent = `You asked ${agentLabel(agent)}`;
  }

  bind(runId) {
    this.runId = runId;
    this.el.dataset.runId = runId;
  }

  cancel() {
    if (!this.runId || !this.running) return;
    if (this.thread.handlers.onCancel(this.runId)) {
      this.cancelButton.disabled = true;
      this.cancelButton.textContent = "Cancelling…";
    }
  }

  /** Apply one envelope; false when it was already shown. */
  add(event) {
    if (this.seen.has(event.seq)) return false;
    this.seen.add(event.seq);
    if (event.seq > this.maxSeq) {
      this.maxSeq = event.seq;
      this.events.push(event);
      this.render(event);
    } else {
      // An earlier event arriving late (a run first seen mid-way, then loaded over HTTP):
      // rebuild the card from the sorted events.
      this.events.push(event);
      this.events.sort((a, b) => a.seq - b.seq);
      this.rebuild();
    }
    this.sync();
    return true;
  }

  rebuild() {
    this.steps.replaceChildren();
    this.answer.replaceChildren();
    this.tools.clear();
    this.messages.clear();
    this.status = "running";
    for (const event of this.events) this.render(event);
  }

  step(kind, event, ...children) {
    const item = h("li", { class: `step ${kind}`, dataset: { seq: String(event.seq) } }, ...children,
      kind === "tool" ? null : this.offset(event));
    this.steps.append(item);
    return item;
  }

  /** "+0.4 s": when the step happened, counted from the start of the run. */
  offset(event) {
    const at = Date.parse(event.timestamp);
    if (!this.startedAt || Number.isNaN(at)) return null;
    return h("time", { class: "step-time", datetime: event.timestamp }, ` +${formatMs(Math.max(0, at - this.startedAt))}`);
  }

  render(event) {
    const data = event.data || {};
    switch (event.type) {
      case "agent_started": {
        if (data.agent) this.setAgent(data.agent);
        if (typeof data.message === "string") this.questionText.textContent = data.message;
        this.startedAt = Date.parse(event.timestamp) || Date.now();
        this.questionTime.dateTime = event.timestamp || "";
        this.questionTime.textContent = clock.format(new Date(this.startedAt));
        this.status = "running";
        break;
      }
      case "agent_thinking":
        this.step("thinking", event, h("span", { class: "step-kind" }, "Thinking"), " ", data.text || "");
        break;
      case "tool_executing":
      case "tool_completed":
        this.renderTool(event, data);
        break;
      case "agent_message_delta": {
        const id = String(data.message_id || "message");
        let text = this.messages.get(id);
        if (!text) {
          text = h("p", { class: "message-text" });
          this.messages.set(id, text);
          this.step("message", event, text);
        }
        text.textContent += typeof data.delta === "string" ? data.delta : "";
        break;
      }
      case "agent_completed": {
        this.finish("completed", data);
        const result = data.result;
        const streamed = this.messages.size > 0;
        if (streamed && result && typeof result.reply === "string") {
          // The streamed text is a draft; the final reply is the one in the result.
          [...this.messages.values()].at(-1).textContent = result.reply;
        }
        this.answer.replaceChildren(renderResult(this.agent, result, {
          streamed, onSwitch: (agent) => this.thread.handlers.onSwitch(agent, this.questionText.textContent),
        }));
        break;
      }
      case "agent_failed":
        this.finish("failed", data);
        this.answer.replaceChildren(h("p", { class: "failure", role: "note" }, failureWords(data.error)));
        break;
      case "agent_cancelled":
        this.finish("cancelled", data);
        this.answer.replaceChildren(h("p", { class: "cancelled-note" }, "This run was cancelled before it finished."));
        break;
      default:
        break; // an event type this page does not know yet: not shown
    }
  }

  renderTool(event, data) {
    const id = String(data.call_id || `${data.tool}-${event.seq}`);
    let tool = this.tools.get(id);
    if (!tool) {
      tool = {
        title: h("span", { class: "tool-title" }),
        args: h("pre", { class: "tool-args" }, pretty(data.arguments ?? {})),
        result: h("pre", { class: "tool-result" }, "waiting for the result…"),
        resultHead: h("h4", {}, "Result"),
      };
      tool.item = this.step("tool", event,
        h("details", {}, h("summary", {}, tool.title, this.offset(event)),
          h("h4", {}, "Arguments"), tool.args, tool.resultHead, tool.result));
      this.tools.set(id, tool);
    }
    if (event.type === "tool_executing") {
      tool.title.textContent = `Running tool ${data.tool}…`;
      tool.item.classList.add("active");
      return;
    }
    tool.item.classList.remove("active");
    tool.item.dataset.seq += ` ${event.seq}`;
    const took = formatMs(data.duration_ms);
    if (data.error) {
      tool.title.textContent = `Tool ${data.tool} failed after ${took}`;
      tool.resultHead.textContent = "Error";
      tool.result.textContent = data.error.message || data.error.code || "failed";
      tool.item.classList.add("tool-failed");
    } else {
      tool.title.textContent = `Used tool ${data.tool} · ${took}`;
      tool.result.textContent = pretty(data.result ?? null);
    }
  }

  finish(status, data) {
    this.status = status;
    this.duration = typeof data.duration_ms === "number" ? data.duration_ms : null;
    for (const tool of this.tools.values()) tool.item.classList.remove("active");
  }

  /** Not started: an `error` frame answered the request. */
  refuse(data) {
    this.status = "refused";
    this.answer.replaceChildren(h("p", { class: "failure", role: "note" }, errorFrameWords(data)));
    this.sync();
  }

  /** The connection dropped before the server confirmed the request. */
  lose() {
    this.status = "lost";
    this.answer.replaceChildren(h("p", { class: "failure", role: "note" },
      "The connection dropped before the server confirmed this question, so it may not have been received. Send it again if no answer appears."));
    this.sync();
  }

  /** Bring the header in line with the status (spinner, words, elapsed time, Cancel). */
  sync() {
    this.card.className = `run ${this.status}`;
    this.card.setAttribute("aria-busy", String(this.running));
    this.spinner.hidden = !this.running;
    this.statusText.textContent = STATUS_WORDS[this.status] || this.status;
    this.cancelButton.hidden = this.status !== "running" || !this.runId;
    if (this.status !== "running") {
      this.cancelButton.disabled = false;
      this.cancelButton.textContent = "Cancel";
    } else if (this.cancelButton.textContent === "Cancel") {
      this.cancelButton.disabled = !this.thread.online;
    }
    this.tick();
  }

  tick() {
    if (this.duration !== null && !this.running) {
      this.elapsed.textContent = `in ${formatMs(this.duration)}`;
    } else if (this.status === "running" && this.startedAt) {
      this.elapsed.textContent = `for ${formatMs(Math.max(0, Date.now() - this.startedAt))}`;
    } else {
      this.elapsed.textContent = "";
    }
  }
}

export class Thread {
  /** handlers: onCancel(runId) -> bool, onSwitch(agent, message), onRunsChanged(ids), onUnknownRun(runId). */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.turns = new Map(); // run id -> Turn
    this.pending = new Map(); // request id -> Turn
    this.online = false;
    this.lastEventAt = null; // the newest event's timestamp (ms), for a resync over HTTP
    this.ticker = setInterval(() => {
      for (const turn of this.turns.values()) if (turn.status === "running") turn.tick();
    }, 500);
  }

  clear() {
    this.turns.clear();
    this.pending.clear();
    this.lastEventAt = null;
    this.root.replaceChildren();
  }

  /** The thread's run ids in the order shown (oldest first). */
  ids() {
    return [...this.root.children].map((el) => el.dataset.runId).filter((id) => id && this.turns.has(id));
  }

  has(runId) {
    return this.turns.has(runId);
  }

  setOnline(online) {
    this.online = online;
    for (const turn of this.turns.values()) turn.sync();
  }

  /** The question just sent, shown at once; the run binds to it by `request_id`. */
  ask(requestId, agent, message) {
    const turn = new Turn(this, { requestId, agent, message });
    this.pending.set(requestId, turn);
    this.place(turn, true);
    return turn;
  }

  /** Apply a sequenced envelope; false when it was a duplicate. */
  apply(event) {
    if (typeof event.run_id !== "string") return false;
    let turn = this.turns.get(event.run_id);
    let fresh = false;
    if (!turn) {
      const requestId = event.type === "agent_started" && event.data ? event.data.request_id : null;
      turn = requestId ? this.pending.get(requestId) : undefined;
      if (turn) {
        this.pending.delete(requestId);
      } else {
        turn = new Turn(this, { runId: event.run_id, agent: (event.data && event.data.agent) || "" });
        fresh = true;
      }
      turn.bind(event.run_id);
      this.turns.set(event.run_id, turn);
      if (fresh) this.place(turn, true);
      // First seen mid-way (started in another tab before this one connected): fetch the rest.
      if (event.type !== "agent_started") this.handlers.onUnknownRun(event.run_id);
      this.handlers.onRunsChanged(this.ids());
    }
    this.noteTime(event);
    const near = this.nearBottom();
    const added = turn.add(event);
    if (added && near) this.scrollToEnd(turn);
    return added;
  }

  noteTime(event) {
    const at = Date.parse(event.timestamp);
    if (!Number.isNaN(at) && (this.lastEventAt === null || at > this.lastEventAt)) this.lastEventAt = at;
  }

  /** A run loaded over HTTP (reload, history): its card with every event. */
  load(run, { focus = false } = {}) {
    let turn = this.turns.get(run.run_id);
    const known = Boolean(turn);
    if (!turn) {
      const request = run.request || {};
      turn = new Turn(this, { runId: run.run_id, agent: run.agent, message: request.message || "" });
      turn.bind(run.run_id);
      turn.startedAt = Date.parse(run.started_at) || null;
      this.turns.set(run.run_id, turn);
      this.place(turn, false);
      this.handlers.onRunsChanged(this.ids());
    }
    const events = Array.isArray(run.events) ? [...run.events].sort((a, b) => a.seq - b.seq) : [];
    for (const event of events) {
      if (!Number.isInteger(event.seq)) continue;
      this.noteTime(event);
      turn.add(event);
    }
    if (!known && events.length === 0 && run.status !== "running") {
      // Its events were trimmed from the log: show what the run record keeps.
      turn.status = run.status;
      if (run.status === "completed") turn.answer.replaceChildren(renderResult(run.agent, run.result, {
        onSwitch: (agent) => this.handlers.onSwitch(agent, turn.questionText.textContent),
      }));
      else if (run.status === "failed") turn.answer.replaceChildren(h("p", { class: "failure" }, failureWords(run.error)));
      turn.sync();
    }
    if (focus) this.focus(run.run_id);
    return turn;
  }

  /** Scroll to a run's turn and move the keyboard focus there. */
  focus(runId) {
    const turn = this.turns.get(runId);
    if (!turn) return;
    turn.el.scrollIntoView({ block: "start" });
    turn.card.setAttribute("tabindex", "-1");
    turn.card.focus({ preventScroll: true });
  }

  /** An `error` frame for a request this page sent. */
  refuse(requestId, data) {
    const turn = this.pending.get(requestId);
    if (!turn) return false;
    this.pending.delete(requestId);
    turn.refuse(data);
    return true;
  }

  /** After a reconnect has caught up: requests still unconfirmed did not reach the server. */
  settlePending() {
    for (const [requestId, turn] of this.pending) {
      if (turn.sentOn !== undefined && turn.sentOn !== this.connectionEpoch) {
        this.pending.delete(requestId);
        turn.lose();
      }
    }
  }

  place(turn, atEnd) {
    if (!atEnd && turn.startedAt) {
      for (const other of this.root.children) {
        const started = Number(other.dataset.started || Infinity);
        if (started > turn.startedAt) {
          turn.el.dataset.started = String(turn.startedAt);
          this.root.insertBefore(turn.el, other);
          return;
        }
      }
    }
    turn.el.dataset.started = String(turn.startedAt || Date.now());
    this.root.append(turn.el);
    if (atEnd) this.scrollToEnd(turn);
  }

  nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
  }

  scrollToEnd(turn) {
    turn.el.scrollIntoView({ block: "end" });
  }
}
