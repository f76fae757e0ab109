// Run as a script (tests/unit/parallelVerifier.spec.ts): verifies a stored log with the hashing on a
// worker thread and prints the answer. Nothing else keeps this process alive while it waits: the
// busy thread must (hashCheckPool.ts refs it while it holds a job), or the process exits unanswered.
import { generateKeyPair } from "../../infra/identity/signature"
import { parallelChainVerifier } from "../../infra/eventStore/parallelVerifier"
import { signatureRecoversAsync } from "../../infra/identity/commandSignature"
import { escrow, read, storedLog } from "./storedCommits"

const events = read(storedLog(Array.from({ length: 100 }, (_, i) => [escrow(i)]), generateKeyPair()).map((c) => c.json))
const verifier = parallelChainVerifier()
await verifier.push(events)
const verification = await verifier.result()
// The signature workers likewise (recoverPool.ts).
const recovers = await signatureRecoversAsync(events[0]!.metadata)
console.log(JSON.stringify({ ok: verification.ok, verified: verification.verified, recovers }))
