/**
 * The grow and journal checks reading what the real gfs2-utils print: a GFS2 made by the
 * real mkfs.gfs2 in a sparse file stands in for the LV. Only the block-device questions
 * (`test -b`, `blockdev --getsize64`) and the mount lookup are answered for the file; tunegfs2,
 * gfs2_edit and blkid read it for real. Nothing is mounted, so apply is not exercised here.
 */
import { statSync } from "node:fs";
import { join } from "node:path";

import { execa } from "execa";
import { beforeEach, describe, expect, it } from "vitest";

import { compile } from "../../src/plan/compile.js";
import type { Step } from "../../src/plan/types.js";
import { loadPlaybook } from "../../src/cli/playbooks.js";
import { loadScripts, loadTemplates } from "../../src/cli/templates.js";
import type { StepContext } from "../../src/steps/types.js";
import { reader } from "../../src/steps/util.js";
import { LocalTransport } from "../../src/transport/local.js";
import { batchArgv, type BatchCommand } from "../../src/transport/batch.js";
import type { ExecOptions, ExecResult } from "../../src/transport/types.js";
import { scratchDir } from "../support/scratch.js";
import { testbedSpec } from "../support/testbed-spec.js";
import { check } from "../unit/steps/harness.js";

const MIB = 1024 ** 2;
const plan = compile(testbedSpec(), loadTemplates(), loadPlaybook("site"));
const stepOf = <K extends "gfs2-grow" | "gfs2-journals">(id: string, kind: K): Step<K> => plan.steps.find((s) => s.id === id && s.kind === kind) as Step<K>;

/** This machine, with the image file taking the place of an unmounted block device. */
class ImageTransport extends LocalTransport {
  constructor(private readonly image: string) {
    super("localhost");
  }

  override exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const line = [command, ...args].join(" ");
    if (line === `test -b ${this.image}`) return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    if (line === `blockdev --getsize64 ${this.image}`) return Promise.resolve({ code: 0, stdout: `${statSync(this.image).size}\n`, stderr: "" });
    if (command === "findmnt") return Promise.resolve({ code: 1, stdout: "", stderr: "" });
    return super.exec(command, args, options);
  }

  /** Through exec, so the image stands in for the device in a batch too. */
  override async batch(commands: readonly BatchCommand[]): Promise<ExecResult[]> {
    const results: ExecResult[] = [];
    for (const c of commands) {
      const [command, ...args] = batchArgv(c);
      results.push(await this.exec(command, args));
    }
    return results;
  }
}

describe("day-2 checks on a GFS2 made by the real mkfs.gfs2 (gfs2-utils' tunegfs2, gfs2_edit)", () => {
  let image: string;
  let ctx: StepContext;
  const grow = () => ({ ...stepOf("cluster/gfs2/data/grow", "gfs2-grow"), params: { device: image, mountpoint: "/srv/data", commands: [["gfs2_grow", "/srv/data"]] } });
  const journals = (count: number, sizeMb: number) => ({ ...stepOf("cluster/gfs2/data/journals", "gfs2-journals"), params: { device: image, mountpoint: "/srv/data", journals: count, journalSizeMb: sizeMb } });

  beforeEach(async () => {
    // GIVEN a 1 GiB GFS2 with two 32 MB journals, as the test bed's mkfs step makes it
    image = join(scratchDir("day2"), "lv.img");
    await execa("truncate", ["-s", "1G", image]);
    await execa("mkfs.gfs2", ["-O", "-p", "lock_dlm", "-t", "gfstest:data", "-j", "2", "-J", "32", image]);
    const t = new ImageTransport(image);
    const secrets = { get: () => Buffer.alloc(0), pending: () => false };
    ctx = { t, read: reader(t, secrets), secrets, forced: new Set(), scripts: loadScripts(), log: () => undefined, pollMs: 0 };
  });

  it("finds a filesystem that fills its device nothing to grow", async () => {
    expect(await check(grow(), ctx)).toEqual({ status: "ok" });
  });

  it("sees the device grown by 1 GiB from the resource group index", async () => {
    await execa("truncate", ["-s", "2G", image]);
    expect(await check(grow(), ctx)).toEqual({ status: "pending", why: `gfs2_grow waits for /srv/data to be mounted on localhost (it works only through the mount): ${image} is 2G, the filesystem <1.00G` });
  });

  it("leaves less than one resource group's worth (32 MiB) alone", async () => {
    await execa("truncate", ["-s", `${1024 + 16}M`, image]);
    expect(statSync(image).size).toBe((1024 + 16) * MIB);
    expect(await check(grow(), ctx)).toEqual({ status: "ok" });
  });

  it("counts the journals and reads their size from gfs2_edit -p journals", async () => {
    expect(await check(journals(2, 32), ctx)).toEqual({ status: "ok" });
    expect(await check(journals(3, 32), ctx)).toEqual({ status: "pending", why: "gfs2_jadd waits for /srv/data to be mounted on localhost (it works only through the mount): 2 → 3 journals" });
    expect(await check(journals(1, 32), ctx)).toMatchObject({ status: "refuse", reason: `${image} has 2 journals, the spec says 1: GFS2 cannot remove a journal` });
    expect(await check(journals(2, 64), ctx)).toMatchObject({ status: "ok", note: expect.stringContaining("existing journals keep 32 MB") as unknown });
  });
});
