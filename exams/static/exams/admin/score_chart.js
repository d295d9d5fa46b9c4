/* 成绩分布: each <canvas data-chart="ID"> draws the JSON of <script id="ID">
   (the bands table's figures, exams.admin.results.score_chart) with Chart.js,
   as the reports draw theirs: bars stacked 不合格 / 合格 per score band, and
   the pass band shaded from the exam's own pass score ("pass_from", a
   position on the band axis: band i spans i - 0.5 to i + 0.5). */
(function () {
  "use strict";
  var FAIL = "#007d7e", PASS = "#1d7a3a", BAND = "rgba(29, 122, 58, 0.09)";

  var passBand = {
    id: "anxunPassBand",
    beforeDatasetsDraw: function (chart, args, options) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      var from = Math.max(x.getPixelForValue(options.from), area.left);
      ctx.save();
      ctx.fillStyle = BAND;
      ctx.fillRect(from, area.top, area.right - from, area.bottom - area.top);
      ctx.strokeStyle = PASS;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(from, area.top);
      ctx.lineTo(from, area.bottom);
      ctx.stroke();
      ctx.fillStyle = PASS;
      ctx.font = "12px " + window.Chart.defaults.font.family;
      ctx.textAlign = from > area.right - 80 ? "right" : "left";
      ctx.fillText(options.label, from + (ctx.textAlign === "left" ? 4 : -4), area.top + 12);
      ctx.restore();
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var spec = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d) {
          return { label: d.label, data: d.data, backgroundColor: d.passing ? PASS : FAIL, borderWidth: 0 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { stacked: true, ticks: { autoSkip: false } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + "：" + c.parsed.y; } } },
          anxunPassBand: { from: spec.pass_from, label: spec.pass_label }
        }
      },
      plugins: [passBand]
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
