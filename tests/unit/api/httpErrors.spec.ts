import { describe, expect, it } from "vitest"
import * as apiErrors from "../../../commands/apiErrors"
import { ConcurrencyRetriesExhausted } from "../../../commands/handleCommand"
import { NodeNotFound } from "../../../commands/facts"
import { problemOf, statusByTag } from "../../../commands/httpErrors"
import * as signatureErrors from "../../../commands/signedCommand"
import * as anchorErrors from "../../../domain/anchor/errors"
import * as datasetErrors from "../../../domain/dataset/errors"
import * as ledger from "../../../domain/ledger/ledger"
import * as modelErrors from "../../../domain/model/errors"
import * as nodeErrors from "../../../domain/node/errors"
import * as ports from "../../../domain/ports"
import * as taskErrors from "../../../domain/task/errors"

// The table is typed over the union of every error tag (a missing, unknown or
// doubled tag fails tsc); these checks hold the same at run time.
const table: Record<string, number> = statusByTag
const errorTags = [
  ...[datasetErrors, modelErrors, nodeErrors, taskErrors, anchorErrors, ports, apiErrors, signatureErrors].flatMap((m) => Object.values(m)),
  ledger.EscrowExceeded,
  ConcurrencyRetriesExhausted,
  NodeNotFound
]
  .filter((v): v is { identifier: string } => typeof v === "function" && typeof (v as { identifier?: unknown }).identifier === "string")
  .map((c) => c.identifier)

describe("httpErrors: the _tag → status table", () => {
  it("knows every domain, store and API error", () => {
    expect(errorTags.length).toBeGreaterThan(60)
    const missing = errorTags.filter((tag) => table[tag] === undefined)
    expect(missing).toEqual([])
  })
  it("client errors are 4xx; only infrastructure is 5xx", () => {
    const infrastructure = new Set(["EventStoreUnavailable", "CorruptEvent", "ChainUnavailable", "ProjectionBehind"])
    for (const tag of errorTags) {
      if (infrastructure.has(tag)) expect(table[tag]).toBeGreaterThanOrEqual(500)
      else expect(table[tag]).toBeLessThan(500)
    }
  })
  it("renders problem details with the error's facts", () => {
    expect(problemOf(new taskErrors.TaskNotFound({ taskId: "T9" }))).toEqual({
      type: "urn:neuralink:error:TaskNotFound",
      title: "Task Not Found",
      status: 404,
      code: "TaskNotFound",
      detail: "TaskNotFound: taskId=T9",
      taskId: "T9"
    })
    expect(problemOf(new Error("boom"))).toMatchObject({ status: 500, code: "Internal" })
  })
  it("an error's own fields never replace the HTTP status or code (a finished task answered 500 'invalid status code: completed')", () => {
    const problem = problemOf(new taskErrors.TaskClosed({ taskId: "T1", taskStatus: "completed" }))
    expect(problem).toMatchObject({ status: 409, code: "TaskClosed", taskStatus: "completed" })
    // Even a field literally named `status` or `code` cannot override them.
    const clash = Object.assign(new taskErrors.TaskNotFound({ taskId: "T1" }), { status: "completed", code: "Other" })
    expect(problemOf(clash)).toMatchObject({ status: 404, code: "TaskNotFound" })
  })
})
