/** The operator's web console for your own `@effect/platform` HTTP server (`mailroom/console`). */

/** The console's HttpApi group (map, status, flows, flow, parked, redrive) and the API it makes on its own. */
export * as ConsoleApi from "./ConsoleApi.js"
/** Its handlers and page: `layerGroup` into your API, `layerPage` for the page and its live feed. */
export * as Console from "./Console.js"
