/** Files bundled as text (wrangler.toml [[rules]] type = "Text"): the dashboard's browser assets. */
declare module "*.css" {
  const text: string;
  export default text;
}

declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
