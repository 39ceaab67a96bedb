import type { ConcreteSpec } from "../spec/types.js";
import type { StepParams } from "./types.js";

/**
 * Repository ids of the HighAvailability and ResilientStorage add-ons where the spec names
 * none: the ids Rocky Linux, AlmaLinux and CentOS use (EL8 called the first `ha`, EL9
 * `highavailability`). EL7's CentOS base repository carries the cluster packages itself.
 */
const DEFAULT_REPOS = { el9: ["highavailability", "resilientstorage"], el8: ["ha", "resilientstorage"], el7: [] } as const;

/** ELRepo's release package per EL major release: it defines the repository kmod-drbd* come from. */
const ELREPO_RELEASE = {
  el9: "https://www.elrepo.org/elrepo-release-9.el9.elrepo.noarch.rpm",
  el8: "https://www.elrepo.org/elrepo-release-8.el8.elrepo.noarch.rpm",
  el7: "https://www.elrepo.org/elrepo-release-7.el7.elrepo.noarch.rpm",
} as const;

/** What an EL node needs enabled before its cluster packages install; undefined off EL. */
export function repos(spec: ConcreteSpec): StepParams["repos"] | undefined {
  const d = spec.cluster.distro;
  if (d !== "el9" && d !== "el8" && d !== "el7") return undefined;
  return {
    manager: d === "el7" ? "yum" : "dnf",
    releasePackages: spec.cluster.elrepo === false ? [] : [{ name: "elrepo-release", url: ELREPO_RELEASE[d] }],
    enable: spec.cluster.repos ?? [...DEFAULT_REPOS[d]],
  };
}
