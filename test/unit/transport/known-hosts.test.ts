import { describe, expect, it } from "vitest";
import {
  fingerprint,
  judgeHostKey,
  keyTypeOf,
  knownHostsLine,
  knownHostsName,
  knownKeysFor,
  parseKnownHosts,
} from "../../../src/transport/known-hosts.js";

// Keys made with `ssh-keygen -t ed25519|ecdsa`; fingerprints as `ssh-keygen -lf` printed them.
const KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIOkmvoHvU7owC5i1zFUZW3+bJzH7bcGsCF7AEnd4ILJl";
const KEY_A_FINGERPRINT = "SHA256:7HYq1kObpSw/DBKubLy6rxhcMPRTTQzM1PvW9euHshY";
const KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAIP7273CeX0DP9SNYYlq7px+KTxEqU/qxqMximxpL7U1h";
const KEY_C =
  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEJAQLBIFevuhymUu9faz2iIR5d5ggPLcHZvM4aa8pmw2XSHhd+U/acp+jBv/96R+R+R8bIUu8Tw+nPLd6zH4sw=";
const KEY_C_FINGERPRINT = "SHA256:t5PMFGdd9IaJ+8NoTGUiJMK16hE/FcAoT+8ILR3L7eE";

const blob = (base64: string): Buffer => Buffer.from(base64, "base64");

// `ssh-keygen -H` output for "[10.0.0.5]:2222 KEY_A" and "10.0.0.6 KEY_B".
const HASHED = `|1|as7p0YPUuE5mEgGDCo/k846YLC8=|smwrAMKSGYxRSdj8dWOIYWPJ8MI= ssh-ed25519 ${KEY_A}
|1|63ad0Yw0qMaZM7MtQLLf89p1/fA=|3ZIPC9dyzFAZg0uRd1f8JMfhVms= ssh-ed25519 ${KEY_B}
`;

describe("knownHostsName", () => {
  it("is the bare address on port 22 and [address]:port elsewhere", () => {
    expect(knownHostsName("10.0.0.5", 22)).toBe("10.0.0.5");
    expect(knownHostsName("10.0.0.5", 2222)).toBe("[10.0.0.5]:2222");
  });
});

describe("parseKnownHosts", () => {
  it("reads key lines with their line numbers and skips comments, blanks, CA and malformed lines", () => {
    const keys = parseKnownHosts(
      [
        "# a comment",
        "",
        `node1,10.0.0.1 ssh-ed25519 ${KEY_A} root@node1`,
        `@cert-authority *.example.com ssh-ed25519 ${KEY_B}`,
        "truncated-line ssh-ed25519",
        `   10.0.0.2   ecdsa-sha2-nistp256   ${KEY_C}   `,
        `@revoked * ssh-ed25519 ${KEY_B}`,
      ].join("\n"),
    );
    expect(keys.map((k) => [k.line, k.hosts, k.keyType, k.revoked])).toEqual([
      [3, "node1,10.0.0.1", "ssh-ed25519", false],
      [6, "10.0.0.2", "ecdsa-sha2-nistp256", false],
      [7, "*", "ssh-ed25519", true],
    ]);
    expect(keys[0]?.key.equals(blob(KEY_A))).toBe(true);
  });
});

describe("knownKeysFor", () => {
  const keys = parseKnownHosts(
    [
      `node1,10.0.0.1 ssh-ed25519 ${KEY_A}`,
      `[10.0.0.1]:2222 ssh-ed25519 ${KEY_B}`,
      `10.0.1.* ecdsa-sha2-nistp256 ${KEY_C}`,
      `10.0.2.?,!10.0.2.9 ssh-ed25519 ${KEY_A}`,
      `NODE9 ssh-ed25519 ${KEY_B}`,
    ].join("\n"),
  );
  const lines = (name: string) => knownKeysFor(keys, name).map((k) => k.line);

  it("matches any name of a comma-separated list", () => {
    expect(lines("10.0.0.1")).toEqual([1]);
    expect(lines("node1")).toEqual([1]);
  });

  it("keeps a non-standard port apart from port 22", () => {
    expect(lines("[10.0.0.1]:2222")).toEqual([2]);
    expect(lines("[10.0.0.1]:2223")).toEqual([]);
  });

  it("honours * and ? wildcards and negation", () => {
    expect(lines("10.0.1.77")).toEqual([3]);
    expect(lines("10.0.2.8")).toEqual([4]);
    expect(lines("10.0.2.9")).toEqual([]);
    expect(lines("10.0.2.10")).toEqual([]);
  });

  it("compares names case-insensitively, as OpenSSH does", () => {
    expect(lines("node9")).toEqual([5]);
  });

  it("treats the dots of an address literally", () => {
    expect(lines("10a0b0c1")).toEqual([]);
  });

  it("matches hashed names written by ssh-keygen -H", () => {
    const hashed = parseKnownHosts(HASHED);
    expect(knownKeysFor(hashed, "[10.0.0.5]:2222").map((k) => k.line)).toEqual([1]);
    expect(knownKeysFor(hashed, "10.0.0.6").map((k) => k.line)).toEqual([2]);
    expect(knownKeysFor(hashed, "10.0.0.5")).toEqual([]);
  });
});

describe("judgeHostKey", () => {
  const keys = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${KEY_A}\n10.0.0.1 ecdsa-sha2-nistp256 ${KEY_C}\n`);

  it("knows a recorded key, whichever of the host's lines records it", () => {
    expect(judgeHostKey(keys, "10.0.0.1", blob(KEY_A))).toMatchObject({ status: "known", entry: { line: 1 } });
    expect(judgeHostKey(keys, "10.0.0.1", blob(KEY_C))).toMatchObject({ status: "known", entry: { line: 2 } });
  });

  it("calls a host without lines unknown", () => {
    expect(judgeHostKey(keys, "10.0.0.2", blob(KEY_A))).toEqual({ status: "unknown" });
  });

  it("calls another key for a recorded host changed, listing what was recorded", () => {
    const verdict = judgeHostKey(keys, "10.0.0.1", blob(KEY_B));
    expect(verdict.status).toBe("changed");
    expect(verdict.status === "changed" && verdict.known.map((k) => k.line)).toEqual([1, 2]);
  });

  it("refuses a revoked key for any host, even one that records it", () => {
    const withRevoked = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${KEY_A}\n@revoked other-host ssh-ed25519 ${KEY_A}\n`);
    expect(judgeHostKey(withRevoked, "10.0.0.1", blob(KEY_A))).toMatchObject({ status: "revoked", entry: { line: 2 } });
  });
});

describe("key helpers", () => {
  it("print fingerprints as ssh-keygen -lf does", () => {
    expect(fingerprint(blob(KEY_A))).toBe(KEY_A_FINGERPRINT);
    expect(fingerprint(blob(KEY_C))).toBe(KEY_C_FINGERPRINT);
  });

  it("read the key type from the blob", () => {
    expect(keyTypeOf(blob(KEY_A))).toBe("ssh-ed25519");
    expect(keyTypeOf(blob(KEY_C))).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOf(Buffer.from([0, 0, 0, 9, 1]))).toBe("unknown");
  });

  it("write a line that parses back to the same key for the same host", () => {
    const line = knownHostsLine("[10.0.0.5]:2222", blob(KEY_C));
    expect(line).toBe(`[10.0.0.5]:2222 ecdsa-sha2-nistp256 ${KEY_C}`);
    expect(judgeHostKey(parseKnownHosts(line), "[10.0.0.5]:2222", blob(KEY_C)).status).toBe("known");
  });
});
