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
}

interface MonNode {
  name: string;
  online?: string;
}
interface MonResource {
  id: string;
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
  const add = (owner: string, r: MonResource) => {
    const map = roles.get(owner) ?? new Map<string, string>();
    // A group's members share the group's fate; the weakest member's role is the group's.
    for (const n of r.node ?? []) if (!map.has(n.name) || r.role !== "Started") map.set(n.name, r.role ?? "Stopped");
    roles.set(owner, map);
  };
  for (const r of doc.resources?.resource ?? []) add(r.id, r);
  for (const g of doc.resources?.group ?? []) for (const r of g.resource ?? []) add(g.id, r);
  for (const c of doc.resources?.clone ?? []) {
    for (const r of c.resource ?? []) add(c.id, r);
    for (const g of c.group ?? []) for (const r of g.resource ?? []) add(c.id, r);
  }
  return {
    quorate: dc?.with_quorum === "true",
    dc: dc?.present === "true",
    online: (doc.nodes?.node ?? []).filter((n) => n.online === "true").map((n) => n.name),
    roles,
    failures: (doc.failures?.failure ?? []).map((f) => `${f.op_key ?? "?"} on ${f.node ?? "?"}: ${f.exitreason || f.status || "failed"}`),
  };
}

/** The role names Pacemaker 2.0 and 2.1+ use for the same states. */
export function isRole(actual: string | undefined, wanted: "Started" | "Promoted"): boolean {
  if (wanted === "Promoted") return actual === "Promoted" || actual === "Master";
  return actual === "Started" || actual === "Promoted" || actual === "Master" || actual === "Unpromoted" || actual === "Slave";
}
