/** Sizes as LVM's and GFS2's tools take and print them: powers of 1024 throughout. */

const UNITS = ["B", "K", "M", "G", "T", "P"] as const;

/**
 * Bytes of an absolute spec size (`20G`, `1.5T`, `512M`), as `lvcreate -L` reads it: every
 * unit letter is a power of 1024 there. undefined for a size relative to the VG (`100%FREE`).
 */
export function sizeBytes(size: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTP])$/.exec(size);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * 1024 ** UNITS.indexOf(m[2] as (typeof UNITS)[number]));
}

/**
 * `3G`, `3.5G`, or, like LVM's own display, `<4.00G` for a size just under what two decimals
 * show (`>` just over), so two different sizes never print the same.
 */
export function formatBytes(bytes: number): string {
  const round = (unit: number) => Math.round((bytes / 1024 ** unit) * 100) / 100;
  let unit = UNITS.length - 1;
  // 1 GiB less a block reads better as <1.00G than as >1023.99M.
  while (unit > 0 && round(unit) < 1) unit--;
  const value = bytes / 1024 ** unit;
  const shown = round(unit);
  if (Math.abs(shown - value) < 1e-9) return `${shown}${UNITS[unit] ?? ""}`;
  return `${shown > value ? "<" : ">"}${value.toFixed(2)}${UNITS[unit] ?? ""}`;
}

/** A size as the spec writes it (`3076M`), exactly: the largest unit that divides it, at least K. */
export function specSize(bytes: number): string {
  for (let unit = UNITS.length - 1; unit > 0; unit--) {
    if (bytes % 1024 ** unit === 0) return `${bytes / 1024 ** unit}${UNITS[unit] ?? ""}`;
  }
  return `${Math.ceil(bytes / 1024)}K`;
}
