/**
 * Parsers for what the benchmark tools print. Pure (text in, figures out) so they are tested
 * against outputs recorded from the real tools in test/fixtures/bench/, and the runner alone
 * does the I/O. They throw a plain Error naming the tool and what is wrong; the caller knows
 * the host and command line and adds them.
 */
import type { FioSummary, Latency, PingPongSummary } from "./types.js";

const MIB = 2 ** 20;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(parent: JsonObject, key: string, where: string): JsonObject {
  const value = parent[key];
  if (!isObject(value)) throw new Error(`${where}: "${key}" is missing or not an object`);
  return value;
}

function number(parent: JsonObject, key: string, where: string): number {
  const value = parent[key];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${where}: "${key}" is missing or not a number`);
  return value;
}

function parseObject(text: string, tool: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${tool} output is not JSON (${(error as Error).message}); was it run with its JSON option?`, { cause: error });
  }
  if (!isObject(value)) throw new Error(`${tool} output is JSON but not an object`);
  return value;
}

/** Worst of two latencies, field by field: used across fio jobs, see {@link parseFio}. */
function worst(a: Latency | undefined, b: Latency | undefined): Latency | undefined {
  if (!a || !b) return a ?? b;
  return { p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), max: Math.max(a.max, b.max) };
}

/**
 * One fio latency section (`clat_ns`, or `lat_ns` in the `sync` section) in µs; undefined
 * when the direction did no I/O. I/O without percentiles means fio was told not to compute
 * them, which the report cannot do without, so that throws rather than reading as "no I/O".
 */
function fioLatency(ios: number, section: JsonObject, where: string): Latency | undefined {
  if (ios === 0) return undefined;
  const percentile = section["percentile"];
  if (!isObject(percentile)) throw new Error(`${where}: ${ios} I/Os but no percentiles; run fio without --clat_percentiles=0 / --disable_clat`);
  return {
    p50: number(percentile, "50.000000", where) / 1000,
    p99: number(percentile, "99.000000", where) / 1000,
    max: number(section, "max", where) / 1000,
  };
}

/**
 * fio `--output-format=json`. Bandwidth and IOPS are summed over `jobs`, so one parser serves
 * runs with `--group_reporting` (one aggregated job) and without (one entry per job).
 * Percentiles cannot be combined without fio's histograms, so across jobs each latency field
 * is the worst job's: the figure then bounds what every client saw.
 *
 * fio 3.33 reports fsync/fdatasync latency in the job's `sync` section as `lat_ns` (not
 * `clat_ns`) and prints that section, empty, for every job; `syncLat` is set only when it
 * counted syncs.
 *
 * Text before the first line starting with `{` is skipped: fio writes some error notices to
 * the same stream as the JSON (axboe/fio#731), and the job's `error` field then says more.
 */
