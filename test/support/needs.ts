import type { TestContext } from "vitest";

/**
 * A test that needs something this machine may lack (a tool, an interpreter, a device)
 * skips with `what` and how to get it — never silently. Under CI (CI=true) it fails instead:
 * `.ci/install-deps` installs everything, so a skip there means an install step is missing.
 */
export function needs(ctx: TestContext, present: boolean, what: string, howToGet: string): void {
  if (present) return;
  if (process.env.CI === "true") throw new Error(`${what} is missing, and CI runs every test: ${howToGet}`);
  ctx.skip(`${what} is missing here: ${howToGet}`);
}
