import { Schema } from "effect"
import { Address, Instant, matching, SignatureHex } from "../domain/primitives"
import { recoverSignerAsync } from "../infra/identity/recoverPool"
import { commandDigest, type SigningDomain } from "../infra/identity/signature"

/**
 * Every command arrives signed by the identity it acts for:
 * `{ commandId, issuedAt, signer, payload, signature }`, where signature is
 * an Ethereum `personal_sign` (EIP-191, secp256k1 r‖s‖v, low s) of the
 * RFC 8785 canonical JSON of `{ domain, type, commandId, issuedAt, signer,
 * payload }` (infra/identity/signature.ts; README "Signing"). The command id is the
 * nonce: a retry reuses it and appends nothing; nothing else may reuse it.
 */
export const SignedCommand = Schema.Struct({
  commandId: Schema.String.pipe(
    Schema.check(matching(/^[A-Za-z0-9_.:-]{1,100}$/, { description: "client-chosen id, 1-100 chars of [A-Za-z0-9_.:-]" }))
  ),
  issuedAt: Instant,
  signer: Address,
  payload: Schema.Unknown,
  signature: SignatureHex
})
export type SignedCommand = typeof SignedCommand.Type

export class InvalidSignature extends Schema.TaggedError<InvalidSignature>()("InvalidSignature", { detail: Schema.String }) {}
export class SignatureExpired extends Schema.TaggedError<SignatureExpired>()("SignatureExpired", {
  issuedAt: Schema.String,
  serverTime: Schema.String,
  maxSkewSeconds: Schema.Number
}) {}

/** When a signature is acceptable: the server's clock, how far `issuedAt` may be from it, the signing domain. */
export interface SigningRules {
  readonly now: () => Date
  readonly maxSkewMs: number
  readonly domain: SigningDomain
}

/** A signed envelope from an HTTP body, decoded strictly: unknown members are errors. */
export const decodeSignedCommand = Schema.decodeUnknownExit(SignedCommand, { errors: "all", onExcessProperty: "error" })

/**
 * Check a signed command: fresh enough (replays older than the window are
 * refused; newer ones are caught by command-id idempotency) and signed by the
 * claimed signer. Returns the verified actor and the instant it was checked
 * at; fails with InvalidSignature or SignatureExpired.
 */
export const requireSignature = async (
  type: string,
  command: SignedCommand,
  rules: SigningRules
): Promise<{ readonly actor: Address; readonly at: Date }> => {
  const now = rules.now()
  const skew = Math.abs(now.getTime() - Date.parse(command.issuedAt))
  if (skew > rules.maxSkewMs) {
    throw new SignatureExpired({ issuedAt: command.issuedAt, serverTime: now.toISOString(), maxSkewSeconds: rules.maxSkewMs / 1000 })
  }
  const digest = commandDigest({ type, commandId: command.commandId, issuedAt: command.issuedAt, signer: command.signer, payload: command.payload }, rules.domain)
  const recovered = await recoverSignerAsync(digest, command.signature)
  if (recovered === undefined) throw new InvalidSignature({ detail: "signature does not recover to any key (malformed, not over this command and domain, or a high-s signature)" })
  if (recovered !== command.signer) throw new InvalidSignature({ detail: `signed by ${recovered}, not by the claimed signer ${command.signer}` })
  return { actor: recovered, at: now }
}
