import { mkdirSync, readdirSync, utimesSync } from "node:fs";
import { basename, dirname, join } from "node:path";

import { expect, it, vi } from "vitest";

import { scratchDir } from "../support/scratch.js";
import { trixieRoot, trixieRootPath } from "./trixie-root.js";

it("reuses the root of today's recipe, and drops other recipes' roots and builds abandoned an hour ago, not one under way", async () => {
  // GIVEN a cache holding today's root (so nothing is built), an older recipe's root, and two builds
  vi.stubEnv("GFSDEPLOY_CACHE", scratchDir("validators-cache"));
  const root = trixieRootPath();
  const parent = dirname(root);
  for (const dir of [root, join(parent, "0123456789abcdef"), join(parent, ".build-dead"), join(parent, ".build-live")]) mkdirSync(dir, { recursive: true });
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(join(parent, ".build-dead"), twoHoursAgo, twoHoursAgo);

  // WHEN the tests ask for the root
  // THEN they get today's, and only the build under way is left beside it
  expect(await trixieRoot()).toBe(root);
  expect(readdirSync(parent).sort()).toEqual([".build-live", basename(root)]);
});
