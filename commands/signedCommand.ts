import { Schema } from "effect"
import { Address, Instant } from "../domain/primitives"
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
    Schema.check(Schema.isPattern(/^[A-Za-z0-9_.:-]{1,100}$/, { description: "client-chosen id, 1-100 chars of [A-Za-z0-9_.:-]" }))
  ),
  issuedAt: Instant,
  signer: Address,
  payload: Schema.Unknown,
  signature: Schema.String.pipe(Schema.check(Schema.isPattern(/^0x[0-9a-f]{130}$/, { description: "65-byte r‖s‖v signature" })))
})
export type SignedCommand = typeof SignedCommand.Type

export class InvalidSignature extends Schema.TaggedError<InvalidSignature>()("InvalidSignature", { detail: Schema.String }) {}
export class SignatureExpired extends Schema.TaggedError<SignatureExpired>()("SignatureExpired", {
  issuedAt: Schema.String,
  serverTime: Schema.String,
  maxSkewSeconds: Schema.Number
}) {}

/**
 * Check a signed command: fresh enough (replays older than the window are
 * refused; newer ones are caught by command-id idempotency) and signed by the
 * claimed signer. Returns the verified actor.
 */
export const verifySignedCommand = async (
  type: string,
  command: SignedCommand,
  now: Date,
  maxSkewMs: number,
  domain: SigningDomain
): Promise<{ readonly actor: Address } | InvalidSignature | SignatureExpired> => {
  const skew = Math.abs(now.getTime() - Date.parse(command.issuedAt))
  if (skew > maxSkewMs) {
    return new SignatureExpired({ issuedAt: command.issuedAt, serverTime: now.toISOString(), maxSkewSeconds: maxSkewMs / 1000 })
  }
  const digest = commandDigest({ type, commandId: command.commandId, issuedAt: command.issuedAt, signer: command.signer, payload: command.payload }, domain)
  const recovered = await recoverSignerAsync(digest, command.signature)
  if (recovered === undefined) return new InvalidSignature({ detail: "signature does not recover to any key (malformed, not over this command and domain, or a high-s signature)" })
  if (recovered !== command.signer) return new InvalidSignature({ detail: `signed by ${recovered}, not by the claimed signer ${command.signer}` })
  return { actor: recovered }
}
