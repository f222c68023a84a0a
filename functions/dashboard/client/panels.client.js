/**
 * The dashboard's panels: what each chart draws from /dashboard/api/overview and
 * how its values read. Loaded before dashboard.client.js, which draws them.
 */
(() => {
  "use strict";

  const COLORS = { blue: "#2563eb", teal: "#0d9488", amber: "#d97706", red: "#dc2626", violet: "#7c3aed", slate: "#64748b", green: "#16a34a" };

  const pct = (v) => (v == null ? "–" : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`);
  const ms = (v) => (v == null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v >= 100 ? Math.round(v) : v.toFixed(1)} ms`);
  const perSec = (v) => (v == null ? "–" : `${v >= 10 ? Math.round(v) : v.toFixed(2)}/s`);
  const count = (v) => (v == null ? "–" : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v)));
  const ratio = (v) => (v == null ? "–" : `${v.toFixed(1)}×`);

  /**
   * The panels: which series of the overview each draws. `empty` is what a
   * person reads when the range holds nothing for it.
   */
  const PANELS = [
    { id: "requests", title: "Requests per second", fmt: perSec, empty: "No requests in this range", series: [["Requests/s", (d) => d.requests.rate, COLORS.blue]] },
    // A 0% step is a measurement (requests, none failed): the line is drawn at zero. Steps without requests are null.
    { id: "errors", title: "Error rate (5xx)", fmt: pct, empty: "No requests in this range", zeroIsData: true, series: [["Errors", (d) => d.requests.errorRate, COLORS.red]] },
    {
      id: "latency",
      title: "Latency",
      fmt: ms,
      empty: "No requests in this range",
      series: [
        ["p50", (d) => d.requests.p50, COLORS.teal],
        ["p95", (d) => d.requests.p95, COLORS.amber],
        ["p99", (d) => d.requests.p99, COLORS.red],
      ],
    },
    {
      id: "cache",
      title: "Cache hit ratio by tier",
      fmt: pct,
      empty: "No cache lookups in this range",
      yRange: [0, 1],
      target: { label: "Target 80%", value: 0.8 },
      series: [
        ["All tiers", (d) => d.requests.hitRatio, COLORS.blue],
        ["L1 (isolate)", (d) => d.requests.l1, COLORS.teal],
        ["L2 (Redis)", (d) => d.requests.l2, COLORS.violet],
        ["Stale", (d) => d.requests.stale, COLORS.slate],
      ],
    },
    { id: "slow-queries", title: "Slow queries per step", fmt: count, empty: "No slow queries in this range", bars: true, series: [["Slow queries", (d) => d.queries.slow, COLORS.amber]] },
    { id: "ws-batching", title: "WebSocket batching (messages per frame)", fmt: ratio, empty: "No WebSocket traffic in this range", series: [["Messages/frame", (d) => d.websocket.messagesPerFrame, COLORS.green]] },
    {
      id: "ws-queue",
      title: "WebSocket queue wait p95 and drops",
      fmt: ms,
      empty: "No WebSocket traffic in this range",
      series: [["Queue wait p95", (d) => d.websocket.queueWaitP95, COLORS.violet]],
      extra: [["Drop rate", (d) => d.websocket.dropRate, COLORS.red, pct]],
    },
    {
      id: "ingestion",
      title: "Ingestion (events stored per step)",
      fmt: count,
      empty: "No events ingested in this range",
      series: [
        ["Requests", (d) => d.ingestion.tables.request_events, COLORS.blue],
        ["Queries", (d) => d.ingestion.tables.query_events, COLORS.amber],
        ["Cache", (d) => d.ingestion.tables.cache_events, COLORS.teal],
        ["Rooms", (d) => d.ingestion.tables.room_events, COLORS.violet],
      ],
      extra: [["Arrival lag p95", (d) => d.ingestion.lagP95, COLORS.slate, ms]],
    },
  ];

  /**
   * True when the panel has nothing to draw for this range. Counts are 0 in an empty
   * step, so an all-zero count series is empty; a panel with `zeroIsData` (a ratio
   * whose empty steps are null) has data as soon as one step has a value, 0 included.
   */
  const isEmpty = (panel, data) =>
    ![...panel.series, ...(panel.extra ?? [])].some(([, pick]) => {
      const values = pick(data);
      return Array.isArray(values) && values.some((v) => v != null && (panel.zeroIsData === true || v !== 0));
    });

  globalThis.netraDashboard = { PANELS, COLORS, isEmpty, format: { pct, ms, perSec, count, ratio } };
})();
