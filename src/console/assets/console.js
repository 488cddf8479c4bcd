// runbook serve: the console's only script. Served as a file of the
// console (the Content-Security-Policy allows no inline script). It
// - follows a run that is still going: asks for the run's content once a
//   second while the journal grows, and keeps open the output sections the
//   reader opened and what was typed in a decision form; signed out (401),
//   it stops and says "signed out: sign in again" with a link to /signin;
// - signs in a deciding console (`--decide`): takes the token from the
//   sign-in address's fragment (never sent to the server in a request
//   line, log or referrer) or its field (a pasted --token-file's), and
//   posts it to /signin;
// - signs out: posts /signout with the session's CSRF token, which ends
//   the session on the server;
// - decides: posts a decision with the session's CSRF token in a header.
// Without script, every one of these is a plain form that posts itself
// (the server answers 303), so the console works with JavaScript off.
"use strict";
(function () {
  function signIn() {
    var section = document.getElementById("signin");
    if (!section) {
      return;
    }
    var status = document.getElementById("signin-status");
    function send(token) {
      status.textContent = "Signing in…";
      fetch("/signin", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token })
      }).then(function (response) {
        if (response.ok) {
          status.textContent = "Signed in.";
          window.location.replace("/");
        } else {
          status.textContent = "Not signed in: that is not this console's token.";
        }
      }).catch(function () {
        status.textContent = "Not signed in: the console did not answer.";
      });
    }
    var hash = window.location.hash;
    if (hash.indexOf("#token=") === 0) {
      var token = decodeURIComponent(hash.slice("#token=".length));
      // Out of the address bar and the history at once.
      window.history.replaceState(null, "", window.location.pathname);
      send(token);
    }
    document.getElementById("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = event.target.elements.token;
      var token = field.value.trim();
      field.value = "";
      send(token);
    });
  }

  function signOut() {
    var form = document.getElementById("signout");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch("/signout", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-CSRF-Token": form.dataset.csrf }
      }).then(function (response) {
        if (response.ok) {
          window.location.replace("/signin");
        } else {
          form.querySelector("button").textContent = "Not signed out (" + response.status + "): sign out again";
        }
      }).catch(function () {
        form.querySelector("button").textContent = "Not signed out: the console did not answer";
      });
    });
  }

  function decide() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-verdict]") : null;
      if (!button) {
        return;
      }
      // The script decides instead of the form posting itself.
      event.preventDefault();
      var form = button.closest(".decide-web");
      var status = form.querySelector(".decide-status");
      var decider = document.getElementById("decider");
      if (!decider) {
        status.textContent = "Sign in first: open the sign-in address `runbook serve --decide` printed.";
        return;
      }
      var body = { plan_hash: form.dataset.planHash, verdict: button.dataset.verdict };
      var reason = form.querySelector("[name=reason]");
      if (reason && reason.value !== "" && body.verdict !== "answer") {
        body.reason = reason.value;
      }
      if (body.verdict === "answer") {
        var typed = form.querySelector("[name=answer]");
        body.answer = button.dataset.answer || (typed ? typed.value : "");
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      status.textContent = "Deciding…";
      fetch("/api/v1/runs/" + encodeURIComponent(form.dataset.run) + "/gates/" +
            encodeURIComponent(form.dataset.nonce) + "/decision", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": decider.dataset.csrf },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            status.textContent = "Decided (" + answer.decided.verdict + ") as " +
              answer.decided.by + ": " + (answer.decided.taken ? "the run took it." :
              "the run has not read it yet, and takes it when it next looks.");
          } else {
            status.textContent = "Refused: " + (answer.error ? answer.error.message : response.status);
            form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          }
        });
      }).catch(function () {
        status.textContent = "Refused: the console did not answer.";
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
    });
  }

  function follow() {
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
    function kept() {
      var values = {};
      run.querySelectorAll("[data-keep]").forEach(function (e) {
        values[e.dataset.keep] = "value" in e ? e.value : e.textContent;
      });
      return values;
    }
    // Says so above the run, with the way back: no more polling.
    function signedOut() {
      run.dataset.going = "false";
      if (document.getElementById("signed-out")) {
        return;
      }
      var notice = document.createElement("p");
      notice.id = "signed-out";
      notice.setAttribute("role", "alert");
      notice.appendChild(document.createTextNode("signed out: "));
      var link = document.createElement("a");
      link.href = "/signin";
      link.textContent = "sign in again";
      notice.appendChild(link);
      run.parentNode.insertBefore(notice, run);
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
        if (response.status === 401) {
          // Signed out (in another tab, or the session ended): asking
          // again every few seconds would only be refused again.
          signedOut();
          return false;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        var going = response.headers.get("x-run-going") === "1";
        length = response.headers.get("x-journal-length") || length;
        gates = response.headers.get("x-gates") || gates;
        return response.text().then(function (html) {
          var open = openKeys();
          var values = kept();
          // The server escaped every value from the journal; the page's
          // policy would block any script in it anyway.
          run.innerHTML = html;
          run.querySelectorAll("details").forEach(function (d) {
            if (open[d.dataset.key]) {
              d.open = true;
            }
          });
          run.querySelectorAll("[data-keep]").forEach(function (e) {
            var value = values[e.dataset.keep];
            if (value !== undefined) {
              if ("value" in e) { e.value = value; } else { e.textContent = value; }
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
  }

  signIn();
  signOut();
  decide();
  follow();
})();
