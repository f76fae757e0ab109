import { commandDigest, legacyCommandDigest, recoverSigner, SIGNING_SCHEME, signingDomain } from "./signature"

/** What an event's metadata keeps of the signed command that caused it. */
export interface SignedCommandRecord {
  readonly actor?: string
  readonly signature?: string
  readonly command?: { readonly type: string; readonly id: string; readonly issuedAt: string; readonly payload: unknown; readonly scheme?: string; readonly chainId?: number }
}

/**
 * Re-verify a stored command's signature: recompute its digest from the
 * signed fields (the scheme and chain it was signed under) and recover the
 * signer. Returns whether it recovers to the recorded actor, or undefined
 * when the command was not signed (coordinator-internal steps).
 */
export const signatureRecovers = (m: SignedCommandRecord): boolean | undefined => {
  if (!m.signature || !m.command || !m.actor) return undefined
  const fields = { type: m.command.type, commandId: m.command.id, issuedAt: m.command.issuedAt, signer: m.actor, payload: m.command.payload }
  const digest = m.command.scheme === SIGNING_SCHEME ? commandDigest(fields, signingDomain(m.command.chainId)) : legacyCommandDigest(fields)
  return recoverSigner(digest, m.signature) === m.actor
}
