// Netra chat page: sign up or log in, ask an agent, watch each step of its run as it happens.
// Plain ES modules, no build step. The socket (connection.js) resumes from the last `seq`
// shown; the thread (thread.js) shows each event once; results.js renders the answers.
"use strict";

import { Connection } from "./connection.js";
import { $, h, uniqueId } from "./dom.js";
import { AskForm } from "./forms.js";
import { agentLabel, errorFrameWords } from "./results.js";
import {
  ApiError, api, clearStorage, conversationId, isExpired, isSessionKey, loadPosition, loadSession, loadThread,
  newConversation, savePosition, saveSession, saveThread,
} from "./session.js";
import { Thread } from "./thread.js";

const TERMINAL = new Set(["agent_completed", "agent_failed", "agent_cancelled"]);
const EXPIRED = "Your session has expired. Please sign in again.";

const state = {
  session: null,
  connection: null,
  position: null,
  epoch: 0,
  expiryTimer: null,
  historyTimer: null,
  generation: 0, // bumps at every sign-in/out, so late answers for an old session are dropped
};

const thread = new Thread($("thread"), {
  onCancel: (runId) => Boolean(state.connection && state.connection.ready
    && state.connection.send({ type: "cancel_run", run_id: runId })),
  onSwitch: (agent, message) => form.switchTo(agent, message),
  onRunsChanged: (ids) => {
    if (state.session) saveThread(ids);
    $("thread-empty").hidden = ids.length > 0 || $("thread").children.length > 0;
  },
  onUnknownRun: (runId) => openRun(runId, false),
});

const form = new AskForm(sendQuestion);

// ---- auth -----------------------------------------------------------------------------------

function showTab(which) {
  const login = which === "login";
  $("tab-login").setAttribute("aria-selected", String(login));
  $("tab-signup").setAttribute("aria-selected", String(!login));
  $("tab-login").tabIndex = login ? 0 : -1;
  $("tab-signup").tabIndex = login ? -1 : 0;
  $("login-form").hidden = !login;
  $("signup-form").hidden = login;
}

function fieldError(inputId, text) {
  const input = $(inputId);
  const error = $(`${inputId}-error`);
  error.textContent = text || "";
  error.hidden = !text;
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  return !text;
}

