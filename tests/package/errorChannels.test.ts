import { resolve } from "node:path"
import ts from "typescript"
import { assert, describe, it } from "vitest"

// Every Effect, Layer or Stream reachable from a public export (a value, a function's result, a service's method)
// fails with a typed union of errors, never `unknown` or `any`. Found with the compiler, so a new export is checked
// without anyone listing it.
const root = resolve(import.meta.dirname, "../..")
const entries = [
  "src/index.ts",
  "src/pg/index.ts",
  "src/testing/index.ts",
  "src/pg/testing/index.ts",
  "src/console/index.ts"
].map((path) => resolve(root, path))

/** Every error channel of the public API by path (`Relay.Relay.Service.stats`), and those that are `unknown`/`any`. */
const errorChannels = (): {
  readonly checked: ReadonlyArray<string>
  readonly untyped: ReadonlyArray<string>
} => {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {}
    }
  )!
  const program = ts.createProgram(entries, config.options)
  const checker = program.getTypeChecker()
  const checked: Array<string> = []
  const untyped: Array<string> = []
  const seen = new Set<ts.Type>()
  const fromLibrary = (type: ts.Type) =>
    (type.aliasSymbol ?? type.getSymbol())?.declarations?.some((d) =>
      d.getSourceFile().fileName.includes("/node_modules/")
    ) ?? false
  const channelOf = (type: ts.Type): ts.Type | undefined => {
    const symbol = type.aliasSymbol ?? type.getSymbol()
    if (symbol === undefined || !["Effect", "Layer", "Stream"].includes(symbol.getName())) return undefined
    if (!symbol.declarations?.some((d) => /\/node_modules\/effect\//.test(d.getSourceFile().fileName)))
      return undefined
    const args = type.aliasTypeArguments ?? checker.getTypeArguments(type as ts.TypeReference)
    return args[1]
  }
  const walk = (type: ts.Type, path: string, depth: number): void => {
    if (depth > 6 || seen.has(type)) return
    seen.add(type)
    const channel = channelOf(type)
    if (channel !== undefined) {
      checked.push(path)
      if (channel.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) untyped.push(path)
      return
    }
    if (type.isUnion() || type.isIntersection()) {
      for (const member of type.types) walk(member, path, depth)
      return
    }
    if (fromLibrary(type) && depth > 0) return
    for (const signature of type.getCallSignatures()) walk(signature.getReturnType(), `${path}()`, depth + 1)
    for (const property of type.getProperties()) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0]
      if (declaration === undefined || declaration.getSourceFile().fileName.includes("/node_modules/")) {
        // A Context.Tag's service shape is declared by us but reached through effect's `Service` property.
        if (property.getName() !== "Service") continue
      }
      const propertyType = checker.getTypeOfSymbol(property)
      walk(propertyType, `${path}.${property.getName()}`, depth + 1)
    }
  }
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
    for (const namespace of checker.getExportsOfModule(module)) {
      const resolved = checker.getAliasedSymbol(namespace)
      for (const exported of checker.getExportsOfModule(resolved)) {
        if (!(exported.flags & ts.SymbolFlags.Value)) continue
        const declaration = exported.valueDeclaration ?? exported.declarations?.[0]
        if (declaration === undefined) continue
        walk(
          checker.getTypeOfSymbolAtLocation(exported, declaration),
          `${namespace.getName()}.${exported.getName()}`,
          0
        )
      }
    }
  }
  return { checked, untyped }
}

describe("the public API's error channels", () => {
  it("are typed: no Effect, Layer or Stream of a public export fails with unknown", {
    timeout: 120_000
  }, () => {
    const { checked, untyped } = errorChannels()
    // The walk reaches layers, operations and the services' methods (a walk that found nothing would pass).
    assert.includeMembers(
      [...checked],
      [
        "Mailroom.layerMemory()",
        "MailroomPg.layer()",
        "PgBoundary.layerClient()",
        "Migrations.runAll()",
        "Application.Application.Service.settle()",
        "Relay.Relay.Service.redrive()",
        "TestApp.settle()"
      ]
    )
    assert.deepStrictEqual(untyped, [])
  })
})
