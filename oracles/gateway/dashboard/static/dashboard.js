// GridBalance dashboard: draws the charts of the page's live fragment and keeps it current.
// Every POLL ms it asks /dashboard/head.json for the indexed block; when its key changes it
// fetches this page's fragment (?fragment=1), swaps it in without a reload and draws anew.
"use strict";
(function () {
  const main = document.getElementById("live");
  if (!main) return;
  const poll = Number(main.dataset.pollMs || 2000);
  const COLORS = { actual: "#111827", forecast: "#2563eb", band: "rgba(37, 99, 235, 0.15)",
                   baseline: "#9333ea", verified: "#16a34a" };

  function data(canvas) {
    const source = document.getElementById(canvas.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }

  function loadChart(canvas, points) {
    const labels = points.map((p) => p.label);
    return new Chart(canvas, {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: "measured load (kW)", data: points.map((p) => p.actual_kw), borderColor: COLORS.actual,
            backgroundColor: COLORS.actual, spanGaps: false, pointRadius: 0, borderWidth: 2 },
          { label: "forecast (kW)", data: points.map((p) => p.forecast_kw), borderColor: COLORS.forecast,
            backgroundColor: COLORS.forecast, pointRadius: 0, borderWidth: 2 },
          { label: "forecast band low", data: points.map((p) => p.low_kw), borderColor: "transparent",
            pointRadius: 0, fill: false },
          { label: "forecast band", data: points.map((p) => p.high_kw), borderColor: "transparent",
            backgroundColor: COLORS.band, pointRadius: 0, fill: "-1" },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { filter: (item) => item.text !== "forecast band low" } } },
        scales: { y: { title: { display: true, text: "kW" } }, x: { ticks: { maxTicksLimit: 12 } } },
      },
    });
  }

  function eventChart(canvas, d) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: "baseline (kWh)", data: d.baseline, backgroundColor: COLORS.baseline },
          { label: "actual (kWh)", data: d.actual, backgroundColor: COLORS.actual },
          { label: "verified reduction (kWh)", data: d.verified, backgroundColor: COLORS.verified },
        ],
      },
      options: { animation: false, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, title: { display: true, text: "kWh" } } } },
    });
  }

  function draw(root) {
    if (typeof Chart === "undefined") {
      const note = document.getElementById("no-charts");
      note.textContent = window.GRIDBALANCE_NO_CHARTS || "the charting library did not load";
      note.hidden = false;
      return;
    }
    for (const canvas of root.querySelectorAll("canvas[data-chart]")) {
      const old = Chart.getChart(canvas);
      if (old) old.destroy();
      const d = data(canvas);
      if (d === null) continue;
      if (canvas.dataset.chart === "load") loadChart(canvas, d);
      else if (canvas.dataset.chart === "event") eventChart(canvas, d);
    }
  }

  function currentKey() {
    const root = document.getElementById("live-root");
    return root ? root.dataset.key : "";
  }

  async function tick() {
    try {
      const head = await fetch("/dashboard/head.json", { cache: "no-store" });
      if (head.ok) {
        const h = await head.json();
        if (h.key !== currentKey()) {
          const url = new URL(window.location.href);
          url.searchParams.set("fragment", "1");
          const r = await fetch(url, { cache: "no-store" });
          if (r.ok) {
            main.innerHTML = await r.text();
            const root = document.getElementById("live-root");
            document.getElementById("head-block").textContent = root ? root.dataset.block : h.block;
            draw(main);
            document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
          }
        }
        document.getElementById("live-dot").className = "on";
      }
    } catch (e) {
      // the gateway is away for a moment: the dot says so, the next tick tries again
      document.getElementById("live-dot").className = "off";
    } finally {
      window.setTimeout(tick, poll);
    }
  }

  draw(main);
  window.setTimeout(tick, poll);
})();
