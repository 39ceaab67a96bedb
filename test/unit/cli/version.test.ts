import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { runCli } from "../../support/cli.js";

/** What bug reports quote: the version in package.json. */
const packageJson = fileURLToPath(new URL("../../../package.json", import.meta.url));
const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;

describe("gfsdeploy --version", () => {
  it.each(["--version", "-V"])("%s prints package.json's version and exits 0", async (flag) => {
    const r = await runCli(flag);
    expect(r).toEqual({ code: 0, out: `${version}\n`, err: "" });
  });
});
