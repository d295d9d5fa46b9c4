/* The answering page: autosave each answer as it changes, keep a queue while
   the network is away (retry with backoff), show "已保存 hh:mm:ss", count down
   from the server's seconds_left and submit at 0, confirm before submitting.
   The server is the judge of time and of what was saved; this only helps. */
(function () {
    "use strict";

    var root = document.getElementById("exam-attempt");
    if (!root) { return; }
    var form = document.getElementById("attempt-form");
    var msgs = JSON.parse(document.getElementById("exam-messages").textContent);
    var statusEl = document.getElementById("save-status");
    var clockEl = document.getElementById("clock-value");
    var clockBox = document.getElementById("exam-clock");
    var answeredEl = document.getElementById("answered-count");
    var submitButton = document.getElementById("submit-button");
    var saveUrl = root.dataset.saveUrl;
    var resultUrl = root.dataset.resultUrl;
    var token = root.dataset.token;
    // Every save carries a sequence number larger than any this attempt has
    // used (the server keeps, per answer, the one it saved): a replayed or
    // overtaken request can never revert a newer answer. Millisecond time
    // keeps it increasing across reloads; the stored maximum guards against
    // a clock set back.
    var lastSeq = parseInt(root.dataset.seq, 10) || 0;
    function nextSeq() {
        lastSeq = Math.max(lastSeq + 1, Date.now());
        return lastSeq;
    }
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    var pending = {};          // question id -> latest unsaved response
    var inflight = false;
    var stopped = false;       // submitted, late or stale: no more saves
    var submitting = false;
    var retryDelay = 1000;
    var retryTimer = null;
    var typingTimers = {};

    // ---- clock: anchored to a monotonic timer, re-synced by every save ----
    var endAt = performance.now() + parseInt(root.dataset.secondsLeft, 10) * 1000;

    function pad(n) { return (n < 10 ? "0" : "") + n; }

    function tick() {
        var left = Math.max(0, Math.round((endAt - performance.now()) / 1000));
        var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
        clockEl.textContent = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
        clockBox.classList.toggle("clock-low", left <= 300);
        if (left === 0 && !submitting) {
            setStatus(msgs.time_up, "error");
            submitNow();
        }
    }

    function syncClock(secondsLeft) {
        if (typeof secondsLeft === "number") { endAt = performance.now() + secondsLeft * 1000; }
    }

    // ---- status line ----
    function setStatus(text, kind) {
        statusEl.textContent = text;
        statusEl.className = "save-status" + (kind ? " status-" + kind : "");
    }

    function pendingCount() { return Object.keys(pending).length + (inflight ? 1 : 0); }

    // ---- reading a question's response ----
    function fieldsetOf(el) { return el.closest ? el.closest("fieldset[data-q]") : null; }

    function responseOf(fs) {
        var type = fs.dataset.type;
        if (type === "fill_blank") {
            return Array.prototype.map.call(fs.querySelectorAll("input[type=text]"), function (i) { return i.value; });
        }
        var checked = Array.prototype.filter.call(fs.querySelectorAll("input"), function (i) { return i.checked; });
        if (type === "true_false") {
            return checked.length ? [checked[0].value === "true"] : [];
        }
        return checked.map(function (i) { return i.value; });
    }

    function isAnswered(fs) {
        return responseOf(fs).some(function (v) { return v === true || v === false || (typeof v === "string" && v.trim() !== ""); });
    }

    function refreshAnswered() {
        var all = form.querySelectorAll("fieldset[data-q]");
        var n = 0;
        Array.prototype.forEach.call(all, function (fs) {
            var yes = isAnswered(fs);
            fs.classList.toggle("is-answered", yes);
            if (yes) { n += 1; }
        });
        answeredEl.textContent = n;
        return all.length - n;
    }

    function showQuestionError(qid, text) {
        var fs = form.querySelector('fieldset[data-q="' + qid + '"]');
        if (!fs) { return; }
        var p = fs.querySelector(".q-error");
        p.textContent = text || "";
        p.hidden = !text;
    }

    // ---- the save queue ----
    function queue(fs) {
        if (stopped) { return; }
        pending[fs.dataset.q] = responseOf(fs);
        refreshAnswered();
        flush();
    }

    function scheduleRetry() {
        if (retryTimer || stopped) { return; }
        retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
    }

    function stop(text, redirectTo) {
        stopped = true;
        setStatus(text, "error");
        if (redirectTo) { setTimeout(function () { window.location.assign(redirectTo); }, 1500); }
    }

    function flush() {
        if (inflight || stopped) { return; }
        var ids = Object.keys(pending);
        if (!ids.length) { return; }
        if (navigator.onLine === false) {
            setStatus(msgs.offline + "（" + msgs.pending + " " + ids.length + "）", "offline");
            return;
        }
        var qid = ids[0];
        var response = pending[qid];
        delete pending[qid];
        inflight = true;
        setStatus(msgs.saving);
        fetch(saveUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
            body: JSON.stringify({ token: token, question: parseInt(qid, 10), response: response, seq: nextSeq() })
        }).then(function (res) {
            return res.json().catch(function () { return {}; }).then(function (data) { return { status: res.status, ok: res.ok, data: data }; });
        }).then(function (r) {
            inflight = false;
            if (r.ok) {  // r.data.stale: a newer save of this answer is already stored; nothing to do
                retryDelay = 1000;
                showQuestionError(qid, "");
                syncClock(r.data.seconds_left);
                if (!Object.keys(pending).length) { setStatus(msgs.saved + " " + r.data.saved_at_display, "saved"); }
                flush();
                return;
            }
            var code = r.data && r.data.code;
            if (code === "late" || code === "submitted") {
                stop(r.data.detail || msgs.late, r.data.result_url || resultUrl);
            } else if (code === "bad_token") {
                stop(msgs.stale);
            } else if (r.status === 400 && code) {
                showQuestionError(qid, r.data.detail);  // this answer cannot be saved as it is; go on with the rest
                flush();
            } else if (r.status === 503) {
                // 系统繁忙 (a locked or slow database, code "busy"): keep the answer, try again after backoff
                if (!(qid in pending)) { pending[qid] = response; }
                setStatus((r.data && r.data.detail) || msgs.retry, "error");
                scheduleRetry();
            } else {
                if (!(qid in pending)) { pending[qid] = response; }
                setStatus(msgs.retry, "error");
                scheduleRetry();
            }
        }).catch(function () {
            inflight = false;
            if (!(qid in pending)) { pending[qid] = response; }
            setStatus(navigator.onLine === false ? msgs.offline : msgs.retry, navigator.onLine === false ? "offline" : "error");
            scheduleRetry();
        });
    }

    form.addEventListener("change", function (e) {
        var fs = fieldsetOf(e.target);
        if (fs) { clearTimeout(typingTimers[fs.dataset.q]); queue(fs); }
    });
    form.addEventListener("input", function (e) {
        var fs = fieldsetOf(e.target);
        if (!fs || fs.dataset.type !== "fill_blank") { return; }
        clearTimeout(typingTimers[fs.dataset.q]);
        typingTimers[fs.dataset.q] = setTimeout(function () { queue(fs); }, 800);
    });
    window.addEventListener("online", function () { retryDelay = 1000; flush(); });
    window.addEventListener("offline", function () { setStatus(msgs.offline, "offline"); });

    // ---- submitting ----
    function submitNow() {
        if (submitting) { return; }
        submitting = true;
        stopped = true;
        submitButton.disabled = true;
        HTMLFormElement.prototype.submit.call(form);  // the form carries every answer too
    }

    form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (submitting) { return; }
        var unanswered = refreshAnswered();
        var text = unanswered ? msgs.confirm_unanswered.replace("%(n)s", unanswered) : msgs.confirm;
        if (window.confirm(text)) { submitNow(); }
    });

    window.addEventListener("beforeunload", function (e) {
        if (!submitting && !stopped && pendingCount()) {
            e.preventDefault();
            e.returnValue = msgs.leave;
            return msgs.leave;
        }
    });

    refreshAnswered();
    tick();
    setInterval(tick, 1000);
}());
