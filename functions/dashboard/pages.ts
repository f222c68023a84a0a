/** The dashboard's HTML: the sign-in form and the page shell the client script fills in. */
import { ASSET_VERSION } from "./assets.ts";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** No inline script or style anywhere, so the policy can be strict. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function layout(title: string, body: string, scripts = ""): string {
  const v = ASSET_VERSION;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/uplot.css?v=${v}">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css?v=${v}">
${scripts}
</head>
${body}
</html>`;
}

export function loginPage({ error, disabled }: { error?: string; disabled?: boolean } = {}): string {
  const message = error ? `<p class="login-error" role="alert">${escapeHtml(error)}</p>` : "";
  const form = disabled
    ? `<p class="login-error" role="alert">Dashboard sign-in is not configured: set DASHBOARD_SESSION_SECRET (or API_ADMIN_KEY).</p>`
    : `<form method="post" action="/dashboard/login" class="login-form">
  <label for="key">API key with the <code>ops</code> scope</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required spellcheck="false" placeholder="nk_…">
  <button type="submit">Sign in</button>
</form>`;
  return layout(
    "Sign in · netra-edge",
    `<body class="login">
<main class="login-card">
<h1>netra-edge <span>performance</span></h1>
${message}
${form}
<p class="muted">The key is checked once; the browser keeps a signed session cookie for 8 hours, never the key.</p>
</main>
</body>`,
  );
}

export function dashboardPage(): string {
  const v = ASSET_VERSION;
  const ranges = ["1h", "6h", "24h", "7d", "30d"].map((r) => `<button type="button" data-range="${r}" aria-pressed="false">${r}</button>`).join("");
  return layout(
    "Performance · netra-edge",
    `<body data-state="loading">
<header class="top">
  <h1>netra-edge <span>performance</span></h1>
  <nav class="ranges" role="group" aria-label="Time range">${ranges}</nav>
  <label class="refresh"><input type="checkbox" id="auto-refresh" checked> Auto refresh</label>
  <span id="updated" class="muted" aria-live="polite">Loading…</span>
  <form method="post" action="/dashboard/logout"><button type="submit" class="link">Sign out</button></form>
</header>
<main>
  <section id="summary" class="summary" aria-label="Summary"></section>
  <section id="alerts" class="card" aria-labelledby="alerts-title"><h2 id="alerts-title">Alerts</h2><div class="card-body"><p class="muted">Loading alerts…</p></div></section>
  <section id="charts" class="grid" aria-label="Charts"></section>
  <section id="indexes" class="card" aria-labelledby="indexes-title"><h2 id="indexes-title">Index recommendations</h2><div class="card-body"><p class="muted">Loading recommendations…</p></div></section>
</main>
</body>`,
    `<script defer src="/dashboard/assets/uplot.js?v=${v}"></script>
<script defer src="/dashboard/assets/panels.js?v=${v}"></script>
<script defer src="/dashboard/assets/dashboard.js?v=${v}"></script>`,
  );
}
