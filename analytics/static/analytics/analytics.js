// Usage analytics pages: the period form, the 60-second auto-refresh and the Overview chart.
// A static file (no inline script) so that a self-only content security policy allows it.
(function () {
  "use strict";
  var REFRESH_MS = 60000;
  var STORAGE_KEY = "analytics-auto-refresh";

  function setUpPeriodForm() {
    var select = document.getElementById("analytics-period");
    var custom = document.getElementById("analytics-custom");
    if (!select || !custom) return;
    function toggle() {
      custom.hidden = select.value !== "custom";
      custom.querySelectorAll("input").forEach(function (input) {
        input.disabled = custom.hidden;
      });
    }
    select.addEventListener("change", toggle);
    toggle();
  }

  function setUpAutoRefresh() {
    var box = document.getElementById("analytics-auto-refresh");
    if (!box) return;
    var timer = null;
    box.checked = window.localStorage.getItem(STORAGE_KEY) !== "off";
    function schedule() {
      window.clearTimeout(timer);
      if (box.checked) timer = window.setTimeout(function () { window.location.reload(); }, REFRESH_MS);
    }
    box.addEventListener("change", function () {
      window.localStorage.setItem(STORAGE_KEY, box.checked ? "on" : "off");
      schedule();
    });
    schedule();
  }

  function label(time, bucket) {
    // "2026-11-23T21:00:00+00:00" -> "21:00" for hours (the table below has the dates), "2026-11-23" for days.
    return bucket === "hour" ? time.slice(11, 16) : time.slice(0, 10);
  }

  function drawChart() {
    var canvas = document.getElementById("analytics-chart");
    var source = document.getElementById("analytics-chart-points");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var points = JSON.parse(source.textContent);
    var bucket = canvas.dataset.bucket;
    var style = window.getComputedStyle(document.body);
    var text = style.getPropertyValue("--body-quiet-color").trim() || "#666";
    var grid = style.getPropertyValue("--hairline-color").trim() || "#ddd";
    canvas.chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return label(p.time, bucket); }),
        datasets: [
          { label: "Cost (USD)", data: points.map(function (p) { return p.totalCost; }), yAxisID: "cost",
            borderColor: "#417690", backgroundColor: "rgba(65, 118, 144, 0.15)", fill: true, tension: 0.2 },
          { label: "Prompt tokens", data: points.map(function (p) { return p.promptTokens; }), yAxisID: "tokens",
            borderColor: "#e0a030", backgroundColor: "#e0a030", tension: 0.2 },
          { label: "Completion tokens", data: points.map(function (p) { return p.completionTokens; }), yAxisID: "tokens",
            borderColor: "#b44f8a", backgroundColor: "#b44f8a", tension: 0.2 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { color: text } } },
        scales: {
          x: { ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { color: grid } },
          cost: { position: "left", beginAtZero: true, ticks: { color: text, callback: function (v) { return "$" + v; } },
                  grid: { color: grid }, title: { display: true, text: "USD", color: text } },
          tokens: { position: "right", beginAtZero: true, ticks: { color: text }, grid: { drawOnChartArea: false },
                    title: { display: true, text: "tokens", color: text } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpPeriodForm();
    setUpAutoRefresh();
    drawChart();
  });
})();
