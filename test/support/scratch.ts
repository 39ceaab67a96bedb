import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll } from "vitest";

const scratch: string[] = [];

// Registered in every test file that imports this one: each file's scratch goes when it ends,
// so hundreds of test runs leave nothing behind in /tmp.
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under `parent` (default /tmp), removed when the test file that made it ends. */
export function scratchDir(prefix: string, parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, `gfsdeploy-${prefix}-`));
  scratch.push(dir);
  return dir;
}
