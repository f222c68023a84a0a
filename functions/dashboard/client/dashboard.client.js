/**
 * The dashboard page's script (served as-is from the Worker; plain JS so no
 * build step stands between the repo and the browser). It fetches
 * /dashboard/api/overview for the chosen range, draws the charts with uPlot
 * (bundled, global `uPlot`), and lists alerts and index recommendations.
 * Every panel has a loading, empty, error and ready state, exposed as
 * `data-state` so tests and people see the same thing.
 */
(() => {
  "use strict";

  const REFRESH_MS = 30_000;
  const RANGES = ["1h", "6h", "24h", "7d", "30d"];
  const { PANELS, COLORS, isEmpty, format } = globalThis.netraDashboard;
  const { pct, ms, count } = format;

  const $ = (selector, root = document) => /** @type {HTMLElement} */ (root.querySelector(selector));
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };

  const state = { range: initialRange(), timer: 0, inFlight: /** @type {AbortController | null} */ (null), charts: new Map() };

  function initialRange() {
    const wanted = new URLSearchParams(location.search).get("range");
    return wanted && RANGES.includes(wanted) ? wanted : "1h";
  }

  // ---- charts ---------------------------------------------------------------

  function buildPanels() {
    const grid = $("#charts");
    for (const panel of PANELS) {
      const figure = el(
        "figure",
        { class: "panel", "data-panel": panel.id, "data-state": "loading" },
        el("figcaption", { text: panel.title }),
        el("div", { class: "chart" }),
        el("p", { class: "panel-note", text: "Loading…" }),
      );
      grid.append(figure);
    }
  }

  function chartOptions(panel, width) {
    const series = [{ label: "Time" }];
    const lines = [...panel.series, ...(panel.extra ?? [])];
    for (const [label, , stroke, fmt] of lines) {
      const onRight = fmt !== undefined;
      series.push({
        label,
        stroke,
        width: 2,
        fill: panel.series.length === 1 && !onRight ? `${stroke}1a` : undefined,
        scale: onRight ? "right" : "y",
        spanGaps: false,
        points: { show: false },
        paths: panel.bars && !onRight ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined,
        value: (_u, v) => (fmt ?? panel.fmt)(v),
      });
    }
    if (panel.target) series.push({ label: panel.target.label, stroke: COLORS.red, width: 1, dash: [6, 4], points: { show: false }, value: () => pct(panel.target.value) });
    const axes = [
      { stroke: "#6b7280", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#e5e7eb" } },
      { stroke: "#6b7280", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#e5e7eb" }, size: 64, values: (_u, vals) => vals.map(panel.fmt) },
    ];
    const scales = { x: { time: true }, y: panel.yRange ? { range: panel.yRange } : { range: (_u, min, max) => [0, max > 0 ? max * 1.1 : 1] } };
    if (panel.extra) {
      const fmt = panel.extra[0][3];
      axes.push({ side: 1, scale: "right", stroke: "#6b7280", grid: { show: false }, size: 64, values: (_u, vals) => vals.map(fmt) });
      scales.right = { range: (_u, min, max) => [0, max > 0 ? max * 1.1 : 1] };
    }
    return { width, height: 220, series, axes, scales, legend: { live: true }, cursor: { drag: { x: true, y: false } } };
  }

  function panelData(panel, data) {
    const lines = [...panel.series, ...(panel.extra ?? [])].map(([, pick]) => pick(data) ?? []);
    if (panel.target) lines.push(data.t.map(() => panel.target.value));
    return [data.t, ...lines];
  }

  function renderPanel(panel, data) {
    const figure = $(`[data-panel="${panel.id}"]`);
    const note = $(".panel-note", figure);
    const values = [...panel.series, ...(panel.extra ?? [])].map(([, pick]) => pick(data));
    const points = values.reduce((n, arr) => n + (arr ?? []).filter((v) => v != null).length, 0);
    figure.dataset.points = String(points);
    if (isEmpty(panel, data)) {
      figure.dataset.state = "empty";
      note.textContent = panel.empty;
      state.charts.get(panel.id)?.destroy();
      state.charts.delete(panel.id);
      return;
    }
    figure.dataset.state = "ready";
    note.textContent = "";
    const target = $(".chart", figure);
    const existing = state.charts.get(panel.id);
    if (existing) {
      existing.setData(panelData(panel, data));
      return;
    }
    state.charts.set(panel.id, new uPlot(chartOptions(panel, Math.max(target.clientWidth, 280)), panelData(panel, data), target));
  }

  function failPanels(message) {
    for (const panel of PANELS) {
      const figure = $(`[data-panel="${panel.id}"]`);
      figure.dataset.state = "error";
      $(".panel-note", figure).textContent = `Metrics unavailable: ${message}`;
    }
  }

  // ---- summary, alerts, indexes ------------------------------------------------

  function lastValue(arr) {
    for (let i = (arr?.length ?? 0) - 1; i >= 0; i--) if (arr[i] != null) return arr[i];
    return null;
  }

  function renderSummary(series, alerts) {
    const tiles = [];
    if (series) {
      const r = series.requests;
      const total = series.totals.requests;
      const errors = r.count.reduce((sum, n, i) => sum + n * (r.errorRate[i] ?? 0), 0);
      tiles.push(["Requests", count(total)], ["Error rate", total > 0 ? pct(errors / total) : "–"], ["Latest p95", ms(lastValue(r.p95))], ["Cache hit ratio", pct(lastValue(r.hitRatio))]);
    }
    if (alerts) {
      const firing = alerts.active.filter((a) => a.status === "firing").length;
      tiles.push(["Alerts firing", String(firing), firing > 0 ? "bad" : "good"]);
    }
    const root = $("#summary");
    root.replaceChildren(...tiles.map(([label, value, tone]) => el("div", { class: `tile ${tone ?? ""}` }, el("span", { class: "tile-label", text: label }), el("strong", { text: value }))));
  }

  const since = (iso) => {
    if (!iso) return "";
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60_000));
    return minutes < 1 ? "just now" : minutes < 60 ? `${minutes} min ago` : minutes < 2880 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} d ago`;
  };

  function renderAlerts(part) {
    const body = $("#alerts .card-body");
    if (!part.ok) {
      body.replaceChildren(el("p", { class: "error", text: `Alerts unavailable: ${part.error}` }));
      return;
    }
    const { active, recent, rules } = part.data;
    const children = [];
    if (active.length === 0) {
      children.push(el("p", { class: "all-clear", text: `All clear: no alert is pending or firing. Watching ${rules.length} rules.` }));
    } else {
      children.push(
        el(
          "ul",
          { class: "alert-list" },
          ...active.map((a) =>
            el(
              "li",
              { class: `alert ${a.status} ${a.severity}`, "data-rule": a.ruleId },
              el("span", { class: `badge ${a.status}`, text: a.status }),
              el("span", { class: "alert-name", text: a.name }),
              el("span", { class: "alert-value", text: a.display }),
              el("span", { class: "muted", text: a.status === "firing" ? `since ${since(a.firingSince)}` : `pending ${since(a.activeSince)}` }),
              a.notified || a.status === "pending" ? null : el("span", { class: "muted", text: "(held by cooldown)" }),
            ),
          ),
        ),
      );
    }
    if (recent.length > 0) {
      children.push(
        el("h3", { text: "Recent" }),
        el("ul", { class: "event-list" }, ...recent.slice(0, 8).map((e) => el("li", {}, el("span", { class: `badge ${e.kind}`, text: e.kind }), el("span", { text: e.summary }), el("time", { class: "muted", datetime: e.at, text: since(e.at) })))),
      );
    }
    body.replaceChildren(...children);
  }

  function renderIndexes(part) {
    const body = $("#indexes .card-body");
    if (!part.ok) {
      body.replaceChildren(el("p", { class: "error", text: `Recommendations unavailable: ${part.error}` }));
      return;
    }
    const run = part.data;
    if (run === null) {
      body.replaceChildren(el("p", { class: "muted", text: "The index advisor has not finished a run yet. It runs hourly, or on demand with POST /v1/ops/indexes/runs." }));
      return;
    }
    const header = el("p", { class: "muted", text: `Run ${run.runId}${run.mode ? ` (${run.mode})` : ""}, finished ${since(run.finishedAt)}.` });
    const impact = measuredImpact(run.verification ?? []);
    if (run.recommendations.length === 0) {
      body.replaceChildren(header, el("p", { class: "all-clear", text: "No new index would pay for itself on the current workload." }), ...impact);
      return;
    }
    const rows = run.recommendations.map((r) =>
      el(
        "tr",
        {},
        el("td", {}, el("strong", { text: r.table }), el("div", { class: "muted", text: `(${r.columns.join(", ")})${r.include.length ? ` include (${r.include.join(", ")})` : ""}` })),
        el("td", { text: r.evidence ?? "" }),
        el("td", { class: "num", text: r.benefit == null ? "–" : Math.round(r.benefit).toLocaleString() }),
        el("td", { class: "num", text: String(r.statements) }),
        el("td", {}, el("code", { text: r.ddl })),
      ),
    );
    const table = el("table", { class: "recs" }, el("thead", {}, el("tr", {}, ...["Table (columns)", "Evidence", "Benefit", "Statements", "DDL"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows));
    body.replaceChildren(header, el("div", { class: "table-wrap" }, table), ...impact);
  }

  /** Applied indexes as measured after their build: mean ms before -> after per statement, size, write cost, verdict. */
  function measuredImpact(verification) {
    if (verification.length === 0) return [];
    const ms = (v) => (v == null ? "–" : v.toFixed(v < 10 ? 2 : 0));
    const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)}%`);
    const rows = verification.map((v) =>
      el(
        "tr",
        {},
        el("td", {}, el("strong", { text: v.name }), el("div", { class: "muted", text: v.table })),
        el("td", { text: v.statements.map((s) => `${ms(s.beforeMs)} → ${ms(s.afterMs)} ms`).join(", ") || "–" }),
        el("td", { class: "num", text: `${pct(v.measuredSaving)} / ${pct(v.predictedSaving)}` }),
        el("td", { class: "num", text: v.sizeBytes == null ? "–" : `${Math.round(v.sizeBytes / 1024).toLocaleString()} KiB` }),
        el("td", { class: "num", text: v.writeBeforeMs == null ? "–" : `${ms(v.writeBeforeMs)} → ${ms(v.writeAfterMs)} ms` }),
        el("td", { title: v.reason, text: `${v.verdict} (${v.action})${v.carried && v.measuredAt ? `, measured ${v.measuredAt.slice(0, 16).replace("T", " ")}` : ""}` }),
      ),
    );
    const head = ["Applied index", "Statements (mean)", "Saved: measured / predicted", "Size", "Writes (mean)", "Verdict"].map((h) => el("th", { text: h }));
    return [el("h3", { text: "Measured impact of applied indexes" }), el("div", { class: "table-wrap" }, el("table", { class: "recs" }, el("thead", {}, el("tr", {}, ...head)), el("tbody", {}, ...rows)))];
  }

  // ---- loading ----------------------------------------------------------------

  async function load() {
    state.inFlight?.abort();
    const controller = new AbortController();
    state.inFlight = controller;
    document.body.dataset.state = "loading";
    $("#updated").textContent = "Updating…";
    try {
      const res = await fetch(`/dashboard/api/overview?range=${encodeURIComponent(state.range)}`, { signal: controller.signal, credentials: "same-origin", headers: { accept: "application/json" } });
      if (res.status === 401) {
        location.assign("/dashboard");
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.json();
      if (controller.signal.aborted) return;
      document.body.dataset.range = data.range;
      document.body.dataset.from = String(data.window.from);
      document.body.dataset.to = String(data.window.to);
      if (data.series.ok) for (const panel of PANELS) renderPanel(panel, data.series.data);
      else failPanels(data.series.error);
      renderSummary(data.series.ok ? data.series.data : null, data.alerts.ok ? data.alerts.data : null);
      renderAlerts(data.alerts);
      renderIndexes(data.indexes);
      document.body.dataset.state = "ready";
      $("#updated").textContent = `Updated ${new Date(data.generatedAt).toLocaleTimeString()}`;
    } catch (error) {
      if (controller.signal.aborted) return;
      document.body.dataset.state = "error";
      $("#updated").textContent = `Update failed (${error instanceof Error ? error.message : String(error)}); retrying`;
    } finally {
      if (state.inFlight === controller) state.inFlight = null;
    }
  }

  function schedule() {
    clearInterval(state.timer);
    const auto = /** @type {HTMLInputElement} */ ($("#auto-refresh"));
    if (auto.checked) state.timer = window.setInterval(() => document.visibilityState === "visible" && load(), REFRESH_MS);
  }

  function selectRange(range) {
    state.range = range;
    for (const button of document.querySelectorAll("[data-range]")) button.setAttribute("aria-pressed", String(button.getAttribute("data-range") === range));
    const url = new URL(location.href);
    url.searchParams.set("range", range);
    history.replaceState(null, "", url);
    for (const panel of PANELS) {
      const figure = $(`[data-panel="${panel.id}"]`);
      if (figure.dataset.state !== "ready") {
        figure.dataset.state = "loading";
        $(".panel-note", figure).textContent = "Loading…";
      }
    }
    load();
  }

  function start() {
    buildPanels();
    for (const button of document.querySelectorAll("[data-range]")) button.addEventListener("click", () => selectRange(button.getAttribute("data-range")));
    $("#auto-refresh").addEventListener("change", schedule);
    new ResizeObserver(() => {
      for (const [id, chart] of state.charts) {
        const target = $(`[data-panel="${id}"] .chart`);
        if (target.clientWidth > 0 && Math.abs(target.clientWidth - chart.width) > 4) chart.setSize({ width: target.clientWidth, height: 220 });
      }
    }).observe($("#charts"));
    selectRange(state.range);
    schedule();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
