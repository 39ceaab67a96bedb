import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { afterEach, describe, expect, it, vi } from "vitest";

import { TestbedError } from "../../../src/testbed/errors.js";
import { IMAGE_TOOLS, missingHostTools, requireHostTools, VM_TOOLS } from "../../../src/testbed/host-tools.js";
import { runCli } from "../../support/cli.js";
import { scratchDir } from "../../support/scratch.js";

/** A PATH directory holding an executable stand-in for each of `commands`. */
function pathWith(...commands: string[]): string {
  const dir = scratchDir("host-tools");
  for (const c of commands) {
    writeFileSync(join(dir, c), "#!/bin/sh\n");
    chmodSync(join(dir, c), 0o755);
  }
  return dir;
}

describe("the test bed's host tools", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("finds nothing missing when every program is on PATH", async () => {
    expect(await missingHostTools(VM_TOOLS, pathWith(...VM_TOOLS.map((t) => t.command)))).toEqual([]);
  });

  it("does not count a file that is not executable", async () => {
    const dir = pathWith();
    writeFileSync(join(dir, "mmdebstrap"), "not a program\n");
    expect((await missingHostTools(IMAGE_TOOLS, dir)).map((t) => t.command)).toContain("mmdebstrap");
  });

  it("names each missing program with its Debian package, each package once", async () => {
    // GIVEN a PATH with ssh and mkfs.ext4 but no QEMU and no mmdebstrap
    const path = pathWith("ssh", "ssh-keygen", "mkfs.ext4");
    // THEN the error names the three programs and the packages to install
    const error = await requireHostTools(VM_TOOLS, path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestbedError);
    expect((error as TestbedError).message).toBe(
      "the test bed needs qemu-system-x86_64 (Debian package qemu-system-x86), mmdebstrap (Debian package mmdebstrap), qemu-img (Debian package qemu-utils), not found on PATH",
    );
    expect((error as TestbedError).hint).toBe(
      "install them with `apt-get install qemu-system-x86 mmdebstrap qemu-utils`, or run `npm run testbed`, which installs everything the test bed needs and brings it up",
    );
  });

  it.each([["up"], ["build-image"]])("`gfsdeploy testbed %s` on a machine without them exits 1 naming the packages, no stack trace", async (sub) => {
    vi.stubEnv("PATH", pathWith());
    vi.stubEnv("GFSDEPLOY_CACHE", scratchDir("host-tools-cache"));
    const r = await runCli("testbed", sub);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^error: the test bed needs .*mmdebstrap \(Debian package mmdebstrap\).*\nhint: install them with `apt-get install .*mmdebstrap/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("`gfsdeploy testbed status` without ssh names openssh-client", async () => {
    vi.stubEnv("PATH", pathWith());
    const r = await runCli("testbed", "status");
    expect([r.code, r.err]).toEqual([1, expect.stringContaining("(Debian package openssh-client)") as string]);
  });
});
