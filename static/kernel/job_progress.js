// A background job's progress (templates/kernel/job_progress.html): while the
// job is unfinished, poll its progress JSON (lms.kernel.jobs.job_progress),
// show it, and reload the page once the job has finished so it shows the result.
(function () {
    document.querySelectorAll("[data-job-progress][data-progress-url]").forEach(function (box) {
        var url = box.dataset.progressUrl;
        var bar = box.querySelector("progress");
        function show(data) {
            box.querySelectorAll("[data-field]").forEach(function (node) {
                var value = data[node.dataset.field];
                if (value !== undefined && value !== null) node.textContent = value;
            });
            bar.value = data.percent;
        }
        function poll() {
            fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
                .then(function (r) { return r.json(); })
                .then(function (data) {
                    show(data);
                    if (data.finished) { window.location.reload(); return; }
                    window.setTimeout(poll, 1000);
                })
                .catch(function () { window.setTimeout(poll, 3000); });
        }
        window.setTimeout(poll, 1000);
    });
})();
