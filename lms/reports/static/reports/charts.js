/* 统计报表 charts: each <canvas data-chart="ID"> draws the JSON of <script id="ID">
   (the same rounded figures as the table beside it) with Chart.js. */
(function () {
  "use strict";
  var COLORS = ["#1f6fb2", "#2e9d5b", "#e0a100", "#c8372d", "#7b5ea7", "#4aa3a2", "#8c8c8c"];
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var spec = JSON.parse(source.textContent);
    var horizontal = spec.labels.length > 8;
    var box = canvas.parentNode;
    box.style.height = (horizontal ? Math.max(240, spec.labels.length * 28 + 80) : 300) + "px";
    var valueAxis = {
      beginAtZero: true, stacked: !!spec.stacked,
      ticks: { callback: function (v) { return spec.percent ? v + "%" : v; } }
    };
    if (spec.percent) { valueAxis.max = 100; }
    var labelAxis = { stacked: !!spec.stacked, ticks: { autoSkip: false } };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) {
          return { label: d.label, data: d.data, backgroundColor: COLORS[i % COLORS.length], borderWidth: 0 };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) {
            var v = horizontal ? c.parsed.x : c.parsed.y;
            return c.dataset.label + "：" + (v === null ? "—" : v + (spec.percent ? "%" : ""));
          } } }
        }
      }
    });
  }
  function init() {
    if (!window.Chart) { return; }
    // Canvas text needs the page's font (its CJK fallback included) loaded first.
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    var go = function () { document.querySelectorAll("canvas[data-chart]").forEach(draw); };
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(go); } else { go(); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
