import { XMLParser } from "fast-xml-parser";

/** What `crm_mon -1 --output-as=xml` says, reduced to what readiness checks need. */
export interface ClusterState {
  quorate: boolean;
  dc: boolean;
  online: string[];
  /** Resource or clone id → node → role (Started, Promoted, Unpromoted, Stopped…). */
  roles: Map<string, Map<string, string>>;
  /** Failed actions: `resource op on node: reason`. */
  failures: string[];
  /**
   * Ids of the fence devices (primitives of class stonith), listed even when stopped: a
   * stopped resource names no node, so `roles` alone cannot tell that it exists.
   */
  fenceDevices: string[];
}

interface MonNode {
  name: string;
  online?: string;
}
interface MonResource {
  id: string;
  resource_agent?: string;
  role?: string;
  node?: MonNode[];
}
interface MonGroup {
  id: string;
  resource?: MonResource[];
}
interface MonClone {
  id: string;
  resource?: MonResource[];
  group?: MonGroup[];
}
interface MonFailure {
  op_key?: string;
  node?: string;
  exitreason?: string;
  status?: string;
}
interface MonDoc {
  "pacemaker-result"?: {
    summary?: { current_dc?: { present?: string; with_quorum?: string } };
    nodes?: { node?: MonNode[] };
    resources?: { resource?: MonResource[]; clone?: MonClone[]; group?: MonGroup[] };
    failures?: { failure?: MonFailure[] };
  };
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["node", "resource", "clone", "group", "failure"].includes(name) });

export function parseCrmMon(xml: string): ClusterState {
  const doc = (parser.parse(xml) as MonDoc)["pacemaker-result"] ?? {};
  const dc = doc.summary?.current_dc;
  const roles = new Map<string, Map<string, string>>();
  const record = (owner: string, node: string, role: string) => {
    const map = roles.get(owner) ?? new Map<string, string>();
    map.set(node, role);
    roles.set(owner, map);
  };
  const primitive = (owner: string, r: MonResource) => {
    for (const n of r.node ?? []) record(owner, n.name, r.role ?? "Stopped");
  };
  // A group runs on a node only when every member runs there: a stopped member lists no
  // node at all, and a member still starting says so in its role.
  const group = (owner: string, g: MonGroup) => {
    const members = g.resource ?? [];
    const nodes = new Set(members.flatMap((r) => (r.node ?? []).map((n) => n.name)));
    for (const node of nodes) {
      const on = members.map((r) => ((r.node ?? []).some((n) => n.name === node) ? (r.role ?? "Stopped") : "Stopped"));
      record(owner, node, on.find((role) => role !== "Started") ?? "Started");
    }
  };
  for (const r of doc.resources?.resource ?? []) primitive(r.id, r);
  for (const g of doc.resources?.group ?? []) group(g.id, g);
  for (const c of doc.resources?.clone ?? []) {
    for (const r of c.resource ?? []) primitive(c.id, r);
    for (const g of c.group ?? []) group(c.id, g);
  }
  return {
    quorate: dc?.with_quorum === "true",
    dc: dc?.present === "true",
    online: (doc.nodes?.node ?? []).filter((n) => n.online === "true").map((n) => n.name),
    roles,
    failures: (doc.failures?.failure ?? []).map((f) => `${f.op_key ?? "?"} on ${f.node ?? "?"}: ${f.exitreason || f.status || "failed"}`),
    fenceDevices: (doc.resources?.resource ?? []).filter((r) => r.resource_agent?.startsWith("stonith:")).map((r) => r.id),
  };
}

/** The role names Pacemaker 2.0 and 2.1+ use for the same states. */
export function isRole(actual: string | undefined, wanted: "Started" | "Promoted"): boolean {
  if (wanted === "Promoted") return actual === "Promoted" || actual === "Master";
  return actual === "Started" || actual === "Promoted" || actual === "Master" || actual === "Unpromoted" || actual === "Slave";
}
