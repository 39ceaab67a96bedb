/**
 * A playbook: the ordered phases of one workflow, kept as YAML in playbooks/ so an operator
 * can read (and review in a diff) what runs in what order. The compilers take it as data.
 */

/** Which compiler or runner a playbook drives. */
export type Workflow = "apply" | "destroy" | "fence-test";

export interface PlaybookPhase {
  /** Phase name, as steps carry it in their `phase`. */
  name: string;
  /** One line: what the phase does and why it comes where it does. */
  description: string;
  /**
   * apply only: the phase's steps are checked, never changed, and a step that is not ok
   * stops the run before anything changes. Default false.
   */
  checkOnly?: boolean;
}

export interface Playbook {
  name: string;
  description: string;
  workflow: Workflow;
  phases: PlaybookPhase[];
}
