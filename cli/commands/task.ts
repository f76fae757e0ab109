import { readFileSync } from "node:fs"
import { settlementInfo } from "../../commands/deposits"
import { depositFromSigner } from "./chain"
import { UsageError, jsonText, printDoc, printList, type CliCommand } from "../cli"
import { resumableEvents } from "../sse"
import { emptyView, evolveView, lines, watchDone } from "../taskProgress"

/** Tasks: create one from a spec file, follow one live, read them. */
export const taskCommands: ReadonlyArray<CliCommand> = [
  {
    name: "task create",
    args: "<spec.json>",
    summary: "Create a task (signed): the file is a CreateTask payload (see GET /openapi.json, command CreateTask). Prints the task id and its log position.",
    options: { "no-deposit": { type: "boolean", description: "do not deposit the budget first (when the API settles on chain)" } },
    run: async (ctx, [file], values) => {
      if (!file) throw new UsageError("task create needs <spec.json>")
      const spec = JSON.parse(readFileSync(file, "utf8")) as { taskId?: string; budget?: string }
      const signer = ctx.signer()
      // With on-chain settlement the budget must be deposited first: the signer deposits what is missing (permit + deposit).
      if ((await settlementInfo(ctx.reader)).mode === "chain" && spec.taskId && spec.budget && !values["no-deposit"]) {
        const account = `task:${spec.taskId}`
        const missing = BigInt(spec.budget) - BigInt((await ctx.reader.get(`/escrow/${account}`)).deposited)
        if (missing > 0n) {
          const { txHash } = await depositFromSigner(ctx, values, account, missing, BigInt(spec.budget))
          if (!ctx.json) console.log(`deposited ${missing} Neura into ${account} (tx ${txHash})`)
        }
      }
      const out = await signer.command("CreateTask", spec)
      ctx.print(`task ${spec.taskId} created at position ${out.globalPosition}${out.duplicate ? " (already there: same command)" : ""}`, out)
      return 0
    }
  },
  {
    name: "task watch",
    args: "<taskId>",
    summary:
      "Follow a task live from its first event (SSE): a progress bar per round, the new version's metrics, verified and rejected results, payouts. Exit 0 when it completes, 3 when it is exhausted.",
    run: async (ctx, [taskId]) => {
      if (!taskId) throw new UsageError("task watch needs <taskId>")
      await ctx.reader.get(`/tasks/${encodeURIComponent(taskId)}`) // 404 TaskNotFound before following
      let view = emptyView(taskId)
      const abort = new AbortController()
      for await (const message of resumableEvents(`${ctx.api}/tasks/${encodeURIComponent(taskId)}/events`, abort.signal)) {
        // Each message's data is the stored envelope; the event's own fields are its data.
        const e = { type: message.type, data: message.data.data }
        const next = evolveView(view, e)
        if (ctx.json) console.log(jsonText({ type: e.type, data: e.data, progress: next }))
        else for (const line of lines(view, next, e)) console.log(line)
        view = next
        if (watchDone(view)) break
      }
      // Leaving the loop closed the stream's reader; the abort also ends the request.
      abort.abort()
      if (!view.outcome) throw new Error("the event stream ended before the task did")
      return view.outcome === "completed" ? 0 : 3
    }
  },
  {
    name: "task get",
    args: "<taskId>",
    summary: "One task from the read model: status, rounds, budget left, participants.",
    run: async (ctx, [taskId]) => {
      if (!taskId) throw new UsageError("task get needs <taskId>")
      return printDoc(ctx, `/tasks/${encodeURIComponent(taskId)}`, "task")
    }
  },
  {
    name: "tasks",
    args: "",
    summary: "Every task with its status.",
    run: (ctx) => printList(ctx, "/tasks?limit=500", (t) => `${t.taskId.padEnd(24)} ${String(t.status).padEnd(10)} ${t.title ?? ""}`, "no tasks")
  }
]
