// Netspace ONE Partners Portal (netspace-mock): reveal the secret key, follow a certification run.
// Plain JavaScript, no library, nothing fetched but the portal's own progress endpoint.
(function () {
  "use strict";

  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-reveal"));
      var masked = document.querySelector('[data-masked-for="' + target.id + '"]');
      var show = target.hidden;
      target.hidden = !show;
      if (masked) masked.hidden = show;
      button.textContent = show ? "Hide" : "Reveal";
      button.setAttribute("aria-expanded", String(show));
    });
  });

  var panel = document.querySelector("[data-progress-url]");
  if (!panel) return;
  var url = panel.getAttribute("data-progress-url");
  var finished = panel.getAttribute("data-done-url");
  var bar = panel.querySelector("progress");
  var count = panel.querySelector("[data-count]");

  function show(state) {
    state.items.forEach(function (item) {
      var row = panel.querySelector('li[data-key="' + CSS.escape(item.key) + '"]');
      if (!row) return;
      var badge = row.querySelector(".badge");
      badge.textContent = item.status.replace(/_/g, " ");
      badge.className = "badge badge-" + item.status;
      row.querySelector(".msg").textContent = item.message || "";
    });
    bar.max = state.total;
    bar.value = state.done;
    count.textContent = state.done + " of " + state.total + " checks done";
  }

  function open(location_) {
    // The finished run is rendered by the server, with every step; reload when already on its URL.
    if (location.pathname + location.search === location_.split("#")[0]) location.reload();
    else location.assign(location_);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          return response.json().then(function (body) {
            location.assign(body.sign_in);
            return null;
          });
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        if (state === null) return;
        show(state);
        if (state.status === "running") setTimeout(poll, 400);
        else open(finished);
      })
      .catch(function () {
        setTimeout(poll, 2000);
      });
  }

  setTimeout(poll, 300);
})();
