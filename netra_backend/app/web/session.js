// The signed-in session and the HTTP API.
//
// Where the session lives: localStorage, so one sign-in covers every tab of the browser (and
// survives a reload); sessionStorage would be per tab. Log out removes every `netra.` key, and
// other tabs hear of it through the `storage` event and sign out too. The token goes only in
// an Authorization header or the WebSocket subprotocol, never in a URL.
"use strict";

const PREFIX = "netra.";
const SESSION_KEY = PREFIX + "session";
const THREAD_KEY = PREFIX + "thread";
const POSITION_KEY = PREFIX + "last_seq";
const CONVERSATION_KEY = PREFIX + "conversation";

function readJSON(key) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

/** The stored session {token, email, user_id, subscription, expires_at} or null. */
export function loadSession() {
  const session = readJSON(SESSION_KEY);
  if (!session || typeof session.token !== "string") return null;
  return session;
}

export function saveSession(auth) {
  const session = {
    token: auth.token,
    email: auth.email,
    user_id: auth.user_id,
    subscription: auth.subscription,
    expires_at: Date.now() + (Number(auth.expires_in) || 3600) * 1000,
  };
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function isExpired(session) {
  return !session || Date.now() >= session.expires_at;
}

/** Remove every trace of the session from this browser's storage. */
export function clearStorage() {
  for (const store of [localStorage, sessionStorage]) {
    for (const key of Object.keys(store)) {
      if (key.startsWith(PREFIX)) store.removeItem(key);
    }
  }
}

export const isSessionKey = (key) => key === null || key === SESSION_KEY;

/** The run ids of the conversation on screen, oldest first. */
export function loadThread() {
  const ids = readJSON(THREAD_KEY);
  return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
}

/** Only the newest runs are kept for a reload (each is one GET); older ones stay in the history. */
export const THREAD_KEPT = 50;

export function saveThread(ids) {
  localStorage.setItem(THREAD_KEY, JSON.stringify(ids.slice(-THREAD_KEPT)));
}

/**
 * The `conversation_id` of the thread on screen, sent with every question so an agent that
 * keeps conversations (the assistant) sees the earlier turns. Made on first use with `makeId`.
 */
export function conversationId(makeId) {
  const id = readJSON(CONVERSATION_KEY);
  return typeof id === "string" && id ? id : newConversation(makeId);
}

/** Start a new conversation (Clear thread): later questions no longer see the earlier turns. */
export function newConversation(makeId) {
  const id = makeId();
  localStorage.setItem(CONVERSATION_KEY, JSON.stringify(id));
  return id;
}

/** The last event `seq` this browser has shown (null: not known yet). */
export function loadPosition() {
  const value = readJSON(POSITION_KEY);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export function savePosition(seq) {
  localStorage.setItem(POSITION_KEY, JSON.stringify(seq));
}

/** An HTTP failure, in words a person can act on; `status` 401 means the session is over. */
export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

const FIELD_WORDS = { email: "Email", password: "Password", subscription: "Plan" };

/** Turn the API's `{error: {code, message, fields}}` into a sentence (never raw pydantic). */
function describe(status, body, retryAfter) {
  const error = (body && body.error) || {};
  const fields = Array.isArray(error.fields) ? error.fields : [];
  switch (error.code || status) {
    case "invalid_request": {
      if (fields.length === 0) return "The form is incomplete or invalid.";
      const parts = fields.map((field) => {
        if (field === "email") return "Enter a valid email address.";
        if (field === "password") return "The password must be 8 to 256 characters.";
        return `${FIELD_WORDS[field] || field} is not valid.`;
      });
      return parts.join(" ");
    }
    case "conflict":
      return "An account with this email already exists. Log in instead.";
    case "too_many_attempts":
      return `Too many failed attempts. Try again in ${retryAfter || "a few"} seconds.`;
    case "storage_error":
      return "The server cannot reach its database right now. Try again shortly.";
    case "body_too_large":
      return "That is too much text to send.";
    case "unauthorized":
    case "invalid_token":
      return error.message || "You are not signed in.";
    default:
      if (status >= 500) return "The server had a problem. Try again shortly.";
      return error.message || `The request failed (HTTP ${status}).`;
  }
}

/** fetch() JSON from the API; throws ApiError (status 0 when the server is unreachable). */
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "unreachable", "The server cannot be reached. Check your connection.");
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const code = payload && payload.error ? payload.error.code : String(response.status);
    const fields = payload && payload.error && payload.error.fields ? payload.error.fields : [];
    throw new ApiError(
      response.status, code, describe(response.status, payload, response.headers.get("retry-after")),
      fields,
    );
  }
  return payload;
}
