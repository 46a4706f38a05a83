// The admin home page's chart of the last days' cost and credits granted (data from a json_script tag).
// A static file (no inline script) so that a self-only content security policy allows it.
(function () {
  "use strict";

  function drawChart() {
    var canvas = document.getElementById("home-week-chart");
    var source = document.getElementById("home-week-points");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var days = JSON.parse(source.textContent);
    var style = window.getComputedStyle(document.body);
    var text = style.getPropertyValue("--body-quiet-color").trim() || "#666";
    var grid = style.getPropertyValue("--hairline-color").trim() || "#ddd";
    canvas.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: days.map(function (d) { return d.day.slice(5); }),
        datasets: [
          { label: "Cost", data: days.map(function (d) { return d.costUsd; }), backgroundColor: "#417690" },
          { label: "Credits granted", data: days.map(function (d) { return d.grantedUsd; }), backgroundColor: "#e0a030" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { color: text, boxWidth: 12 } } },
        scales: {
          x: { ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: text, callback: function (v) { return "$" + v; } },
               grid: { color: grid } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", drawChart);
})();
