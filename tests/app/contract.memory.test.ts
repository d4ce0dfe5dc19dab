import * as ImperialApp from "../../hosts/sandbox/ImperialApp.js"
import { scenarios } from "../contract/ImperialScenarios.js"

// The Imperial contract on the in-memory direct-commit boundary (the same scenarios run on Postgres in
// tests/pg/contract.pg.test.ts).
scenarios("Imperial contract on the memory boundary", () => ImperialApp.layerMemory)
