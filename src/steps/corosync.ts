import type { Facts } from "../probes/facts.js";
import { runningCorosync } from "../probes/node.js";

function configured(content: string): { name: string; addresses: string[] } {
  return {
    name: /cluster_name:\s*(\S+)/.exec(content)?.[1] ?? "",
    addresses: [...content.matchAll(/ring0_addr:\s*(\S+)/g)].map((m) => m[1] as string).sort(),
  };
}

/**
 * A reload covers most corosync.conf changes; a new cluster name or node list needs a
 * restart. undefined when corosync is not running (nothing to reload or restart). It reads
 * what probes/node's corosyncReads gathers.
 */
export function corosyncNeedsRestart(f: Facts, content: string): boolean | undefined {
  const running = runningCorosync(f);
  if (!running) return undefined;
  const want = configured(content);
  return running.name !== want.name || running.addresses.join(",") !== want.addresses.join(",");
}
