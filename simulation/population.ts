import { createHash } from "node:crypto"
import type { Address, NodeId } from "../domain/primitives"

/**
 * Who takes part in a simulated network. Every node is an identity with the
 * same bond; an attacker runs many ("sybil" identities are its validators,
 * "forger" its trainers), "lazy" validators vote without re-executing,
 * "offline" nodes opted in and never answer.
 */
export type TrainerKind = "honest" | "forger" | "offline"
export type ValidatorKind = "honest" | "sybil" | "lazy" | "offline"

export interface SimNode {
  readonly nodeId: NodeId
  readonly address: Address
  readonly role: "trainer" | "validator"
  readonly kind: TrainerKind | ValidatorKind
}

export interface Adversary {
  readonly sybil: number
  readonly forger: number
  readonly lazy: number
  readonly offline: number
}

export const parseAdversary = (text: string): Adversary => {
  const out: Record<string, number> = { sybil: 0, forger: 0, lazy: 0, offline: 0 }
  for (const part of text.split(",").filter((p) => p.length > 0)) {
    const [name, value] = part.split(":")
    if (!name || !(name in out) || value === undefined || !(Number(value) >= 0 && Number(value) < 1)) {
      throw new Error(`--adversary: "${part}" is not kind:fraction with kind in sybil, forger, lazy, offline and 0 ≤ fraction < 1`)
    }
    out[name] = Number(value)
  }
  if (out.sybil! + out.forger! + out.lazy! + out.offline! >= 1) throw new Error("--adversary: the fractions must leave some honest nodes")
  return out as unknown as Adversary
}

const addressOf = (i: number) => `0x${createHash("sha256").update(`node ${i}`).digest("hex").slice(0, 40)}` as Address

/**
 * `size` nodes: the adversary fractions of the whole, offline split between
 * the roles; the honest rest 40% trainers, 60% validators.
 */
export const population = (size: number, adversary: Adversary): ReadonlyArray<SimNode> => {
  const count = (f: number) => Math.round(size * f)
  const kinds: Array<Pick<SimNode, "role" | "kind">> = []
  const add = (n: number, role: SimNode["role"], kind: SimNode["kind"]) => {
    for (let i = 0; i < n; i++) kinds.push({ role, kind })
  }
  add(count(adversary.forger), "trainer", "forger")
  add(count(adversary.sybil), "validator", "sybil")
  add(count(adversary.lazy), "validator", "lazy")
  const offline = count(adversary.offline)
  add(Math.floor(offline / 2), "trainer", "offline")
  add(offline - Math.floor(offline / 2), "validator", "offline")
  const honest = size - kinds.length
  add(Math.round(honest * 0.4), "trainer", "honest")
  add(honest - Math.round(honest * 0.4), "validator", "honest")
  return kinds.map((k, i) => ({ ...k, nodeId: `${k.role === "trainer" ? "t" : "v"}${i}-${k.kind}` as NodeId, address: addressOf(i) }))
}
