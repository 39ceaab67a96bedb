import { describe, expect, it } from "vitest";
import { cachePaths } from "../../../src/testbed/paths.js";
import { knownHostsContent, sshArgsFor } from "../../../src/testbed/ssh.js";
import { sshArgs } from "../../../src/testbed/vm.js";

const paths = cachePaths({ GFSDEPLOY_CACHE: "/cache" });

describe("sshArgs", () => {
  it("joins the words after -- into one remote command, as ssh does", () => {
    const args = sshArgs("node2", ["ip", "-br", "a"], paths);
    expect(args.slice(-4)).toEqual(["-p", "2202", "root@127.0.0.1", "ip -br a"]);
  });

  it("opens a login shell when no command is given", () => {
    expect(sshArgs("node1", [], paths).at(-1)).toBe("root@127.0.0.1");
  });

  it("uses the test bed's key and checks the host key strictly against the cache's known_hosts", () => {
    const args = sshArgs("node1", ["true"], paths);
    expect(args.slice(0, 2)).toEqual(["-i", "/cache/testbed/id_ed25519"]);
    expect(args).toContain('UserKnownHostsFile="/cache/testbed/known_hosts"');
    expect(args).toContain("StrictHostKeyChecking=yes");
    expect(args).toContain("GlobalKnownHostsFile=/dev/null");
    expect(args).toContain("BatchMode=yes");
  });

  it("sets the connect timeout it is given", () => {
    const args = sshArgsFor({ port: 2201, clientKey: "k", knownHosts: "kh" }, { connectTimeoutSec: 3 });
    expect(args).toContain("ConnectTimeout=3");
  });
});

describe("knownHostsContent", () => {
  it("lists the image's host key for both forwarded ports", () => {
    expect(knownHostsContent("ssh-ed25519 AAAAC3Nz root@gfsdeploy-testbed\n")).toBe(
      "[127.0.0.1]:2201 ssh-ed25519 AAAAC3Nz\n[127.0.0.1]:2202 ssh-ed25519 AAAAC3Nz\n",
    );
  });
});
