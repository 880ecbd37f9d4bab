// Netra chat page: log in, open /api/ws with the token in a subprotocol (browsers cannot set
// headers, and tokens never go in URLs), send agent requests and show each event as it lands.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;

function token() { return sessionStorage.getItem("netra.token"); }

async function authenticate(path) {
  $("auth-error").textContent = "";
  const body = { email: $("email").value, password: $("password").value };
  if (path === "register") body.subscription = $("subscription").value;
  const response = await fetch(`/api/auth/${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const payload = await response.json();
  if (!response.ok) {
    $("auth-error").textContent = payload.error ? payload.error.message : response.statusText;
    return;
  }
  sessionStorage.setItem("netra.token", payload.token);
  sessionStorage.setItem("netra.email", payload.email);
  showChat();
}

function showChat() {
  $("auth").hidden = true;
  $("chat").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = sessionStorage.getItem("netra.email") || "";
  connect();
}

function connect() {
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`,
                         ["netra.v1", `bearer.${token()}`]);
  socket.onopen = () => { $("status").textContent = "online"; };
  socket.onclose = (event) => {
    $("status").textContent = `offline (${event.code}${event.reason ? ": " + event.reason : ""})`;
    if (event.code === 4401) logout();
  };
  socket.onmessage = (message) => show(JSON.parse(message.data));
}

function show(event) {
  if (event.type === "pong") return;
  const item = document.createElement("li");
  item.className = event.type;
  const title = document.createElement("span");
  title.className = "type";
  title.textContent = event.seq ? `#${event.seq} ${event.type}` : event.type;
  item.append(title, " ", summary(event));
  $("events").append(item);
}

function summary(event) {
  const data = event.data || {};
  if (event.type === "agent_thinking") return data.text;
  if (event.type === "tool_executing") return `${data.tool}(${JSON.stringify(data.arguments)})`;
  if (event.type === "tool_completed") return `${data.tool} done in ${data.duration_ms} ms`;
  if (event.type === "agent_failed" || event.type === "error") {
    const error = data.error || data;
    return `${error.code}: ${error.message}`;
  }
  if (event.type === "agent_completed") {
    const pre = document.createElement("pre");
    const result = data.result || {};
    pre.textContent = result.summary || result.reply || JSON.stringify(result, null, 2);
    return pre;
  }
  return data.agent || "";
}

function send(submit) {
  submit.preventDefault();
  let context = {};
  const text = $("context").value.trim();
  if (text) {
    try { context = JSON.parse(text); } catch (err) {
      show({ type: "error", data: { code: "invalid_context_json", message: String(err) } });
      return;
    }
  }
  socket.send(JSON.stringify({
    type: "agent_request", agent: $("agent").value, message: $("message").value, context,
  }));
}

function logout() {
  sessionStorage.clear();
  if (socket) socket.close();
  $("auth").hidden = false;
  $("chat").hidden = true;
  $("logout").hidden = true;
}

$("auth-form").addEventListener("submit", (e) => { e.preventDefault(); authenticate("login"); });
$("register").addEventListener("click", () => authenticate("register"));
$("ask").addEventListener("submit", send);
$("logout").addEventListener("click", logout);
if (token()) showChat();
