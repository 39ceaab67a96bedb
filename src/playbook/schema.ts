/** JSON Schema of a playbook's shape. Rules that span phases live in parse.ts. */

const phaseName = { type: "string", pattern: "^[a-z][a-z0-9-]*$" } as const;
const oneLine = { type: "string", minLength: 1, pattern: "^[^\\n]+$" } as const;

export const playbookSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "description", "workflow", "phases"],
  properties: {
    name: phaseName,
    description: oneLine,
    workflow: { enum: ["apply", "destroy", "fence-test"] },
    phases: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "description"],
        properties: {
          name: phaseName,
          description: oneLine,
          checkOnly: { type: "boolean" },
        },
      },
    },
  },
} as const;
