import { readFileSync } from "node:fs"
import { outcomes, readCases } from "./codecOutcomes"

/**
 * Run as a process of its own by the compiled-codec spec: the same cases
 * through Effect Schema's interpreter (this process never loads the codec,
 * so nothing here is compiled). Prints the outcomes as one JSON array.
 */
process.stdout.write(JSON.stringify(outcomes(readCases(readFileSync(process.argv[2]!, "utf8")))))
