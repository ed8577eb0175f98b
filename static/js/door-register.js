// Door register, progressive enhancement: the page works fully without this file.
// 1. The search box filters the list as you type.
// 2. Marking posts in the background and swaps in the updated register, so the
//    page does not jump; the status line announces the result to screen readers.
(function () {
  "use strict";
  var root = document.getElementById("door-register");
  if (!root || !window.fetch || !window.DOMParser) { return; }

  function filter(input) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    root.querySelectorAll(".door-people li[data-name]").forEach(function (row) {
      var text = row.getAttribute("data-name");
      row.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
    });
  }

  root.addEventListener("input", function (event) {
    if (event.target.matches("[data-door-filter]")) { filter(event.target); }
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-door-mark]")) { return; }
    event.preventDefault();
    var rowId = form.closest("li") && form.closest("li").id;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("door-register");
        var message = page.querySelector(".messages .alert");
        if (!fresh) { throw new Error("no register in the response"); }
        var query = root.querySelector("[data-door-filter]").value;
        root.innerHTML = fresh.innerHTML;
        var input = root.querySelector("[data-door-filter]");
        input.value = query;
        filter(input);
        root.querySelector("#door-status").textContent = message ? message.textContent.trim() : "Saved.";
        var row = rowId && document.getElementById(rowId);
        var again = row && row.querySelector("button[aria-pressed='true']");
        if (again) { again.focus(); } else { input.focus(); }
      })
      .catch(function () {
        // Fall back to the ordinary form post, which always works.
        buttons.forEach(function (b) { b.disabled = false; });
        form.submit();
      });
  });
})();
