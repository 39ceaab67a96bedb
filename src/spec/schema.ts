/**
 * JSON Schema of the spec's shape. Semantic rules that span fields live in rules.ts.
 * Defaults that depend on other fields (journals, DRBD ports, locking flavour) are set in
 * defaults.ts after validation; the plain ones are here so ajv fills them in.
 */

const name = { type: "string", minLength: 1 } as const;
const secretRef = {
  type: "object",
  additionalProperties: false,
  properties: { env: { type: "string", minLength: 1 }, file: { type: "string", minLength: 1 } },
} as const;
const duration = { type: "string", pattern: "^[0-9]+(ms|s|min|m|h)?$" } as const;

export const specSchema = {
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "cluster", "nodes", "secrets"],
  properties: {
    apiVersion: { const: "gfsdeploy/v1" },
    cluster: {
      type: "object",
      additionalProperties: false,
      required: ["name", "distro"],
      properties: {
        name,
        distro: { enum: ["debian13", "debian12", "ubuntu2404", "el9", "el8", "el7", "auto"] },
        repos: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9_.:-]+$" } },
        elrepo: { type: "boolean" },
      },
    },
    ssh: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        user: { ...name, default: "root" },
        port: { type: "integer", minimum: 1, maximum: 65535, default: 22 },
        identityFile: name,
        knownHosts: { ...name, default: "~/.ssh/known_hosts" },
      },
    },
    nodes: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "host", "ring0"],
        properties: {
          name,
          host: name,
          ring0: name,
          ring1: name,
          ssh: {
            type: "object",
            additionalProperties: false,
            properties: {
              port: { type: "integer", minimum: 1, maximum: 65535 },
              user: name,
            },
          },
        },
      },
    },
    secrets: {
      type: "object",
      additionalProperties: false,
      required: ["haclusterPassword", "authkey"],
      properties: {
        haclusterPassword: secretRef,
        authkey: {
          type: "object",
          additionalProperties: false,
          required: ["file"],
          properties: { file: name },
        },
      },
    },
    corosync: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        transport: { enum: ["knet", "udpu"] },
        crypto: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            cipher: { enum: ["none", "aes256", "aes192", "aes128"], default: "aes256" },
            hash: { enum: ["none", "md5", "sha1", "sha256", "sha384", "sha512"], default: "sha256" },
          },
        },
        token: { type: "integer", minimum: 500, maximum: 600000, default: 3000 },
        twoNode: { type: "boolean" },
      },
    },
    stonith: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: "boolean", default: true },
        acknowledgeDataLossRisk: { type: "boolean" },
        timeout: duration,
        survivor: name,
        raceDelay: { ...duration, default: "15s" },
        sbd: {
          type: "object",
          additionalProperties: false,
          required: ["devices"],
          properties: {
            devices: { type: "array", minItems: 1, maxItems: 3, items: name },
            watchdog: { ...name, default: "/dev/watchdog" },
            watchdogTimeout: { type: "integer", minimum: 1, maximum: 600, default: 5 },
            msgwaitTimeout: { type: "integer", minimum: 2, maximum: 1200 },
          },
        },
        devices: {
          type: "array",
          default: [],
          items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "agent"],
            properties: {
              name,
              agent: name,
              target: name,
              targets: { type: "array", minItems: 1, items: name },
              options: {
                type: "object",
                default: {},
                additionalProperties: {
                  anyOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }, secretRef],
                },
              },
              avoidTarget: { type: "boolean" },
              allowedNodes: { type: "array", minItems: 1, items: name },
              timeouts: {
                type: "object",
                additionalProperties: false,
                properties: { monitor: duration, start: duration },
              },
            },
          },
        },
      },
    },
    drbd: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        // YAML reads an unquoted 9 or 8.4 as a number; both spellings mean the same.
        version: { enum: ["auto", "8.4", "9", 8.4, 9], default: "auto" },
        protocol: { enum: ["A", "B", "C"], default: "C" },
        afterSb: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            zeroPrimaries: { type: "string", default: "discard-zero-changes" },
            onePrimary: { type: "string", default: "discard-secondary" },
            twoPrimaries: { type: "string", default: "disconnect" },
          },
        },
        initialSync: { enum: ["full", "skip"], default: "full" },
        resyncRate: { type: "string", pattern: "^[0-9]+[KMG]?$" },
        resources: {
          type: "array",
          default: [],
          items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "minor"],
            properties: {
              name: { type: "string", pattern: "^[A-Za-z0-9_.-]+$" },
              port: { type: "integer", minimum: 1, maximum: 65535 },
              minor: { type: "integer", minimum: 0, maximum: 1048575 },
              disk: name,
              disks: { type: "object", additionalProperties: name },
            },
          },
        },
      },
    },
    lvm: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        locking: { enum: ["lvmlockd", "clvmd", "none"] },
        volumeGroups: {
          type: "array",
          default: [],
          items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "pvs", "logicalVolumes"],
            properties: {
              name: { type: "string", pattern: "^[A-Za-z0-9_+.-]+$" },
              pvs: { type: "array", minItems: 1, items: name },
              logicalVolumes: {
                type: "array",
                minItems: 1,
                items: {
                  type: "object",
                  additionalProperties: false,
                  required: ["name", "size"],
                  properties: {
                    name: { type: "string", pattern: "^[A-Za-z0-9_+.-]+$" },
                    size: { type: "string", pattern: "^([0-9]+%(FREE|VG|PVS)|[0-9]+(\\.[0-9]+)?[KMGTP])$" },
                  },
                },
              },
            },
          },
        },
      },
    },
    filesystems: {
      type: "array",
      default: [],
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "device", "mountpoint"],
        properties: {
          name,
          device: name,
          mountpoint: name,
          journals: { type: "integer", minimum: 1, maximum: 128 },
          journalSize: { type: "string", pattern: "^[0-9]+M$", default: "64M" },
          options: { type: "array", items: { type: "string", pattern: "^[^,\\s]+$" }, default: ["noatime"] },
        },
      },
    },
    bench: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: { enabled: { type: "boolean", default: false } },
    },
  },
} as const;
