import { recoverSignerAsync } from "./recoverPool"
import { commandDigest, legacyCommandDigest, recoverSigner, SIGNING_SCHEME, signingDomain, type Hex } from "./signature"

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
  const digest = signedDigest(m)
  return digest === undefined ? undefined : recoverSigner(digest, m.signature!) === m.actor
}

/** `signatureRecovers` with the recovery on a signature worker (recoverPool.ts): for an audit of a whole log, off the event loop. */
export const signatureRecoversAsync = async (m: SignedCommandRecord): Promise<boolean | undefined> => {
  const digest = signedDigest(m)
  return digest === undefined ? undefined : (await recoverSignerAsync(digest, m.signature!)) === m.actor
}

/** The digest a stored command was signed over; undefined when it was not signed. */
const signedDigest = (m: SignedCommandRecord): Hex | undefined => {
  if (!m.signature || !m.command || !m.actor) return undefined
  const fields = { type: m.command.type, commandId: m.command.id, issuedAt: m.command.issuedAt, signer: m.actor, payload: m.command.payload }
  return m.command.scheme === SIGNING_SCHEME ? commandDigest(fields, signingDomain(m.command.chainId)) : legacyCommandDigest(fields)
}
