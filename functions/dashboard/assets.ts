/**
 * The dashboard's browser assets, bundled into the Worker as text modules
 * (wrangler.toml [[rules]] type "Text"): uPlot's IIFE build and stylesheet, our
 * script and stylesheet. Nothing is fetched from a CDN; the page works offline.
 */
import uplotScript from "uplot/dist/uPlot.iife.min.js";
import uplotStyles from "uplot/dist/uPlot.min.css";
import dashboardScript from "./client/dashboard.client.js";
import panelsScript from "./client/panels.client.js";
import dashboardStyles from "./client/dashboard.css";

export interface Asset {
  body: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

// A null prototype: the name comes from the URL, and "constructor" or "__proto__" must miss, not resolve.
export const ASSETS: Readonly<Record<string, Asset>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Asset>, {
    "uplot.js": { body: uplotScript, type: JS },
    "uplot.css": { body: uplotStyles, type: CSS },
    "panels.js": { body: panelsScript, type: JS },
    "dashboard.js": { body: dashboardScript, type: JS },
    "dashboard.css": { body: dashboardStyles, type: CSS },
  }),
);

/** A short content hash for cache-busting asset URLs (FNV-1a over every asset). */
export const ASSET_VERSION = (() => {
  let hash = 0x811c9dc5;
  for (const asset of Object.values(ASSETS)) {
    for (let i = 0; i < asset.body.length; i++) {
      hash ^= asset.body.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return (hash >>> 0).toString(36);
})();
