/** panels.client.js is bundled as text (wrangler.toml [[rules]]): its default export is its source. */
declare const source: string;
export default source;
