import { spawn } from "node:child_process"

/** How a program run as a child process ended. */
export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a TypeScript program of this repository as `npm run ...` does (through tsx), feeding `input` on stdin. */
export const runProgram = (
  script: string,
  args: ReadonlyArray<string>,
  input = "",
  env: Record<string, string> = {}
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn("node_modules/.bin/tsx", [script, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })

/** The sandbox's entry point as `npm start -- ...` runs it. */
export const sandbox = (args: ReadonlyArray<string>, input = "", env: Record<string, string> = {}) =>
  runProgram("hosts/sandbox/main.ts", args, input, env)

/** Every non-empty stdout line parsed as JSON; fails naming the first line that is not JSON. */
export const jsonLines = (stdout: string): ReadonlyArray<Record<string, any>> =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>
      } catch {
        throw new Error(`not a JSON line on stdout: ${line}`)
      }
    })
