import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

import { UsageError } from "../errors.js";
import { specRelativePath } from "../spec/load.js";
import { secretRefs } from "../spec/secrets.js";
import { formatPath } from "../spec/path.js";
import type { SecretRef, Spec } from "../spec/types.js";
import type { SecretStore } from "../steps/types.js";

/** corosync-keygen's key size. */
const AUTHKEY_BYTES = 256;

/**
 * Reads every secret the spec references, once, at the edge. Values live only in memory
 * and on the nodes; they are never logged. Passwords lose one trailing newline (files
 * written with echo); the authkey is taken byte for byte.
 */
export function loadSecrets(spec: Spec, baseDir: string, options: { generateAuthkey: boolean }): SecretStore {
  const values = new Map<string, Buffer>();
  const pending = new Set<string>();
  const read = (ref: SecretRef, path: string): Buffer => {
    if (ref.env !== undefined) {
      const v = process.env[ref.env];
      if (!v) throw new UsageError(`${path}: environment variable ${ref.env} is not set`, `export ${ref.env}=… first`);
      return Buffer.from(v);
    }
    const file = specRelativePath(ref.file ?? "", baseDir);
    try {
      return Buffer.from(readFileSync(file).toString().replace(/\n$/, ""));
    } catch {
      throw new UsageError(`${path}: cannot read secret file ${file}`, "create it with mode 0600, or fix the path");
    }
  };
  for (const { path, ref } of secretRefs(spec)) values.set(formatPath(path), read(ref, formatPath(path)));

  const keyFile = specRelativePath(spec.secrets.authkey.file, baseDir);
  if (existsSync(keyFile)) values.set("secrets.authkey", readFileSync(keyFile));
  else if (options.generateAuthkey) {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    const key = randomBytes(AUTHKEY_BYTES);
    writeFileSync(keyFile, key, { mode: 0o600, flag: "wx" });
    values.set("secrets.authkey", key);
  } else pending.add("secrets.authkey");

  return {
    get(path) {
      const v = values.get(path);
      if (!v) throw new UsageError(`secret ${path} is not available`, pending.has(path) ? "apply generates it" : "check the spec's secret references");
      return v;
    },
    pending: (path) => pending.has(path),
  };
}
