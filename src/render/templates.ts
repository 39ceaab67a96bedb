import Handlebars from "handlebars";

/** Template sources by name (`corosync/corosync.conf`), loaded from templates/ at the edge. */
export type TemplateSources = Readonly<Record<string, string>>;

/**
 * Renders config files. Strict mode makes a missing variable an error instead of an empty
 * string, and nothing is HTML-escaped: these are config files, not web pages.
 */
export class TemplateSet {
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();
  private readonly hb = Handlebars.create();

  constructor(private readonly sources: TemplateSources) {}

  render(name: string, context: object): string {
    let template = this.compiled.get(name);
    if (!template) {
      const source = this.sources[name];
      if (source === undefined) throw new Error(`template '${name}' is missing from templates/`);
      template = this.hb.compile(source, { noEscape: true, strict: true, knownHelpersOnly: true, knownHelpers: { if: true, unless: true, each: true } });
      this.compiled.set(name, template);
    }
    return template(context);
  }
}
