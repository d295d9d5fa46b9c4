// A sample's archive bundle (supervision/sample_detail.html): while it is
// being built, poll its progress and show the download link when done.
(function () {
    var box = document.getElementById("bundle");
    var url = box && box.dataset.progressUrl;
    if (!url) return;
    var status = box.querySelector("[data-testid=bundle-status]");
    var bar = box.querySelector("progress");
    var link = box.querySelector("[data-testid=bundle-download]");
    function poll() {
        fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
            .then(function (r) { return r.json(); })
            .then(function (d) {
                status.textContent = d.status_label + " · " + d.processed + " / " + d.total + (d.error ? " · " + d.error : "");
                bar.value = d.percent;
                if (d.zip_url) { link.href = d.zip_url; link.hidden = false; }
                if (d.status === "pending" || d.status === "running") setTimeout(poll, 1500);
            });
    }
    poll();
})();
