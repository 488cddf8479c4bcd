// runbook serve: live updates of a run that is still going. Served as a
// file of the console (the Content-Security-Policy allows no inline
// script). It asks for the run's content once a second while the journal
// grows, and keeps open the output sections the reader opened.
"use strict";
(function () {
  var run = document.getElementById("run");
  if (!run || run.dataset.going !== "true") {
    return;
  }
  var length = run.dataset.length;
  var gates = run.dataset.gates || "";
  var id = run.dataset.run;
  function openKeys() {
    var keys = {};
    run.querySelectorAll("details[open]").forEach(function (d) {
      keys[d.dataset.key] = true;
    });
    return keys;
  }
  function poll() {
    fetch("/runs/" + encodeURIComponent(id) + "/live?known=" + encodeURIComponent(length) +
          "&gates=" + encodeURIComponent(gates), {
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 204) {
        return null;
      }
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      var going = response.headers.get("x-run-going") === "1";
      length = response.headers.get("x-journal-length") || length;
      gates = response.headers.get("x-gates") || gates;
      return response.text().then(function (html) {
        var open = openKeys();
        // The server escaped every value from the journal; the page's
        // policy would block any script in it anyway.
        run.innerHTML = html;
        run.querySelectorAll("details").forEach(function (d) {
          if (open[d.dataset.key]) {
            d.open = true;
          }
        });
        run.dataset.length = length;
        run.dataset.gates = gates;
        run.dataset.going = going ? "true" : "false";
        return going;
      });
    }).then(function (going) {
      if (going !== false) {
        setTimeout(poll, 1000);
      }
    }).catch(function () {
      setTimeout(poll, 3000);
    });
  }
  setTimeout(poll, 1000);
})();
