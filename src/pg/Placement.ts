import { Config, Either, Option, Redacted } from "effect"

/**
 * Where each host's tables live: a default database for every host, and a database of its own for any host listed.
 * Hosts on different databases (or servers) share no transaction; the relay carries messages between them.
 */
export interface Placement {
  /** The database of every host not listed in `hosts`. */
  readonly default?: Redacted.Redacted | undefined
  /** A database per host name. */
  readonly hosts: Readonly<Record<string, Redacted.Redacted>>
}

/** Everything in one database. */
export const single = (url: string | Redacted.Redacted): Placement => ({
  default: typeof url === "string" ? Redacted.make(url) : url,
  hosts: {}
})

/** The database of a host, if the placement names one. */
export const urlOf = (placement: Placement, host: string): Redacted.Redacted | undefined =>
  placement.hosts[host] ?? placement.default

/**
 * Reads `--database-url` values: `URL` places every host, `HOST=URL` places one host (repeatable; the last value for
 * a host wins). Left holds what is wrong, naming the value.
 */
export const fromArguments = (
  values: ReadonlyArray<string>,
  knownHosts: ReadonlyArray<string>
): Either.Either<Placement, string> => {
  let placement: Placement = { hosts: {} }
  for (const value of values) {
    const placed = /^([a-z][a-z0-9_]*)=(.*)$/.exec(value)
    if (placed === null) {
      if (!isUrl(value))
        return Either.left(
          `--database-url ${JSON.stringify(value)}: expected a postgres:// URL, or HOST=URL with HOST one of ${knownHosts.join(", ")}`
        )
      placement = { ...placement, default: Redacted.make(value) }
      continue
    }
    const [, host, url] = placed as unknown as [string, string, string]
    if (!knownHosts.includes(host))
      return Either.left(`--database-url ${host}=…: no host named ${host} (hosts: ${knownHosts.join(", ")})`)
    if (!isUrl(url))
      return Either.left(`--database-url ${host}=${JSON.stringify(url)}: expected a postgres:// URL`)
    placement = { ...placement, hosts: { ...placement.hosts, [host]: Redacted.make(url) } }
  }
  return Either.right(placement)
}

/** The placement and the hosts it leaves without a database (empty when every host is placed). */
export const unplaced = (placement: Placement, hosts: ReadonlyArray<string>): ReadonlyArray<string> =>
  hosts.filter((host) => urlOf(placement, host) === undefined)

/**
 * The placement from the environment: `DATABASE_URL` for every host, `MAILROOM_DATABASE_URL_<HOST>` (the host name in
 * capitals) for a host on a database of its own.
 */
export const config = (hosts: ReadonlyArray<string>): Config.Config<Placement> =>
  Config.all({
    default: Config.option(Config.redacted("DATABASE_URL")),
    hosts: Config.all(
      Object.fromEntries(hosts.map((host) => [host, Config.option(Config.redacted(variableOf(host)))]))
    )
  }).pipe(
    Config.map(({ default: fallback, hosts: byHost }) => ({
      default: Option.getOrUndefined(fallback),
      hosts: Object.fromEntries(
        Object.entries(byHost).flatMap(([host, url]) => (Option.isSome(url) ? [[host, url.value]] : []))
      )
    })),
    Config.validate({
      message: `set DATABASE_URL, or ${hosts.map(variableOf).join(" and ")}`,
      validation: (placement) => unplaced(placement, hosts).length === 0
    })
  )

/** The environment variable that places one host: `MAILROOM_DATABASE_URL_<HOST>`. */
export const variableOf = (host: string): string => `MAILROOM_DATABASE_URL_${host.toUpperCase()}`

/** Where a URL points, for messages: host, port and database, never the password. */
export const locationOf = (url: Redacted.Redacted): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
  } catch {
    return "(unparsable database URL)"
  }
}

// internal

const isUrl = (value: string) => /^postgres(ql)?:\/\//.test(value)
