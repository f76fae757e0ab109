import { ApiError } from "../../commands/client"

/** The API's refusal of a request (status, code, problem); fails the test if the request succeeded. */
export const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, code: e.problem.code, problem: e.problem }
    throw e
  }
  throw new Error("expected an API error")
}
