/* Kefu wallboard (CC-3): queues and agents, live over a WebSocket; a team leader can force a state. */
(function () {
  "use strict";
  var root = document.getElementById("wallboard");
  if (!root) return;
  var names = JSON.parse(document.getElementById("group-names").textContent);
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var labels = {};
  document.getElementById("labels").content.querySelectorAll("[data-state]").forEach(function (el) { labels[el.dataset.state] = el.textContent; });
  var forceLabel = document.getElementById("labels").content.querySelector("[data-label=force]").textContent;
  var snapshot = null;
  var forceOptions = document.getElementById("force-options").content.querySelector("select");
  var chosen = {}; // agent -> the option picked, kept across re-renders

  function cell(text, cls) { var td = document.createElement("td"); td.textContent = text == null ? "—" : text; if (cls) td.className = cls; return td; }
  function render() {
    if (!snapshot) return;
    var now = Date.now() / 1000;
    var qbody = document.querySelector("#queues tbody");
    qbody.innerHTML = "";
    snapshot.groups.forEach(function (g) {
      var tr = document.createElement("tr");
      tr.dataset.group = g.group;
      var a = g.agents || {}, t = g.today || {};
      [names[g.group] || g.group, g.waiting, Math.round(g.longest_wait) + "s", a.ready || 0, (a.talking || 0) + (a.ringing || 0),
       a.wrap_up || 0, (a.not_ready || 0) + (a["break"] || 0), t.offered, t.answered, t.abandoned,
       t.service_level == null ? null : t.service_level + "%"].forEach(function (v, i) {
        var td = cell(v, i ? "num" : ""); if (i === 1) td.dataset.field = "waiting"; tr.appendChild(td);
      });
      qbody.appendChild(tr);
    });
    var abody = document.querySelector("#agents tbody");
    abody.innerHTML = "";
    snapshot.agents.forEach(function (agent) {
      var tr = document.createElement("tr");
      tr.dataset.agent = agent.agent; tr.dataset.state = agent.state;
      tr.appendChild(cell(agent.agent + " " + (agent.name || "")));
      var st = cell(labels[agent.state] || agent.state); st.dataset.field = "state"; tr.appendChild(st);
      tr.appendChild(cell(agent.reason));
      tr.appendChild(cell(Math.max(0, Math.round(now - agent.since)) + "s", "num"));
      tr.appendChild(cell(agent.call || (agent.consult ? "⇄ " + agent.consult : null)));  // ⇄: consulted on the call
      var td = document.createElement("td");
      if (root.dataset.force && agent.state !== "logged_out") {
        // any state may be asked for; the router refuses an illegal change (on a call -> logged out) with its reason
        var select = forceOptions.cloneNode(true); select.dataset.forceFor = agent.agent;
        if (chosen[agent.agent]) select.value = chosen[agent.agent];
        var b = document.createElement("button"); b.type = "button"; b.className = "small secondary";
        b.textContent = forceLabel; b.dataset.force = agent.agent;
        td.appendChild(select); td.appendChild(b);
      }
      tr.appendChild(td);
      abody.appendChild(tr);
    });
    document.getElementById("updated").textContent = new Date(snapshot.at * 1000).toLocaleTimeString();
  }
  document.querySelector("#agents").addEventListener("change", function (event) {
    var select = event.target.closest("[data-force-for]");
    if (select) chosen[select.dataset.forceFor] = select.value;
  });
  document.querySelector("#agents").addEventListener("click", function (event) {
    var b = event.target.closest("[data-force]");
    if (!b) return;
    var select = b.parentNode.querySelector("[data-force-for]");
    var picked = (select ? select.value : "logout").split(":");
    fetch("/api/v1/contact/desktop/force", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({agent: b.dataset.force, action: picked[0], reason: picked[1] || ""})})
      .then(function (r) { return r.json().then(function (d) {
        var err = document.getElementById("wall-error"); err.hidden = r.ok; err.textContent = r.ok ? "" : (d.detail || r.statusText);
      }); });
  });
  function onMessage(m) {
    if (m.type === "snapshot") { snapshot = m; render(); return; }
    if (m.type === "agent.state" && snapshot) {
      var row = snapshot.agents.find(function (a) { return a.agent === m.agent; });
      if (row) { row.state = m.state; row.reason = m.reason; row.call = m.call; row.consult = m.consult; row.since = m.at; }
      else snapshot.agents.push({agent: m.agent, name: "", state: m.state, reason: m.reason, call: m.call, consult: m.consult, since: m.at});
      render();
    }
  }
  var conn = document.getElementById("connection"), delay = 500;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws);
    ws.onopen = function () { delay = 500; conn.dataset.up = "1"; conn.textContent = "●"; };
    ws.onmessage = function (e) { onMessage(JSON.parse(e.data)); };
    ws.onclose = function () { conn.dataset.up = "0"; conn.textContent = "○"; setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
  }
  setInterval(render, 1000);
  connect();
})();
