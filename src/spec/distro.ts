/**
 * `distro: auto`: which target a node is, from its /etc/os-release (os-release(5)). Pure
 * mapping plus one read per node through the Transport interface, so tests feed it the real
 * os-release texts of each distribution.
 */

import { UsageError } from "../errors.js";
import type { Transport } from "../transport/types.js";
import type { Distro } from "./types.js";

/** os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, key, raw] = m as unknown as [string, string, string];
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    fields[key] = quoted ? (quoted[2] ?? "").replace(/\\(["'$`\\])/g, "$1") : raw;
  }
  return fields;
}

/** The EL rebuilds and RHEL itself; ID_LIKE covers the ones not named here ("rhel" or "centos" in it). */
const EL_IDS = new Set(["rhel", "centos", "rocky", "almalinux", "ol", "oracle", "scientific", "eurolinux", "navylinux", "circle"]);

/** The target for one node's os-release, or undefined when gfsdeploy has none for it. */
export function distroOf(fields: Readonly<Record<string, string>>): Distro | undefined {
  const id = fields.ID ?? "";
  const like = (fields.ID_LIKE ?? "").split(/\s+/);
  // VERSION_ID is "12", "24.04", "9.4" or "7": the major release is what selects a target.
  const version = fields.VERSION_ID ?? "";
  const major = version.split(".")[0];
  if (id === "debian") return major === "13" ? "debian13" : major === "12" ? "debian12" : undefined;
  if (id === "ubuntu") return version === "24.04" ? "ubuntu2404" : undefined;
  if (EL_IDS.has(id) || like.includes("rhel") || like.includes("centos")) {
    if (major === "9") return "el9";
    if (major === "8") return "el8";
    if (major === "7") return "el7";
  }
  return undefined;
}

/** How a node described itself, for messages: PRETTY_NAME plus the fields the decision used. */
function describe(fields: Readonly<Record<string, string>>): string {
  const pretty = fields.PRETTY_NAME ?? fields.NAME ?? "unknown";
  const like = fields.ID_LIKE ? ` ID_LIKE=${fields.ID_LIKE}` : "";
  return `${pretty} (ID=${fields.ID ?? "?"}${like} VERSION_ID=${fields.VERSION_ID ?? "?"})`;
}

const SUPPORTED = "debian13 (Debian 13), debian12 (Debian 12), ubuntu2404 (Ubuntu 24.04), el9/el8/el7 (RHEL, Rocky, AlmaLinux, CentOS, Oracle Linux 9/8/7)";

/**
 * Reads every node's os-release and returns the one target they all are. Reads only: on
 * disagreement or an unsupported OS it throws a UsageError naming what each node said, so
 * nothing is compiled and nothing on any node is changed.
 */
export async function detectDistro(transports: ReadonlyMap<string, Transport>): Promise<Distro> {
  const seen: { node: string; text: string; distro: Distro | undefined }[] = [];
  for (const [node, t] of transports) {
    // os-release(5): /etc/os-release first, /usr/lib/os-release where /etc has none.
    const body = (await t.readFile("/etc/os-release")) ?? (await t.readFile("/usr/lib/os-release"));
    const fields = parseOsRelease(body?.toString() ?? "");
    seen.push({ node, text: body ? describe(fields) : "no /etc/os-release or /usr/lib/os-release", distro: body ? distroOf(fields) : undefined });
  }
  const lines = seen.map((s) => `  ${s.node}: ${s.text} → ${s.distro ?? "unsupported"}`).join("\n");
  const unsupported = seen.filter((s) => s.distro === undefined);
  if (unsupported.length > 0) {
    throw new UsageError(
      `distro: auto found no gfsdeploy target on ${unsupported.map((s) => s.node).join(", ")}:\n${lines}`,
      `gfsdeploy builds clusters on ${SUPPORTED}; nothing was changed`,
    );
  }
  const distros = new Set(seen.map((s) => s.distro));
  const [only] = distros;
  if (distros.size !== 1 || only === undefined) {
    throw new UsageError(
      `distro: auto found nodes of different targets:\n${lines}`,
      "every node must run the same distribution release (corosync, pcs and DRBD must match); reinstall the odd node or list only matching nodes. Nothing was changed",
    );
  }
  return only;
}
