import { dirname } from "node:path";

import type { Diagnostic } from "../errors.js";
import type { SourceLocator } from "./locate.js";
import { formatPath, type SpecPath } from "./path.js";
import type { Spec } from "./types.js";

/** What a local file looks like to the user running gfsdeploy. */
export type FileState = "readable" | "missing" | "not-a-file" | "unreadable";

/** What the SSH checks may look at; load.ts passes the real file system. */
export interface AccessSources {
  /** A path from the spec as the file system sees it (`~` and relative paths resolved). */
  resolve(path: string): string;
  fileState(path: string): FileState;
  isDirectory(path: string): boolean;
}

/** The path as written, plus where it really points when that differs (`~`, relative paths). */
function shownPath(written: string, full: string): string {
  return written === full ? written : `${written} (${full})`;
}

/**
 * Finds why gfsdeploy could not log in to the nodes, before any node is contacted: the
 * transport would otherwise find the same problems only when it connects, without a spec
 * location. The known_hosts file itself may be missing (no host is known yet, and
 * --accept-new-host-keys creates it), but not its directory, or no key could ever be recorded.
 */
export function checkSshAccess(spec: Spec, file: string, locator: SourceLocator, sources: AccessSources): Diagnostic[] {
  const at = (path: SpecPath) => {
    const pos = locator.locate(path);
    return { file, line: pos.line, col: pos.col, path: formatPath(path) };
  };
  const out: Diagnostic[] = [];

  const identity = spec.ssh.identityFile;
  if (identity === undefined) {
    out.push({
      ...at(["ssh", "identityFile"]),
      message: "no private key to log in to the nodes with",
      hint: "set ssh.identityFile to the private key gfsdeploy logs in with, such as ~/.ssh/id_ed25519 (an ssh agent is not used)",
    });
  } else {
    const full = sources.resolve(identity);
    const shown = shownPath(identity, full);
    const problem = {
      readable: undefined,
      missing: {
        message: `identity file ${shown} does not exist`,
        hint: "fix the path (relative paths are relative to the spec file), or create a key with ssh-keygen -t ed25519 and install it on every node with ssh-copy-id",
      },
      "not-a-file": { message: `identity file ${shown} is not a regular file`, hint: "point ssh.identityFile at the private key file itself, such as ~/.ssh/id_ed25519" },
      unreadable: { message: `identity file ${shown} cannot be read`, hint: "make it readable by the user who runs gfsdeploy (owned by that user, mode 0600)" },
    }[sources.fileState(full)];
    if (problem) out.push({ ...at(["ssh", "identityFile"]), ...problem });
  }

  const knownHosts = sources.resolve(spec.ssh.knownHosts);
  const shown = shownPath(spec.ssh.knownHosts, knownHosts);
  const state = sources.fileState(knownHosts);
  const directory = dirname(knownHosts);
  if (state === "missing" && !sources.isDirectory(directory)) {
    out.push({
      ...at(["ssh", "knownHosts"]),
      message: `the directory of known hosts file ${shown} does not exist`,
      hint: `create it (mkdir -m 700 ${directory}) or point ssh.knownHosts at a file in an existing directory`,
    });
  } else if (state === "not-a-file" || state === "unreadable") {
    out.push({
      ...at(["ssh", "knownHosts"]),
      message: `known hosts file ${shown} ${state === "not-a-file" ? "is not a regular file" : "cannot be read"}`,
      hint: "point ssh.knownHosts at an OpenSSH known_hosts file the user who runs gfsdeploy can read",
    });
  }
  return out;
}
