/**
 * How far a DRBD resync has got, from the two places the kernel module reports it: DRBD 8.4
 * prints it per minor in /proc/drbd, DRBD 9 only through `drbdsetup status --statistics`.
 */

/** True when /proc/drbd comes from a DRBD 8 module (DRBD 9's lists no devices). */
export function isDrbd8(procDrbd: string): boolean {
  return /^version: 8\./m.test(procDrbd);
}

/**
 * The `sync'ed: 12.3%` of `minor` in DRBD 8.4's /proc/drbd, or undefined when that device is
 * not resyncing. Each device's block starts with ` N: cs:` and runs to the next such line.
 */
export function procDrbdSyncPercent(procDrbd: string, minor: number): number | undefined {
  const blocks = procDrbd.split(/\n(?=\s*\d+: cs:)/);
  const block = blocks.find((b) => new RegExp(`^\\s*${minor}: cs:`).test(b));
  const m = block === undefined ? null : /sync'ed:\s*([\d.]+)%/.exec(block);
  return m ? Number(m[1]) : undefined;
}

/**
 * The `done:12.34` of a resource in DRBD 9's `drbdsetup status RES --verbose --statistics`, or
 * undefined when no peer volume is resyncing. With several volumes or peers the least
 * advanced one is reported, since the resource is not in sync until it finishes.
 */
export function drbdsetupSyncPercent(status: string): number | undefined {
  const done = [...status.matchAll(/\bdone:([\d.]+)/g)].map((m) => Number(m[1]));
  return done.length === 0 ? undefined : Math.min(...done);
}
