declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the database globalSetup created for this run of the postgres project. */
    databaseUrl: string
    /** Where the server came from: "DATABASE_URL", "local" or "embedded". */
    pgSource: string
  }
}

export {}
