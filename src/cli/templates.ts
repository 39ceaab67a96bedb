import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import type { TemplateSources } from "../render/templates.js";

/** templates/ at the package root, both from src/ (tsx, tests) and from dist/. */
export const templatesDir = fileURLToPath(new URL("../../templates/", import.meta.url));

/** Every `*.hbs` under templates/, keyed by its path without the extension. */
export function loadTemplates(dir = templatesDir): TemplateSources {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".hbs")) continue;
    const full = `${entry.parentPath}/${entry.name}`;
    const key = full.slice(dir.length).replace(/^\/+/, "").replace(/\.hbs$/, "");
    out[key] = readFileSync(full, "utf8");
  }
  return out;
}

/** The helper scripts gfsdeploy ships to nodes (templates/scripts), by file name. */
export function loadScripts(dir = templatesDir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(`${dir}/scripts`)) out[name] = readFileSync(`${dir}/scripts/${name}`, "utf8");
  return out;
}
