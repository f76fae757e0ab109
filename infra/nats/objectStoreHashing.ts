import { setSha256Backend } from "@nats-io/obj"

/**
 * The JetStream object store hashes every object it writes (and every one
 * it reads through its consumer) with SHA-256; nats.js does that in pure JS
 * unless told it may use node:crypto. A trainer's result uploads its 16
 * checkpoints (~260 KB for the digits CNN), so js-sha256 took ~120 ms of
 * the event loop per 4-trainer digits task (profile), where the process's
 * nodes, the API and NATS traffic all wait. The digest is the same either
 * way (SHA-256 of the bytes); the choice is process-wide, and every opener
 * of an object store calls this first.
 */
export const useNativeObjectStoreHashing = (): void => setSha256Backend("native")
