import { describe, expect, it } from "vitest"
import { ConcurrencyRetriesExhausted } from "../../../commands/handleCommand"
import { NodeNotFound } from "../../../commands/facts"
import { problemOf, statusByTag } from "../../../commands/httpErrors"
import { InvalidSignature, SignatureExpired } from "../../../commands/signedCommand"
import * as datasetErrors from "../../../domain/dataset/errors"
import * as ledger from "../../../domain/ledger/ledger"
import * as modelErrors from "../../../domain/model/errors"
import * as nodeErrors from "../../../domain/node/errors"
import * as ports from "../../../domain/ports"
import * as taskErrors from "../../../domain/task/errors"

/** Every typed error a request can end with has a deliberate status: none falls through to 500 by accident. */
const errorTags = [
  ...[datasetErrors, modelErrors, nodeErrors, taskErrors, ports].flatMap((m) => Object.values(m)),
  ledger.EscrowExceeded,
  ConcurrencyRetriesExhausted,
  NodeNotFound,
  InvalidSignature,
  SignatureExpired
]
  .filter((v): v is { identifier: string } => typeof v === "function" && typeof (v as { identifier?: unknown }).identifier === "string")
  .map((c) => c.identifier)

describe("httpErrors: the _tag → status table", () => {
  it("knows every domain, store and API error", () => {
    expect(errorTags.length).toBeGreaterThan(50)
    const missing = errorTags.filter((tag) => statusByTag[tag] === undefined)
    expect(missing).toEqual([])
  })
  it("client errors are 4xx; only infrastructure is 5xx", () => {
    for (const tag of errorTags) {
      const status = statusByTag[tag]!
      if (tag === "EventStoreUnavailable" || tag === "CorruptEvent") expect(status).toBeGreaterThanOrEqual(500)
      else expect(status).toBeLessThan(500)
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
})
