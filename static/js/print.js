// Shows the print button (it does nothing without JavaScript, so it starts hidden).
document.querySelectorAll("[data-print]").forEach(function (button) {
  "use strict";
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
