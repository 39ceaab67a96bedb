import { describe, expect, it } from "vitest";

import { drbdsetupSyncPercent, isDrbd8, procDrbdSyncPercent } from "../../../src/health/sync.js";

/** DRBD 8.4's /proc/drbd with minor 1 resyncing as source, in the layout drbd_proc.c prints. */
const PROC_84 = `version: 8.4.11 (api:1/proto:86-101)
srcversion: 2E5B9D8C3F6A1B7E4D0C9A1
 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----
    ns:1048576 nr:0 dw:1048576 dr:2101 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
 1: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----
    ns:3071368 nr:0 dw:0 dr:3075736 al:0 bm:187 lo:0 pe:13 ua:4 ap:0 ep:1 wo:f oos:12685660
	[==>.................] sync'ed: 19.5% (12388/15372)M
	finish: 0:11:00 speed: 19,188 (24,468) K/sec
`;

/** DRBD 9's `drbdsetup status r0 --verbose --statistics` on a resync target. */
const SETUP_9_SYNCING = `r0 node-id:1 role:Primary suspended:no force-io-failures:no
    write-ordering:flush
  volume:0 minor:0 disk:Inconsistent backing_dev:/dev/vg0/r0 quorum:yes
      size:10485404 read:0 written:2031616 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no
  node1 node-id:0 connection:Connected role:Primary congested:no ap-in-flight:0 rs-in-flight:4096
    volume:0 replication:SyncTarget peer-disk:UpToDate done:19.40 resync-suspended:no
        received:2031616 sent:0 out-of-sync:8453788 pending:0 unacked:0 dbdt1:24.80 eta:341
`;

describe("DRBD resync progress", () => {
  it("tells a DRBD 8 /proc/drbd from DRBD 9's, which lists no devices", () => {
    expect(isDrbd8(PROC_84)).toBe(true);
    expect(isDrbd8("version: 9.2.9 (api:2/proto:86-122)\nGIT-hash: 3ec2a9f build by root@node1\nTransports (api:20): tcp (9.2.9)\n")).toBe(false);
  });

  it("reads sync'ed of the asked minor only", () => {
    expect(procDrbdSyncPercent(PROC_84, 1)).toBe(19.5);
    // Minor 0 is Connected: the next device's progress line must not be taken for it.
    expect(procDrbdSyncPercent(PROC_84, 0)).toBeUndefined();
    expect(procDrbdSyncPercent(PROC_84, 2)).toBeUndefined();
  });

  it("reads the kernel's padded percentage", () => {
    expect(procDrbdSyncPercent(PROC_84.replace("sync'ed: 19.5%", "sync'ed:  5.2%"), 1)).toBe(5.2);
  });

  it("reads done: from drbdsetup status, the least advanced peer when there are several", () => {
    expect(drbdsetupSyncPercent(SETUP_9_SYNCING)).toBe(19.4);
    const twoPeers = `${SETUP_9_SYNCING}  node3 node-id:2 connection:Connected role:Secondary\n    volume:0 replication:SyncTarget peer-disk:UpToDate done:7.25 resync-suspended:no\n`;
    expect(drbdsetupSyncPercent(twoPeers)).toBe(7.25);
    expect(drbdsetupSyncPercent(SETUP_9_SYNCING.replace(/replication:SyncTarget peer-disk:UpToDate done:19.40/, "replication:Established peer-disk:UpToDate"))).toBeUndefined();
  });
});
