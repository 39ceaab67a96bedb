import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";

import { SpecError, UsageError } from "../errors.js";
import { checkSshAccess, type FileState } from "./access.js";
import { parseSpec } from "./parse.js";
import { checkSecretSources } from "./secrets.js";
import type { Distro, Spec } from "./types.js";

export interface LoadedSpec {
  spec: Spec;
  /** The path as the user gave it (used in messages and rendered headers). */
  file: string;
  /** Directory relative secret and key paths are resolved against. */
  baseDir: string;
  /** The spec's text, kept so `distro: auto` can be resolved without reading the file again. */
  text: string;
}

export interface LoadOptions {
  /** Also require every secret to be resolvable now (apply, live plan, validate). */
  checkSecrets: boolean;
  /** Also require the SSH key and known_hosts to be usable now (whenever nodes will be contacted, and validate). */
  checkSshAccess?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Resolves a path from the spec: `~` is the user's home, relative is relative to the spec. */
export function specRelativePath(path: string, baseDir: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (path === "~" || path.startsWith("~/")) return resolve(env.HOME ?? "/root", path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The only place a spec file is read. Throws SpecError with every problem found. */
export function loadSpec(file: string, options: LoadOptions): LoadedSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot read spec ${file}: ${code}`, "check the path; the spec is a YAML file such as cluster.yaml");
  }
  const shown = isAbsolute(file) ? relative(process.cwd(), file) || file : file;
  const parsed = parseSpec(text, shown);
  if (!parsed.ok) throw new SpecError(parsed.diagnostics);
  const baseDir = dirname(resolve(file));
  const env = options.env ?? process.env;
  const local = (p: string) => specRelativePath(p, baseDir, env);
  const problems = [
    ...(options.checkSshAccess ? checkSshAccess(parsed.spec, shown, parsed.locator, { resolve: local, fileState, isDirectory }) : []),
    ...(options.checkSecrets ? checkSecretSources(parsed.spec, shown, parsed.locator, { env, readable: (p) => fileState(local(p)) === "readable" }) : []),
  ];
  if (problems.length > 0) throw new SpecError(problems);
  return { spec: parsed.spec, file: shown, baseDir, text };
}

/**
 * The spec again with `distro: auto` replaced by what the nodes are, its distro-dependent
 * defaults (corosync transport, LVM locking, DRBD dialect) and rules applied for that target.
 */
export function withDetectedDistro(loaded: LoadedSpec, distro: Distro): LoadedSpec {
  if (loaded.spec.cluster.distro !== "auto") return loaded;
  const parsed = parseSpec(loaded.text, loaded.file, distro);
  if (!parsed.ok) {
    throw new SpecError(parsed.diagnostics.map((d) => ({ ...d, message: `${d.message} (distro: auto, the nodes are ${distro})` })));
  }
  return { ...loaded, spec: parsed.spec };
}

function fileState(path: string): FileState {
  try {
    // access(R_OK) alone would accept a directory.
    if (!statSync(path).isFile()) return "not-a-file";
    accessSync(path, constants.R_OK);
    return "readable";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unreadable";
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
