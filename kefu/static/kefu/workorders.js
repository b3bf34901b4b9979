/* Kefu work orders: keyboard help for the agent (no dependencies).
   - "n" (outside a text field) jumps to the "create work order" form of the customer 360 page;
   - Ctrl+Enter (or ⌘+Enter) in a form field sends its form. */
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(document.activeElement)) return;
    var target = document.querySelector('[data-hotkey="' + event.key + '"]');
    if (target) {
      event.preventDefault();
      var details = target.closest("details");
      if (details) details.open = true;
      target.focus();
    }
  });
})();

/* The workflow editor: "add a row" appends a copy of the formset's empty form (Django's __prefix__). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var body = document.querySelector("#" + prefix + "-rows tbody");
    if (!total || !template || !body) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = body.lastElementChild && body.lastElementChild.querySelector("input, select");
    if (first) first.focus();
  });
})();