export function parseFio(json: string): FioSummary {
  const start = json.search(/^\{/m);
  if (start === -1) throw new Error("fio output holds no JSON object; was it run with --output-format=json?");
  const root = parseObject(json.slice(start), "fio");
  const jobs = root["jobs"];
  if (!Array.isArray(jobs) || jobs.length === 0) throw new Error('fio output has no "jobs": did any job run?');

  const summary: FioSummary = { readMibs: 0, writeMibs: 0, readIops: 0, writeIops: 0 };
  jobs.forEach((job: unknown, index) => {
    if (!isObject(job)) throw new Error(`fio job #${index + 1} is not an object`);
    const where = `fio job #${index + 1} "${String(job["jobname"])}"`;
    const error = number(job, "error", where);
    if (error !== 0) {
      throw new Error(`${where} failed with error ${error} (an errno; fio's "fio: pid=…, err=${error}/…" line on stderr names the failing call)`);
    }
    const read = object(job, "read", where);
    const write = object(job, "write", where);
    summary.readMibs += number(read, "bw_bytes", `${where} read`) / MIB;
    summary.writeMibs += number(write, "bw_bytes", `${where} write`) / MIB;
    summary.readIops += number(read, "iops", `${where} read`);
    summary.writeIops += number(write, "iops", `${where} write`);
    const readLat = fioLatency(number(read, "total_ios", `${where} read`), object(read, "clat_ns", `${where} read`), `${where} read`);
    const writeLat = fioLatency(number(write, "total_ios", `${where} write`), object(write, "clat_ns", `${where} write`), `${where} write`);
    summary.readLat = worst(summary.readLat, readLat);
    summary.writeLat = worst(summary.writeLat, writeLat);
    const sync = job["sync"];
    if (isObject(sync)) {
      const syncLat = fioLatency(number(sync, "total_ios", `${where} sync`), object(sync, "lat_ns", `${where} sync`), `${where} sync`);
      summary.syncLat = worst(summary.syncLat, syncLat);
    }
  });
  return summary;
}

/**
 * iperf3 client `-J` output: the receiver's throughput over the whole run
 * (`end.sum_received`), which is what actually crossed the link, and the sender's TCP
 * retransmits when the OS reports them. iperf3 3.12 exits 0 even when it could not connect,
 * putting the reason in a top-level `error` field, so that field is checked, not the status.
 */
export function parseIperf3(json: string): { mibs: number; retransmits?: number } {
  const root = parseObject(json, "iperf3");
  const error = root["error"];
  if (error !== undefined) {
    const reason = typeof error === "string" ? error : JSON.stringify(error);
    throw new Error(`iperf3 failed: ${reason} (is \`iperf3 -s\` running on the peer and its port open?)`);
  }
  const end = object(root, "end", "iperf3");
  const received = object(end, "sum_received", "iperf3 end");
  const mibs = number(received, "bits_per_second", "iperf3 end.sum_received") / 8 / MIB;
  const sent = end["sum_sent"];
  const retransmits = isObject(sent) ? sent["retransmits"] : undefined;
  return { mibs, retransmits: typeof retransmits === "number" ? retransmits : undefined };
}

/**
 * Every reply's round-trip time from ping's normal output, in µs. ping prints at most three
 * decimals of a millisecond, so rounding to whole µs only removes float noise. Duplicate
 * replies (`(DUP!)`) are left out: they answer a probe already counted.
 */
export function parsePingRtts(text: string): number[] {
  const rtts: number[] = [];
  for (const line of text.split("\n")) {
    const match = /\btime=(\d+(?:\.\d+)?) ms\b/.exec(line);
    if (match?.[1] !== undefined && !line.includes("(DUP!)")) rtts.push(Math.round(Number(match[1]) * 1000));
  }
  return rtts;
}

/**
 * Nearest-rank percentiles (the p-th percentile is the smallest sample with at least p % of
 * the samples at or below it): always a value that was measured, never an interpolation.
 */
export function percentiles(samplesUs: number[]): Latency {
  if (samplesUs.length === 0) throw new Error("cannot take percentiles of an empty sample");
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1] as number };
}

/**
 * ctdb's ping_pong: it rewrites one line once a second (`%8u locks/sec` ended by `\r`, no
 * newline) and prints `data increment = N\n` whenever the increment it observes changes
 * (with -rw: 1 alone, then 2 once a second node joins). The last of each is the settled value;
 * the first rate includes start-up. A fragment cut off when the run was stopped is ignored.
 */
export function parsePingPong(text: string): PingPongSummary {
  let locksPerSec: number | undefined;
  let dataIncrement: number | undefined;
  for (const segment of text.split(/[\r\n]/)) {
    const rate = /^\s*(\d+) locks\/sec\s*$/.exec(segment);
    if (rate?.[1] !== undefined) locksPerSec = Number(rate[1]);
    const increment = /^\s*data increment = (\d+)\s*$/.exec(segment);
    if (increment?.[1] !== undefined) dataIncrement = Number(increment[1]);
  }
  if (locksPerSec === undefined) {
    const shown = text.trim().slice(-200);
    throw new Error(`ping_pong printed no rate (it reports once a second: run it for at least 2 s)${shown ? `; it printed: ${shown}` : ""}`);
  }
  return { locksPerSec, dataIncrement };
}
