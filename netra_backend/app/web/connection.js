// The WebSocket to /api/ws: authenticates with the token in a subprotocol, reconnects by
// itself with back-off, and on every (re)connect resumes from the last `seq` shown, so steps
// missed while offline arrive once and in order (docs/protocol.md, "Resume").
"use strict";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;
// A `last_seq` beyond any real one: the server answers `resume_failed` / `unknown_position`
// carrying the user's current last `seq`, which is where a page with no history starts.
const PROBE_SEQ = Number.MAX_SAFE_INTEGER;

/** Close codes the server documents, in words (docs/protocol.md, "Close codes"). */
const CLOSE_WORDS = {
  1000: "closed",
  1006: "the connection dropped",
  1008: "too many open tabs for this account",
  1009: "a message was too large",
  1011: "the server had a problem",
  1012: "the server is restarting",
  1013: "the server asked to try again later",
};

export class Connection {
  /**
   * handlers: onEvent(envelope), onFrame(frame) for unsequenced frames (error, ...),
   * onState({state, text, retryIn}), onAuthFailed(reason), onResync(lastSeq),
   * onSynced(); position: () => last seq shown or null.
   */
  constructor(token, handlers, position) {
    this.token = token;
    this.handlers = handlers;
    this.position = position;
    this.socket = null;
    this.attempt = 0;
    this.synced = false;
    this.stopped = false;
    this.timers = new Set();
    this.pingTimer = null;
    this.pongTimer = null;
    this.onOnline = () => this.reconnectNow();
    window.addEventListener("online", this.onOnline);
  }

  start() {
    this.open();
  }

  /** Stop for good (log out): no reconnect, no timers, socket closed. */
  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    this.clearTimers();
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      try { socket.close(1000, "signed out"); } catch { /* already closed */ }
    }
  }

  get ready() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN && this.synced);
  }

  send(frame) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  reconnectNow() {
    if (this.stopped || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    this.clearTimers();
    this.open();
  }

  clearTimers() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  later(fn, ms) {
    const timer = setTimeout(() => { this.timers.delete(timer); fn(); }, ms);
    this.timers.add(timer);
  }

  state(state, text, retryIn = null) {
    this.handlers.onState({ state, text, retryIn });
  }

  open() {
    if (this.stopped) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.synced = false;
    this.state("connecting", this.attempt === 0 ? "Connecting…" : "Reconnecting…");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${location.host}/api/ws`, ["netra.v1", `bearer.${this.token}`]);
    } catch {
      this.scheduleRetry("the connection could not be opened");
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const last = this.position();
      this.state("syncing", last === null ? "Connected, getting ready…" : "Connected, catching up…");
      socket.send(JSON.stringify({ type: "resume", last_seq: last === null ? PROBE_SEQ : last }));
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (event) => this.closed(event);
  }

  ping() {
    if (!this.send({ type: "ping" }) || this.pongTimer) return;
    // No pong in time: the connection is dead even if the browser has not noticed yet.
    this.pongTimer = setTimeout(() => { if (this.socket) this.socket.close(4000, "no pong"); }, PONG_WITHIN_MS);
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "pong") {
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
      return;
    }
    if (frame.type === "resumed") {
      this.markSynced();
      return;
    }
    if (frame.type === "resume_failed") {
      const data = frame.data || {};
      const probe = this.position() === null;
      if (!(probe && data.code === "unknown_position")) this.handlers.onResync(data.last_seq);
      else this.handlers.onPosition(data.last_seq);
      this.markSynced();
      return;
    }
    if (Number.isInteger(frame.seq)) this.handlers.onEvent(frame);
    else this.handlers.onFrame(frame);
  }

  markSynced() {
    this.synced = true;
    this.attempt = 0;
    this.state("connected", "Connected");
    this.handlers.onSynced();
  }

  closed(event) {
    this.socket = null;
    this.synced = false;
    this.clearTimers();
    if (this.stopped) return;
    if (event.code === 4401) {
      this.stopped = true;
      this.handlers.onAuthFailed(event.reason || "");
      return;
    }
    const why = CLOSE_WORDS[event.code] || (event.code === 4000 ? "the server stopped answering" : "the connection dropped");
    this.scheduleRetry(why, event.code === 1008 ? 15000 : 0);
  }

  scheduleRetry(why, atLeast = 0) {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.state("offline", "Offline: no network. Reconnecting when it is back.");
      this.attempt += 1;
      this.later(() => this.open(), BACKOFF_MS[BACKOFF_MS.length - 1]);
      return;
    }
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.max(atLeast, Math.round(base * (0.8 + Math.random() * 0.4)));
    this.attempt += 1;
    const until = Date.now() + delay;
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      this.state("reconnecting", `Offline (${why}). Reconnecting in ${left} s…`, left);
      if (Date.now() < until) this.later(tick, Math.min(1000, until - Date.now()));
    };
    tick();
    this.later(() => this.open(), delay);
  }
}
