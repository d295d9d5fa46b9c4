/* 签到大屏 of the attendance flow (offline sessions and warning meetings):
   keep the rotating code current without reloading the page.
   The server decides the code; this only fetches it again when the current
   one runs out (and every few seconds for the counts). If the network drops,
   the code is dimmed so nobody scans one that may have expired. */
(function () {
    "use strict";
    var root = document.getElementById("screen");
    if (!root) { return; }
    var img = document.getElementById("qr");
    var figure = img.parentNode;
    var bar = document.getElementById("timer-bar");
    var status = document.getElementById("screen-status");
    var url = root.getAttribute("data-code-url");
    var poll = parseFloat(root.getAttribute("data-poll")) || 5;
    var stepSeconds = 30;
    var deadline = Date.now() + parseFloat(root.getAttribute("data-expires-in")) * 1000;
    var timer = null;

    function tick() {
        var left = Math.max(0, deadline - Date.now());
        bar.style.transform = "scaleX(" + Math.min(1, left / (stepSeconds * 1000)) + ")";
    }

    function schedule(seconds) {
        clearTimeout(timer);
        timer = setTimeout(refresh, Math.max(250, seconds * 1000));
    }

    function refresh() {
        fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
            .then(function (response) {
                if (response.status === 409) {
                    figure.classList.add("is-stale");
                    status.textContent = root.getAttribute("data-msg-closed");
                    return null;
                }
                if (!response.ok) { throw new Error(String(response.status)); }
                return response.json();
            })
            .then(function (data) {
                if (!data) { return; }
                stepSeconds = data.step_seconds || stepSeconds;
                if (String(data.step) !== img.getAttribute("data-step")) {
                    img.src = data.qr;
                    img.setAttribute("data-step", String(data.step));
                }
                deadline = Date.now() + data.expires_in * 1000;
                // The counts this screen shows (each target has its own: 应到, 已签到, 已签退 …).
                var counts = root.querySelectorAll("[data-count]");
                for (var i = 0; i < counts.length; i++) {
                    var key = counts[i].getAttribute("data-count");
                    if (data[key] !== undefined) { counts[i].textContent = data[key]; }
                }
                figure.classList.remove("is-stale");
                status.textContent = "";
                // Fetch again just after this code runs out, or sooner for the counts.
                schedule(Math.min(poll, data.expires_in + 0.3));
            })
            .catch(function () {
                if (Date.now() > deadline) { figure.classList.add("is-stale"); }
                status.textContent = root.getAttribute("data-msg-offline");
                schedule(3);
            });
    }

    setInterval(tick, 200);
    tick();
    schedule(Math.min(poll, (deadline - Date.now()) / 1000 + 0.3));
})();
