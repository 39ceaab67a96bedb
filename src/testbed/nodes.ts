/**
 * The two test-bed VMs. Every address here is on loopback or inside the guests' private
 * wire: the host side of both NICs binds 127.0.0.1 only, so nothing outside the host can
 * reach a guest and no guest can reach outside.
 */

import { UsageError } from "../errors.js";

export type NodeName = "node1" | "node2";

export interface TestbedNode {
  name: NodeName;
  /** Host port forwarded to the guest's sshd (127.0.0.1 only). */
  sshPort: number;
  /** Host UDP port this VM's wire NIC listens on; the peer sends here. */
  wirePort: number;
  mgmtMac: string;
  wireMac: string;
  /** The guest's address on the private wire (the cluster network). */
  wireAddress: string;
}

export const LOOPBACK = "127.0.0.1";

export const NODES: readonly [TestbedNode, TestbedNode] = [
  {
    name: "node1",
    sshPort: 2201,
    wirePort: 10001,
    mgmtMac: "52:54:00:aa:00:01",
    wireMac: "52:54:00:bb:00:01",
    wireAddress: "10.0.0.1",
  },
  {
    name: "node2",
    sshPort: 2202,
    wirePort: 10002,
    mgmtMac: "52:54:00:aa:00:02",
    wireMac: "52:54:00:bb:00:02",
    wireAddress: "10.0.0.2",
  },
];

export const WIRE_PREFIX_LENGTH = 24;

export function testbedNode(name: NodeName): TestbedNode {
  return name === "node1" ? NODES[0] : NODES[1];
}

/** The other VM: the peer on the wire. */
export function peerOf(name: NodeName): TestbedNode {
  return name === "node1" ? NODES[1] : NODES[0];
}

/** Accepts `node1`, `node2`, or the bare index `1`, `2`, as typed on the command line. */
export function parseNodeName(text: string): NodeName {
  if (text === "node1" || text === "1") return "node1";
  if (text === "node2" || text === "2") return "node2";
  throw new UsageError(`unknown test-bed node "${text}"`, "the test bed has two VMs: node1 and node2");
}
