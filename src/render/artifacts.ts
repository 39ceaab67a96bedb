import type { AnyStep, Plan } from "../plan/types.js";
import { quoteArg } from "../transport/quote.js";

/** A file `render` writes, relative to its output directory. */
export interface Artifact {
  path: string;
  content: string;
  mode: number;
}

/** `pcs` + argv, shell-quoted: one line a person can paste or a checker can run with `-f`. */
export function pcsLine(argv: readonly string[]): string {
  return ["pcs", ...argv].map(quoteArg).join(" ");
}

function commandLine(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

/** Storage commands in plan order, as `NODE<TAB>COMMAND`. */
function storageLines(steps: readonly AnyStep[]): string[] {
  const lines: string[] = [];
  for (const s of steps) {
    switch (s.kind) {
      case "sbd-device":
      case "drbd-create-md":
      case "drbd-up":
      case "drbd-initial-sync":
      case "lvm-device":
      case "pvcreate":
      case "vgcreate":
      case "lvcreate":
        for (const argv of s.params.commands) lines.push(`${s.host}\t${commandLine(argv)}`);
        break;
      case "mkfs-gfs2":
        for (const argv of [...s.params.activate, ...s.params.commands]) lines.push(`${s.host}\t${commandLine(argv)}`);
        break;
      default:
        break;
    }
  }
  return lines;
}

/**
 * Everything `render` writes, computed from the plan alone. Pure: the CLI writes the list.
 * Secrets are never rendered; their files become placeholders that say where the real
 * content comes from.
 */
export function renderArtifacts(plan: Plan): Artifact[] {
  const out: Artifact[] = [];
  for (const s of plan.steps) {
    if (s.kind === "file") out.push({ path: `${s.host}${s.params.path}`, content: s.params.content, mode: s.params.mode });
    if (s.kind === "secret-file") {
      out.push({
        path: `${s.host}${s.params.path}.placeholder`,
        content: `# Not rendered: ${s.params.path} holds a secret (mode ${s.params.mode.toString(8)}), copied from ${s.params.secret} by apply.\n`,
        mode: 0o644,
      });
    }
  }
  const pcs = plan.steps.flatMap((s) => (s.kind === "cib" ? s.params.commands : []));
  out.push({ path: "cluster/pcs.txt", content: pcs.map((argv) => pcsLine(argv) + "\n").join(""), mode: 0o644 });
  out.push({ path: "cluster/storage.txt", content: storageLines(plan.steps).map((l) => l + "\n").join(""), mode: 0o644 });
  return out;
}
