/**
 * Node/V8 flags for a process that appends to the log under load: the API
 * (`commands/main.ts`, and `scripts/dev.ts`, which hosts it). With many
 * appends in flight, every scavenge of V8's default 16 MiB young generation
 * copies the objects of each append still waiting for its ack, and garbage
 * collection took 27 % of such a process's CPU (profile: 1,000 appends in
 * flight). A 64 MiB semi-space makes scavenges four times rarer: 14-16 % of
 * the CPU, pipelined appends 0.23 -> 0.29-0.35 of a raw publish (bench). The young
 * generation grows to that size only while allocation keeps it busy.
 * The flag must be given at start (V8 sizes the heap before any code runs):
 * scripts/dev.sh and package.json's start and bench scripts pass the same one.
 */
export const LOG_WRITER_NODE_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=64"]
