import pino, { type Logger } from "pino"

/**
 * Structured logs: one JSON record per line (pino), with the process, the
 * component ("trainer", "coordinator", "bridge", …) and the message, so a log
 * shipper or `jq` reads every process alike. Synchronous writes: a node that
 * exits right after logging why still leaves the line.
 */
export const jsonLog = (processName: string, file?: string): Logger =>
  pino(
    { name: processName, base: { process: processName, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination(file ? { dest: file, mkdir: true, sync: true } : { dest: 1, sync: true })
  )

/** A component's line logger over a process log: `info` records by default, `error` when asked. */
export const componentLog = (logger: Logger, component: string) => {
  const child = logger.child({ component })
  return Object.assign((line: string) => child.info(line), { error: (line: string, error?: unknown) => child.error(error === undefined ? {} : { err: error }, line) })
}