function clearAuthErrors() {
  for (const id of ["login-email", "login-password", "signup-email", "signup-password"]) fieldError(id, "");
  $("login-error").textContent = "";
  $("signup-error").textContent = "";
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function authenticate(kind) {
  clearAuthErrors();
  const prefix = kind === "login" ? "login" : "signup";
  const email = $(`${prefix}-email`).value.trim();
  const password = $(`${prefix}-password`).value;
  let ok = fieldError(`${prefix}-email`, !email ? "Enter your email address." : !EMAIL.test(email) ? "Enter a valid email address, like ada@example.com." : "");
  if (kind === "login") ok = fieldError("login-password", password ? "" : "Enter your password.") && ok;
  else ok = fieldError("signup-password", password.length < 8 ? "Choose a password of at least 8 characters." : password.length > 256 ? "Use at most 256 characters." : "") && ok;
  if (!ok) {
    $(`${prefix}-form`).querySelector("[aria-invalid=true]").focus();
    return;
  }
  const button = $(kind === "login" ? "login" : "register");
  button.disabled = true;
  try {
    const body = { email, password };
    if (kind === "signup") body.subscription = $("signup-plan").value;
    const auth = await api(`/api/auth/${kind === "login" ? "login" : "register"}`, { method: "POST", body });
    $(`${prefix}-password`).value = "";
    enter(saveSession(auth), true);
  } catch (error) {
    const text = error instanceof ApiError ? error.message : "Something went wrong. Try again.";
    if (error instanceof ApiError && error.status === 401) {
      $("login-error").textContent = "That email and password do not match an account.";
    } else if (error instanceof ApiError && error.fields.length) {
      for (const field of error.fields) {
        if (field === "email") fieldError(`${prefix}-email`, "Enter a valid email address.");
        if (field === "password") fieldError(`${prefix}-password`, kind === "login" ? "Enter your password." : "The password must be 8 to 256 characters.");
      }
      if (!error.fields.some((f) => f === "email" || f === "password")) $(`${prefix}-error`).textContent = text;
    } else {
      $(`${prefix}-error`).textContent = text;
    }
  } finally {
    button.disabled = false;
  }
}

function notice(text) {
  $("auth-notice").textContent = text || "";
  $("auth-notice").hidden = !text;
}

// ---- signed in ------------------------------------------------------------------------------

async function enter(session, fresh) {
  const generation = ++state.generation;
  state.session = session;
  notice("");
  clearAuthErrors();
  $("auth").hidden = true;
  $("chat").hidden = false;
  $("account").hidden = false;
  $("who").textContent = session.email || "";
  $("history-panel").open = window.matchMedia("(min-width: 60rem)").matches;
  clearTimeout(state.expiryTimer);
  state.expiryTimer = setTimeout(() => signOut(EXPIRED), Math.min(2 ** 31 - 1, session.expires_at - Date.now()));
  thread.clear();
  state.position = fresh ? null : loadPosition();
  if (fresh) {
    saveThread([]);
  } else {
    const ids = loadThread();
    $("thread-empty").hidden = ids.length > 0;
    const runs = await Promise.all(ids.map((id) => fetchRun(id).catch((error) => error)));
    if (generation !== state.generation) return;
    for (const run of runs) {
      if (run instanceof ApiError && run.status === 401) return signOut(EXPIRED);
      if (run && run.run_id) thread.load(run);
    }
    saveThread(thread.ids());
  }
  $("thread-empty").hidden = thread.ids().length > 0;
  connect(session);
  refreshHistory();
}

function connect(session) {
  if (state.connection) state.connection.stop();
  state.connection = new Connection(session.token, {
    onEvent: receiveEvent,
    onFrame: receiveFrame,
    onState: showConnection,
    onAuthFailed: authFailed,
    onPosition: (seq) => setPosition(seq),
    onResync: resync,
    onSynced: () => {
      state.epoch += 1;
      thread.connectionEpoch = state.epoch;
      thread.settlePending();
    },
  }, () => state.position);
  state.connection.start();
}

function setPosition(seq) {
  if (!Number.isSafeInteger(seq)) return;
  state.position = seq;
  savePosition(seq);
}

function receiveEvent(event) {
  thread.apply(event);
  if (state.position === null || event.seq > state.position) setPosition(event.seq);
  $("thread-empty").hidden = true;
  if (TERMINAL.has(event.type)) scheduleHistory();
}

function receiveFrame(frame) {
  if (frame.type !== "error") return;
  const data = frame.data || {};
  if (data.request_id && thread.refuse(data.request_id, data)) return;
  form.showFormError(errorFrameWords(data));
}

function showConnection({ state: name, text }) {
  const el = $("connection");
  el.dataset.state = name;
  el.textContent = text;
  const online = name === "connected";
  form.setOnline(online, online ? "" : "Sending is paused until the connection is back.");
  thread.setOnline(online);
}

function authFailed(reason) {
  const stored = loadSession();
  if (stored && state.session && stored.token !== state.session.token && !isExpired(stored)) {
    // Another tab signed in again meanwhile: carry on with its token.
    state.session = stored;
    connect(stored);
    return;
  }
  signOut(/expired/i.test(reason) ? EXPIRED
    : "Your sign-in is no longer valid. Please sign in again.");
}

/**
 * The server cannot replay from our position (history trimmed, or a new database): bring the
 * thread's runs up to date over HTTP, add runs started since the newest event shown, and go on
 * from the server's position. Nothing is cleared, so the thread keeps its order.
 */
async function resync(lastSeq) {
  const generation = state.generation;
  const token = state.session && state.session.token;
  const since = thread.lastEventAt;
  const [runs, listing] = await Promise.all([
    Promise.all(thread.ids().map((id) => fetchRun(id).catch(() => null))),
    api("/api/runs?limit=50", { token }).catch(() => ({ runs: [] })),
  ]);
  if (generation !== state.generation) return;
  for (const run of runs) if (run && run.run_id) thread.load(run);
  if (since !== null) {
    const newer = listing.runs.filter((run) => !thread.has(run.run_id) && Date.parse(run.started_at) >= since);
    for (const run of newer.reverse()) await openRun(run.run_id, false);
  }
  if (generation !== state.generation) return;
  saveThread(thread.ids());
  setPosition(lastSeq);
}

function fetchRun(runId) {
  return api(`/api/runs/${encodeURIComponent(runId)}`, { token: state.session && state.session.token });
}

async function openRun(runId, focus) {
  const generation = state.generation;
  try {
    const run = await fetchRun(runId);
    if (generation === state.generation) thread.load(run, { focus });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut(EXPIRED);
    else $("history-status").textContent = error.message;
  }
}

function sendQuestion({ agent, message, context }) {
  const connection = state.connection;
  if (!connection || !connection.ready) {
    form.showFormError("Not connected: your question was not sent. It can be sent once the connection is back.");
    return false;
  }
  const requestId = uniqueId();
  const turn = thread.ask(requestId, agent, message);
  turn.sentOn = state.epoch;
  connection.send({
    type: "agent_request", agent, message, context, request_id: requestId,
    conversation_id: conversationId(uniqueId),
  });
  $("thread-empty").hidden = true;
  return true;
}

// ---- history --------------------------------------------------------------------------------

function scheduleHistory() {
  clearTimeout(state.historyTimer);
  state.historyTimer = setTimeout(refreshHistory, 300);
}

const STATUS = { running: "running", completed: "done", failed: "failed", cancelled: "cancelled" };
const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

async function refreshHistory() {
  const generation = state.generation;
  if (!state.session) return;
  $("history-status").textContent = "Loading…";
  try {
    const { runs } = await api("/api/runs?limit=50", { token: state.session.token });
    if (generation !== state.generation) return;
    $("history").replaceChildren(...runs.map((run) => {
      const message = (run.request && run.request.message) || "";
      return h("li", {},
        h("button", { type: "button", class: "history-item", dataset: { runId: run.run_id },
          onclick: () => (thread.has(run.run_id) ? thread.focus(run.run_id) : openRun(run.run_id, true)) },
          h("span", { class: "history-line" }, h("strong", {}, agentLabel(run.agent)), " ",
            h("span", { class: `chip ${run.status}` }, STATUS[run.status] || run.status)),
          h("span", { class: "history-message" }, message.length > 90 ? message.slice(0, 89) + "…" : message),
          h("time", { class: "meta", datetime: run.started_at }, when.format(new Date(run.started_at)))));
    }));
    $("history-count").textContent = `(${runs.length})`;
    $("history-status").textContent = runs.length ? "" : "No runs yet.";
  } catch (error) {
    if (generation !== state.generation) return;
    if (error instanceof ApiError && error.status === 401) signOut(EXPIRED);
    else $("history-status").textContent = `Could not load past runs: ${error.message}`;
  }
}

// ---- sign out -------------------------------------------------------------------------------

/** Forget everything of this user: token, storage, fields, header, thread, history. */
function signOut(message = "") {
  state.generation += 1;
  if (state.connection) state.connection.stop();
  state.connection = null;
  state.session = null;
  state.position = null;
  state.epoch = 0;
  clearTimeout(state.expiryTimer);
  clearTimeout(state.historyTimer);
  clearStorage();
  thread.clear();
  form.reset();
  $("history").replaceChildren();
  $("history-count").textContent = "";
  $("history-status").textContent = "";
  $("who").textContent = "";
  $("account").hidden = true;
  $("chat").hidden = true;
  $("auth").hidden = false;
  $("login-form").reset();
  $("signup-form").reset();
  clearAuthErrors();
  showTab("login");
  notice(message);
  $("login-email").focus();
}

// ---- wiring ---------------------------------------------------------------------------------

$("tab-login").addEventListener("click", () => { showTab("login"); $("login-email").focus(); });
$("tab-signup").addEventListener("click", () => { showTab("signup"); $("signup-email").focus(); });
for (const tab of [$("tab-login"), $("tab-signup")]) {
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = tab.id === "tab-login" ? "signup" : "login";
    showTab(next);
    $(`tab-${next}`).focus();
  });
}
$("login-form").addEventListener("submit", (event) => { event.preventDefault(); authenticate("login"); });
$("signup-form").addEventListener("submit", (event) => { event.preventDefault(); authenticate("signup"); });
$("logout").addEventListener("click", () => signOut("You are signed out."));
$("history-refresh").addEventListener("click", refreshHistory);
$("clear-thread").addEventListener("click", () => {
  thread.clear();
  saveThread([]);
  newConversation(uniqueId);
  $("thread-empty").hidden = false;
  form.message.focus();
});

// Another tab signed in or out: follow it, so all tabs of the browser share one session.
window.addEventListener("storage", (event) => {
  if (event.storageArea !== localStorage || !isSessionKey(event.key)) return;
  const stored = loadSession();
  if (!stored && state.session) signOut(isExpired(state.session) ? EXPIRED : "You signed out in another tab.");
  else if (stored && !isExpired(stored) && (!state.session || stored.user_id !== state.session.user_id)) {
    if (state.session) signOut("");
    enter(stored, false);
  } else if (stored && state.session) {
    state.session = stored; // same user, a fresh token: used at the next connect
  }
});

api("/api/agents").then((body) => form.setAgents(body.agents)).catch(() => {});
api("/api/cost-model/services").then((body) => form.setServices(body.services)).catch(() => {});

const stored = loadSession();
if (stored && !isExpired(stored)) enter(stored, false);
else if (stored) { clearStorage(); notice(EXPIRED); }
