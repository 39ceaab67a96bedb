/**
 * OpenSSH known_hosts files: which key each host has proved itself with before. Pure
 * functions over the file's text, so the SSH transport only reads and appends the file.
 *
 * Supported: plain host patterns (`a,b`, `*`/`?` wildcards, `!negation`), `[host]:port`
 * names, hashed names (`|1|salt|hash`, HMAC-SHA1 as `ssh-keygen -H` writes them) and
 * `@revoked` lines. `@cert-authority` lines are skipped: host certificates are not supported.
 */

import { createHash, createHmac } from "node:crypto";

export interface KnownHostKey {
  /** 1-based line number in the file, so messages can point at it. */
  line: number;
  revoked: boolean;
  /** The host field as written: patterns or one hashed name. */
  hosts: string;
  keyType: string;
  /** The public key blob in SSH wire format, as the server sends it during key exchange. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: "known"; entry: KnownHostKey }
  | { status: "unknown" }
  /** The host is listed, but with other keys: a reinstall or a man in the middle. */
  | { status: "changed"; known: KnownHostKey[] }
  | { status: "revoked"; entry: KnownHostKey };

/** The name OpenSSH files a host under: the bare address on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** Every usable key line; lines OpenSSH would also ignore (malformed, comments) are dropped. */
export function parseKnownHosts(text: string): KnownHostKey[] {
  const keys: KnownHostKey[] = [];
  text.split("\n").forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]?.startsWith("#")) return;
    const marker = fields[0]?.startsWith("@") ? fields.shift() : undefined;
    if (marker !== undefined && marker !== "@revoked") return;
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) return;
    const key = Buffer.from(base64, "base64");
    if (key.length === 0) return;
    keys.push({ line: index + 1, revoked: marker === "@revoked", hosts, keyType, key });
  });
  return keys;
}

/** The non-revoked keys filed under `name` (see knownHostsName). */
export function knownKeysFor(keys: readonly KnownHostKey[], name: string): KnownHostKey[] {
  return keys.filter((k) => !k.revoked && hostFieldMatches(k.hosts, name));
}

/**
 * Judges the key a server presented. A revoked key is refused whichever host it is filed
 * under: a compromised key must not be trusted anywhere.
 */
export function judgeHostKey(keys: readonly KnownHostKey[], name: string, key: Buffer): HostKeyVerdict {
  const revoked = keys.find((k) => k.revoked && k.key.equals(key));
  if (revoked) return { status: "revoked", entry: revoked };
  const known = knownKeysFor(keys, name);
  const match = known.find((k) => k.key.equals(key));
  if (match) return { status: "known", entry: match };
  return known.length === 0 ? { status: "unknown" } : { status: "changed", known };
}

/** The line that records `key` for `name`, in the form ssh-keyscan prints. */
export function knownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString("base64")}`;
}

/** `SHA256:…` as `ssh-keygen -lf` and ssh's own prompts print it, so users can compare. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The algorithm name a key blob starts with (a length-prefixed string), e.g. `ssh-ed25519`. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const length = key.readUInt32BE(0);
  return key.length < 4 + length ? "unknown" : key.subarray(4, 4 + length).toString("latin1");
}

function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    // One matching negation rules the line out, whatever else matches.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (salt === undefined || hash === undefined) return false;
  const expected = createHmac("sha1", Buffer.from(salt, "base64")).update(name.toLowerCase()).digest();
  return expected.equals(Buffer.from(hash, "base64"));
}

function globMatches(pattern: string, name: string): boolean {
  const source = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  // OpenSSH compares host names case-insensitively.
  return new RegExp(`^${source}$`, "i").test(name);
}
