import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Everything gfsdeploy printed in this e2e run, for the final scan for leaked secrets. */
export const TRANSCRIPT = join(tmpdir(), "gfsdeploy-e2e-transcript.log");

export function record(output: string): void {
  appendFileSync(TRANSCRIPT, output);
}
