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

function isEl(fields: Readonly<Record<string, string>>): boolean {
  const like = (fields.ID_LIKE ?? "").split(/\s+/);
  return EL_IDS.has(fields.ID ?? "") || like.includes("rhel") || like.includes("centos");
}

/** VERSION_ID is "12", "24.04", "9.4" or "7": the major release is what selects a target. */
const majorOf = (fields: Readonly<Record<string, string>>): string => (fields.VERSION_ID ?? "").split(".")[0] ?? "";

/**
 * EL 10 and later: RHEL 10 removed the Resilient Storage add-on and with it GFS2 (the kernel
 * module and gfs2-utils) and dlm ("Considerations in adopting RHEL 10", chapters "File
 * systems and storage" and "High availability and clusters", and its removed-packages list);
 * the rebuilds follow it. There is no GFS2 to build there.
 */
export function isElWithoutGfs2(fields: Readonly<Record<string, string>>): boolean {
  return isEl(fields) && Number(majorOf(fields)) >= 10;
}

/** Why EL 10 is refused, and what to use instead: said wherever a user meets the refusal. */
export const EL10_REFUSAL = {
  message: "RHEL 10 and its rebuilds ship no GFS2: Red Hat removed the Resilient Storage add-on, GFS2 (kernel module and gfs2-utils) and dlm in RHEL 10",
  hint: "build the cluster on el9 (RHEL 9 and its rebuilds keep Resilient Storage for their whole lifecycle) or on debian13 (see 'Considerations in adopting RHEL 10': Support for GFS2 file systems has been removed)",
};

/** The target for one node's os-release, or undefined when gfsdeploy has none for it. */
export function distroOf(fields: Readonly<Record<string, string>>): Distro | undefined {
  const id = fields.ID ?? "";
  const version = fields.VERSION_ID ?? "";
  const major = majorOf(fields);
  if (id === "debian") return major === "13" ? "debian13" : major === "12" ? "debian12" : undefined;
  if (id === "ubuntu") return version === "24.04" ? "ubuntu2404" : undefined;
  if (isEl(fields)) {
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

export const OS_RELEASE = "/etc/os-release";

/**
 * Reads every node's os-release and returns the one target they all are. Reads only: on
 * disagreement or an unsupported OS it throws a UsageError naming what each node said, so
 * nothing is compiled and nothing on any node is changed. `alreadyRead` holds what was read
 * of a node's /etc/os-release before (undefined: the file is missing), not to read it twice.
 */
export async function detectDistro(transports: ReadonlyMap<string, Transport>, alreadyRead: { has(t: Transport): boolean; get(t: Transport): Buffer | undefined } = new Map()): Promise<Distro> {
  const seen = await Promise.all(
    [...transports].map(async ([node, t]) => {
      // os-release(5): /etc/os-release first, /usr/lib/os-release where /etc has none.
      const etc = alreadyRead.has(t) ? alreadyRead.get(t) : await t.readFile(OS_RELEASE);
      const body = etc ?? (await t.readFile("/usr/lib/os-release"));
      const fields = parseOsRelease(body?.toString() ?? "");
      return { node, text: body ? describe(fields) : "no /etc/os-release or /usr/lib/os-release", distro: body ? distroOf(fields) : undefined, noGfs2: isElWithoutGfs2(fields) };
    }),
  );
  const lines = seen.map((s) => `  ${s.node}: ${s.text} → ${s.distro ?? "unsupported"}`).join("\n");
  const unsupported = seen.filter((s) => s.distro === undefined);
  const el10 = unsupported.filter((s) => s.noGfs2);
  if (el10.length > 0) {
    throw new UsageError(`distro: auto found EL 10 on ${el10.map((s) => s.node).join(", ")}: ${EL10_REFUSAL.message}:\n${lines}`, `${EL10_REFUSAL.hint}; nothing was changed`);
  }
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
