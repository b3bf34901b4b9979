/* Kefu agent desktop (CC-6): state buttons, the screen pop over a WebSocket, call actions, wrap-up.
   No dependencies. The server sends the pop already rendered (the caller's customer 360). */
(function () {
  "use strict";
  var root = document.getElementById("desktop");
  if (!root) return;
  var api = root.dataset.api;
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var stateEl = document.getElementById("agent-state");
  var connEl = document.getElementById("connection");
  var errorEl = document.getElementById("desk-error");
  var callBox = document.getElementById("call");
  var pop = document.getElementById("pop");
  var wrapBox = document.getElementById("wrap-up");
  var current = null; // {call, contact}
  var lastContact = null;
  var labels = {};
  root.querySelectorAll(".state-buttons [data-action]").forEach(function (b) { labels[b.dataset.action] = b.textContent.trim(); });
  var stateNames = {logged_out: labels.logout, logged_in: labels.login, ready: labels.ready, not_ready: labels.not_ready,
                    "break": labels["break"], ringing: "☎", talking: "☎ …", wrap_up: "✎"};

  function setState(state, reason) {
    root.dataset.state = state;
    stateEl.dataset.state = state;
    stateEl.textContent = (stateNames[state] || state) + (reason ? " · " + reason : "");
    document.getElementById("answer").hidden = state !== "ringing";
  }
  function showError(text) {
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
  }
  function post(path, body) {
    showError("");
    return fetch(api + path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) showError(data.detail || r.statusText);
        return data;
      });
    }).catch(function () { showError("⚠"); });
  }
  root.querySelectorAll(".state-buttons [data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = {action: button.dataset.action};
      if (body.action === "not_ready") body.reason = document.getElementById("not-ready-reason").value;
      post("state", body);
    });
  });
  root.querySelectorAll("[data-call]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!current) return;
      var body = {action: button.dataset.call};
      if (body.action === "transfer" || body.action === "consult") {
        var to = document.getElementById("transfer-to").value.split(":");
        body[to[0] === "group" ? "to_group" : "to_agent"] = to[1];
      }
      post("calls/" + encodeURIComponent(current.call), body);
    });
  });
  // consult (咨询): the agent on the call consults a colleague or a group, the customer on hold; then
  // completes the transfer, conferences or goes back to the customer. The consulted agent's desk
  // shows the consult leg (with the customer's pop) to answer or decline.
  var consultControls = document.getElementById("consult-controls");
  var consultLeg = document.getElementById("consult-leg");
  var consultPop = document.getElementById("consult-pop");
  var consultLabels = {};
  document.getElementById("consult-labels").content.querySelectorAll("[data-label]").forEach(function (el) { consultLabels[el.dataset.label] = el.textContent; });
  var consulted = null; // {call, contact, from} while this agent is consulted
  function consultState(state) {
    root.dataset.consult = state || "";
    document.getElementById("consult-state").textContent = consultLabels[state] || "";
    document.getElementById("consult-leg-state").textContent = consultLabels[state] || "";
    document.getElementById("consult-answer").hidden = state !== "ringing";
  }
  function endConsult() {
    consultControls.hidden = true;
    consultState("");
    if (consulted) { consulted = null; consultLeg.hidden = true; consultPop.innerHTML = ""; }
  }
  root.querySelectorAll("[data-consult]").forEach(function (button) {
    button.addEventListener("click", function () {
      var call = consulted ? consulted.call : current && current.call;
      if (!call) return;
      post("calls/" + encodeURIComponent(call), {action: button.dataset.consult});
    });
  });
  function onConsult(message) {
    var me = root.dataset.agent;
    if (message.consultant === me && message.agent !== me) {
      if (message.type === "call.consult_offered") {
        consulted = {call: message.call, contact: message.contact, from: message.agent, html: message.html || ""};
        document.getElementById("consult-from").textContent = message.agent;
        document.getElementById("consult-call").textContent = message.call;
        consultPop.innerHTML = message.html || "";
        consultLeg.hidden = false;
        consultState(message.answered ? "talking" : "ringing");
      } else if (message.type === "call.consult_answered") consultState("talking");
      else if (message.type === "call.conferenced") consultState("conference");
      else if (message.type === "call.consult_completed") {
        var html = consulted ? consulted.html : "";
        endConsult();
        showPop({call: message.call, contact: message.contact, group: message.group, html: html});
      } else if (message.type === "call.consult_cancelled" || message.type === "call.ended") endConsult();
      return;
    }
    if (message.agent !== me) return;
    if (message.type === "call.consult_offered") {
      document.getElementById("consult-with").textContent = message.consultant;
      consultControls.hidden = false;
      consultState(message.answered ? "talking" : "ringing");
    } else if (message.type === "call.consult_answered") consultState("talking");
    else if (message.type === "call.conferenced") consultState("conference");
    else endConsult();
  }

  document.getElementById("wrap-up-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!lastContact) return;
    var form = event.target;
    post("contacts/" + lastContact + "/wrap-up", {code: form.code.value, outcome: form.outcome.value, summary: form.summary.value})
      .then(function (data) { if (data && data.id) { wrapBox.hidden = true; form.reset(); } });
  });

  function showPop(message) {
    current = {call: message.call, contact: message.contact};
    lastContact = message.contact;
    document.getElementById("call-id").textContent = message.call;
    document.getElementById("call-info").textContent = (message.group || "") + (message.waited != null ? " · " + Math.round(message.waited) + "s" : "");
    pop.innerHTML = message.html || "";
    // the pop is rendered without a request: give its forms the page's CSRF token; orders open in a new tab
    pop.querySelectorAll("form[method=post]").forEach(function (form) {
      if (!form.querySelector("input[name=csrfmiddlewaretoken]")) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "csrfmiddlewaretoken"; input.value = csrf;
        form.appendChild(input);
      }
      if (form.closest("[data-target-blank]")) form.target = "_blank";
    });
    callBox.hidden = false;
    wrapBox.hidden = true;
    root.dispatchEvent(new CustomEvent("kefu:pop", {detail: message}));
  }

  function onMessage(message) {
    switch (message.type) {
      case "hello":
        connEl.dataset.up = "1"; connEl.textContent = "●";
        if (message.state) {
          setState(message.state.state, message.state.reason);
          if (message.state.call && lastContact === null && root.dataset.lastContact) lastContact = root.dataset.lastContact;
        } else setState("logged_out");
        break;
      case "agent.state":
        setState(message.state, message.reason);
        if (message.state === "wrap_up") { callBox.hidden = true; wrapBox.hidden = false; current = null; }
        else if (!message.call && message.state !== "ringing" && message.state !== "talking") { callBox.hidden = true; current = null; }
        break;
      case "call.assigned":
        showPop(message);
        break;
      case "call.consult_offered":
      case "call.consult_answered":
      case "call.conferenced":
      case "call.consult_completed":
      case "call.consult_cancelled":
        onConsult(message);
        break;
      case "call.ended":
        if (consulted && consulted.call === message.call) endConsult();
        else if (current && current.call === message.call) { consultControls.hidden = true; consultState(""); }
        break;
      case "call.transferred":
      case "call.abandoned":
        if (current && current.call === message.call) { callBox.hidden = true; current = null; }
        break;
      case "event.refused":
        showError(message.message || message.reason);
        break;
    }
  }

  var delay = 500;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws);
    ws.onopen = function () { delay = 500; };
    ws.onmessage = function (event) { onMessage(JSON.parse(event.data)); };
    ws.onclose = function () {
      connEl.dataset.up = "0"; connEl.textContent = "○";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
    setInterval(function () { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 25000);
  }
  setState(root.dataset.state);
  connect();
})();
