// A background staff import's page (templates/workforce/import/job.html):
// polls the job's status every second and reloads when it has finished.
(function () {
    var urlNode = document.getElementById("import-status-url");
    if (!urlNode) return;
    var url = JSON.parse(urlNode.textContent);
    var box = document.querySelector("[data-import-progress]");
    var bar = box.querySelector(".bar");
    var text = document.querySelector("[data-import-progress-text]");
    var status = document.querySelector("[data-import-status]");
    function poll() {
        fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
            .then(function (r) { return r.json(); })
            .then(function (data) {
                if (data.finished) { window.location.reload(); return; }
                bar.style.width = data.percent + "%";
                bar.textContent = data.percent + "%";
                box.setAttribute("aria-valuenow", data.percent);
                text.textContent = text.dataset.checkingLabel + data.processed_rows + " / " + data.total_rows + " "
                    + text.dataset.rowsLabel + "（" + data.percent + "%）";
                status.textContent = data.status_display;
                window.setTimeout(poll, 1000);
            })
            .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
})();
