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
