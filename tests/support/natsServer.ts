// The harness's server launcher lives with the NATS infrastructure so the dev
// stack and the benchmarks start servers the same way the tests do.
export * from "../../infra/nats/server"
