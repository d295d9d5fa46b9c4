/* The lesson player's study clock. The server decides what counts
   (courses/timing.py); this script only reports, every `interval` seconds
   while the page is open: is the page visible, is the video playing and
   where, how long since the last input, and the answer to a presence check.
   It also keeps the video from being skipped ahead or sped up. */
(function () {
    "use strict";
    var configNode = document.getElementById("player-config");
    if (!configNode) { return; }
    var config = JSON.parse(configNode.textContent);
    var text = config.text;
    var csrf = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
    var statusNode = document.getElementById("study-status");
    var timeNode = document.getElementById("study-time");
    var requiredNode = document.getElementById("study-required");
    var meterNode = document.getElementById("study-meter");
    var doneNode = document.getElementById("lesson-done");
    var dialog = document.getElementById("presence-dialog");
    var goneBox = document.getElementById("gone-box");
    var goneMessage = document.getElementById("gone-message");
    var video = document.querySelector("video.study-video");

    var token = null, seq = 0, timer = null, sending = false, stopped = false;
    var lastInput = Date.now(), presenceNonce = "", answeredNonce = "";
    var maxPosition = config.maxPosition || 0;
    var seconds = config.seconds || 0, required = config.required || 0;

    function fmt(total) {
        var m = Math.floor(total / 60), s = total % 60;
        return (m ? m + text.minutes : "") + s + text.seconds;
    }
    function show() {
        timeNode.textContent = fmt(seconds);
        requiredNode.textContent = fmt(required);
        meterNode.style.width = Math.min(100, required ? Math.floor(seconds * 100 / required) : 100) + "%";
    }
    function status(message, kind) {
        statusNode.textContent = message;
        statusNode.className = "study-status" + (kind ? " status-" + kind : "");
    }
    function post(url, body) {
        return fetch(url, {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify(body || {})
        }).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (data) {
                return {status: response.status, data: data};
            });
        });
    }

    ["pointerdown", "pointermove", "keydown", "touchstart", "wheel", "scroll"].forEach(function (name) {
        window.addEventListener(name, function () { lastInput = Date.now(); }, {passive: true});
    });

    if (video) {
        // No skipping past what was watched, no faster playback.
        video.addEventListener("seeking", function () {
            if (video.currentTime > maxPosition + 2) { video.currentTime = maxPosition; }
        });
        video.addEventListener("ratechange", function () {
            if (video.playbackRate !== 1) { video.playbackRate = 1; }
        });
        video.addEventListener("timeupdate", function () {
            if (!video.seeking && video.currentTime <= maxPosition + config.interval * 1.1 + 2) {
                // Local view only; the server keeps the real figure.
                maxPosition = Math.max(maxPosition, Math.min(video.currentTime, maxPosition + 1.5));
            }
        });
        video.addEventListener("play", function () { beat(); });
        video.addEventListener("pause", function () { beat(); });
    }

    function gone(message) {
        stopped = true;
        clearInterval(timer);
        if (video) { video.pause(); }
        goneMessage.textContent = message;
        goneBox.hidden = false;
        status(message, "error");
    }

    function apply(reply) {
        if (typeof reply.seq === "number") { seq = reply.seq; }
        if (typeof reply.seconds === "number") { seconds = reply.seconds; }
        if (typeof reply.required_seconds === "number") { required = reply.required_seconds; }
        if (typeof reply.max_position === "number") { maxPosition = Math.max(maxPosition, reply.max_position); }
        if (video && typeof reply.seek_back_to === "number") {
            maxPosition = reply.seek_back_to;
            video.currentTime = reply.seek_back_to;
        }
        show();
        if (reply.presence && reply.presence.nonce !== answeredNonce) {
            presenceNonce = reply.presence.nonce;
            if (!dialog.open) { dialog.showModal ? dialog.showModal() : dialog.setAttribute("open", ""); }
        }
        if (reply.completed) {
            doneNode.hidden = false;
            status(text.done, "done");
            stopped = true;
            clearInterval(timer);
            return;
        }
        if (required && seconds >= required && document.querySelector("form.check-question:not(.is-answered)")) {
            // The time is there; only the check questions are missing.
            status(text.answerQuestions, "paused");
            return;
        }
        status(reply.message || "", reply.reason === "ok" || reply.reason === "first" ? "" : "paused");
    }

    function beat(extra) {
        if (!token || stopped || sending) { return; }
        sending = true;
        var body = {
            token: token,
            seq: seq + 1,
            visible: document.visibilityState === "visible",
            playing: !!(video && !video.paused && !video.ended),
            idle: Math.floor((Date.now() - lastInput) / 1000)
        };
        if (video) {
            body.position = video.currentTime || 0;
            if (isFinite(video.duration)) { body.duration = video.duration; }
        }
        if (extra && extra.presence) { body.presence = extra.presence; }
        post(config.heartbeat, body).then(function (result) {
            sending = false;
            var data = result.data;
            if (data.gone) { gone(data.message || ""); return; }
            if (result.status === 200 || result.status === 409) { apply(data); return; }
            status(text.error, "error");
        }, function () {
            sending = false;
            status(text.offline, "error");
        });
    }

    function start() {
        stopped = false;
        goneBox.hidden = true;
        post(config.start).then(function (result) {
            if (result.status !== 200) {
                var errors = (result.data.errors || {}).__all__ || [text.error];
                gone(errors[0]);
                return;
            }
            token = result.data.token;
            seq = result.data.seq;
            seconds = result.data.seconds;
            required = result.data.required_seconds;
            maxPosition = Math.max(maxPosition, result.data.max_position || 0);
            show();
            beat();
            clearInterval(timer);
            timer = setInterval(beat, (result.data.interval || config.interval) * 1000);
        }, function () { status(text.offline, "error"); });
    }

    document.addEventListener("visibilitychange", function () {
        if (document.visibilityState !== "visible" && video) { video.pause(); }
        beat();
    });

    document.getElementById("presence-answer").addEventListener("click", function () {
        answeredNonce = presenceNonce;
        if (dialog.close) { dialog.close(); } else { dialog.removeAttribute("open"); }
        lastInput = Date.now();
        var nonce = presenceNonce;
        if (sending) {
            setTimeout(function () { beat({presence: nonce}); }, 500);
        } else {
            beat({presence: nonce});
        }
    });
    document.getElementById("resume").addEventListener("click", start);

    // Check questions: answered on the server; nothing here knows the key.
    Array.prototype.forEach.call(document.querySelectorAll("form.check-question"), function (form) {
        form.addEventListener("submit", function (event) {
            event.preventDefault();
            var picked = Array.prototype.map.call(form.querySelectorAll("input:checked"), function (input) {
                return parseInt(input.value, 10);
            });
            var result = form.querySelector(".q-result");
            if (!picked.length) { result.textContent = text.chooseAnswer; return; }
            post(config.answer, {question: form.getAttribute("data-question"), choices: picked}).then(function (r) {
                var data = r.data;
                if (data.correct) {
                    form.classList.add("is-answered");
                    result.innerHTML = "";
                    var ok = document.createElement("span");
                    ok.className = "verdict-passed";
                    ok.textContent = data.message;
                    result.appendChild(ok);
                    if (data.explanation) { result.appendChild(document.createTextNode(" " + data.explanation)); }
                    Array.prototype.forEach.call(form.querySelectorAll("input, button"), function (el) { el.disabled = true; });
                    // As when the page is loaded with the question answered: no submit button.
                    Array.prototype.forEach.call(form.querySelectorAll("button"), function (el) { el.parentNode.removeChild(el); });
                    if (data.completed) {
                        doneNode.hidden = false;
                        status(text.done, "done");
                        stopped = true;
                        clearInterval(timer);
                    }
                } else if (data.errors) {
                    var first = Object.keys(data.errors)[0];
                    result.textContent = data.errors[first][0];
                } else {
                    result.textContent = data.message || text.error;
                }
            });
        });
    });

    show();
    if (config.completed) {
        doneNode.hidden = false;
        status(text.done, "done");
    } else {
        start();
    }
}());
