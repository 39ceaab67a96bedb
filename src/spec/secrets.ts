import type { Diagnostic } from "../errors.js";
import type { SourceLocator } from "./locate.js";
import { formatPath, type SpecPath } from "./path.js";
import type { SecretRef, Spec } from "./types.js";

/** Every secret reference in a spec with the path it sits at. */
export function secretRefs(spec: Spec): { path: SpecPath; ref: SecretRef }[] {
  const refs: { path: SpecPath; ref: SecretRef }[] = [{ path: ["secrets", "haclusterPassword"], ref: spec.secrets.haclusterPassword }];
  spec.stonith.devices.forEach((d, i) => {
    for (const [key, value] of Object.entries(d.options)) {
      if (typeof value === "object") refs.push({ path: ["stonith", "devices", i, "options", key], ref: value });
    }
  });
  return refs;
}

/** What the secret checks may look at; the CLI passes the real environment and file system. */
export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Can this file be read? (Only asked, never printed.) */
  readable(path: string): boolean;
}

/**
 * Finds secrets that cannot be resolved, before anything contacts a host. The authkey may
 * be missing (apply generates it); everything else must exist now.
 */
export function checkSecretSources(spec: Spec, file: string, locator: SourceLocator, sources: SecretSources): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { path, ref } of secretRefs(spec)) {
    const pos = locator.locate(path);
    const at = { file, line: pos.line, col: pos.col, path: formatPath(path) };
    if (ref.env !== undefined && !sources.env[ref.env]) {
      out.push({ ...at, message: `environment variable ${ref.env} is not set`, hint: `export ${ref.env}=… before running gfsdeploy, or use { file: PATH }` });
    }
    if (ref.file !== undefined && !sources.readable(ref.file)) {
      out.push({ ...at, message: `secret file ${ref.file} cannot be read`, hint: "create it (mode 0600) or fix the path; relative paths are relative to the spec file" });
    }
  }
  return out;
}
