// The statement's usage chart: cost per day. A static file (no inline script) for a self-only CSP.
(function () {
  "use strict";

  function drawChart() {
    var canvas = document.getElementById("usage-chart");
    var source = document.getElementById("usage-chart-points");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var points = JSON.parse(source.textContent);
    canvas.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: points.map(function (p) { return p.day.slice(5); }),
        datasets: [{ label: canvas.dataset.label, data: points.map(function (p) { return p.costUsd; }),
                     backgroundColor: "#1d4ed8" }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, ticks: { callback: function (v) { return "$" + v; } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", drawChart);
})();
