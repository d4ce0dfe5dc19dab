/** Flag parsing of every program of this repository: the library's (`src/cli/Flags.ts`), re-exported. */
export {
  badUsage,
  checked,
  databaseUrls,
  flags,
  localHosts,
  oneOf,
  parse,
  placementOf,
  type Program,
  version,
  wholeNumber
} from "../../src/cli/Flags.js"
