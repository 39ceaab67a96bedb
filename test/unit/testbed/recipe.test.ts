import { describe, expect, it } from "vitest";
import { TestbedError } from "../../../src/testbed/errors.js";
import { imageRecipe, mmdebstrapArgs, parseDebianSources, recipeHash } from "../../../src/testbed/recipe.js";

const IMAGE_RECIPE = imageRecipe("debian12");

const SOURCES = `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe("recipeHash", () => {
  it("is stable for the same recipe", () => {
    expect(recipeHash({ ...IMAGE_RECIPE })).toBe(recipeHash(IMAGE_RECIPE));
  });

  it("changes when the package list changes", () => {
    const more = { ...IMAGE_RECIPE, packages: [...IMAGE_RECIPE.packages, "ctdb"] };
    expect(recipeHash(more)).not.toBe(recipeHash(IMAGE_RECIPE));
  });

  it("changes when a hook or a file changes", () => {
    expect(recipeHash({ ...IMAGE_RECIPE, customize: IMAGE_RECIPE.customize.slice(1) })).not.toBe(recipeHash(IMAGE_RECIPE));
    const files = IMAGE_RECIPE.files.map((f) => (f.path === "etc/hosts" ? { ...f, content: `${f.content}# x\n` } : f));
    expect(recipeHash({ ...IMAGE_RECIPE, files })).not.toBe(recipeHash(IMAGE_RECIPE));
  });
});

describe("imageRecipe", () => {
  it("differs between the distributions in the suite and trixie's split-out fence_sbd, so each has its own cached image", () => {
    const trixie = imageRecipe("debian13");
    expect([IMAGE_RECIPE.suite, trixie.suite]).toEqual(["bookworm", "trixie"]);
    expect(trixie.packages.filter((p) => !IMAGE_RECIPE.packages.includes(p))).toEqual(["fence-agents-sbd"]);
    expect({ ...trixie, suite: "bookworm", packages: IMAGE_RECIPE.packages }).toEqual(IMAGE_RECIPE);
    expect(recipeHash(trixie)).not.toBe(recipeHash(IMAGE_RECIPE));
  });

  it("installs the cluster stack and the bench tools, with ctdb's daemon left off", () => {
    for (const pkg of ["pacemaker-cli-utils", "fio", "iperf3", "ctdb", "sbd", "drbd-utils", "gfs2-utils", "lvm2-lockd", "pcs", "python3"]) {
      expect(IMAGE_RECIPE.packages).toContain(pkg);
    }
    expect(IMAGE_RECIPE.customize).toContain('chroot "$1" systemctl disable ctdb.service');
  });

  it("names both nodes in /etc/hosts and keeps root's ssh directory private", () => {
    const hosts = IMAGE_RECIPE.files.find((f) => f.path === "etc/hosts");
    expect(hosts?.content).toContain("10.0.0.1 node1\n10.0.0.2 node2\n");
    expect(IMAGE_RECIPE.directories).toContainEqual({ path: "root/.ssh", mode: 0o700 });
  });
});

describe("parseDebianSources", () => {
  it("takes the main and security mirrors from the deb822 stanzas", () => {
    expect(parseDebianSources(SOURCES)).toEqual({
      main: "http://mirror.example/debian",
      security: "http://mirror.example/debian-security",
    });
  });

  it("fails with a hint when the security suite is missing", () => {
    expect(() => parseDebianSources(SOURCES.split("\n\n")[0] ?? "")).toThrow(TestbedError);
  });
});

describe("mmdebstrapArgs", () => {
  it("copies the staged files in first and takes every suite from the host's mirrors", () => {
    const args = mmdebstrapArgs(IMAGE_RECIPE, {
      mirrors: parseDebianSources(SOURCES),
      stageDir: "/tmp/stage",
      rootfs: "/build/rootfs",
    });
    expect(args.find((a) => a.startsWith("--customize-hook="))).toBe("--customize-hook=sync-in /tmp/stage /");
    expect(args.slice(-5)).toEqual([
      "bookworm",
      "/build/rootfs",
      "deb http://mirror.example/debian bookworm main",
      "deb http://mirror.example/debian bookworm-updates main",
      "deb http://mirror.example/debian-security bookworm-security main",
    ]);
  });
});
