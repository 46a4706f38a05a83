// The statement's usage chart (cost per day) and its times in the reader's own zone.
// A static file (no inline script) for a self-only CSP; without it the page shows UTC.
(function () {
  "use strict";

  function showLocalTimes() {
    var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short"
    });
    document.querySelectorAll("time.moment[datetime]").forEach(function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when)) return;
      var part = {};
      format.formatToParts(when).forEach(function (p) { part[p.type] = p.value; });
      element.title = element.textContent;
      element.textContent = part.year + "-" + part.month + "-" + part.day + " " + part.hour + ":" +
        part.minute + " " + part.timeZoneName;
    });
  }

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

  document.addEventListener("DOMContentLoaded", function () {
    showLocalTimes();
    drawChart();
  });
})();
