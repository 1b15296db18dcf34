/** Where the CLI reads and writes; the real process or a test double. */
export interface Io {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
  cwd: string
  stderrIsTTY: boolean
  /** Whether standard input is a terminal, so a question can be asked. Without it, `scan --revoke` needs `--yes`. */
  stdinIsTTY?: boolean
  readStdin(): Promise<string>
  /** Ask the person at the terminal; resolves to the line they type. */
  ask?(question: string): Promise<string>
}
