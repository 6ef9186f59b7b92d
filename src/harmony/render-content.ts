// The text of system and developer content (openai/harmony `Render<SystemContent>`,
// `Render<DeveloperContent>`, `template_tools_section`). Sections are joined with a blank line.
//
// System:  "{identity}\nKnowledge cutoff: {kc}\nCurrent date: {date}"   (each line only if set)
//          "Reasoning: {effort}"
//          tools section (builtin namespaces)
//          "# Valid channels: a, b, c." [+ " Channel must be included for every message."]
//                                       [+ "\nCalls to these tools must go to the commentary channel: 'functions'."]
// Developer: "# Instructions" "{instructions}" tools section
//
// Tools section: "# Tools", then per namespace (sorted by name; a later namespace of the same name
// replaces an earlier one, like harmony's BTreeMap):
//   ## {ns}\n            description lines ("// " prefixed when the namespace has tools, verbatim if not)
//   namespace {ns} {\n    then per tool its description lines as "// …" and
//   type {tool} = (_: {TS}) => any;\n   (or `() => any;` without parameters)
//   } // namespace {ns}

import { jsonSchemaToTypeScript } from './schema-to-typescript.js';
import type { DeveloperContent, SystemContent, ToolNamespace } from './types.js';

/** Rust's `str::lines()`: split on \n, drop a trailing \r per line, no final empty line. */
function lines(text: string): string[] {
  if (text.length === 0) return [];
  const parts = text.split('\n');
  const last = parts.pop() as string; // text after the final \n ('' when text ends with \n)
  const out = parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (last.length > 0) out.push(last);
  return out;
}

/** Namespaces sorted by name, the last one of each name winning. */
function uniqueSorted(namespaces: readonly ToolNamespace[]): ToolNamespace[] {
  const byName = new Map<string, ToolNamespace>();
  for (const namespace of namespaces) byName.set(namespace.name, namespace);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function renderToolsSection(namespaces: readonly ToolNamespace[]): string {
  const sections = ['# Tools'];
  for (const namespace of uniqueSorted(namespaces)) {
    const hasTools = namespace.tools.length > 0;
    const out = [`## ${namespace.name}\n`];
    for (const line of lines(namespace.description ?? '')) out.push(hasTools ? `// ${line}` : line);
    if (hasTools) {
      out.push(`namespace ${namespace.name} {\n`);
      for (const tool of namespace.tools) {
        for (const line of lines(tool.description)) out.push(`// ${line}`);
        out.push(
          tool.parameters === undefined
            ? `type ${tool.name} = () => any;\n`
            : `type ${tool.name} = (_: ${jsonSchemaToTypeScript(tool.parameters, '')}) => any;\n`,
        );
      }
      out.push(`} // namespace ${namespace.name}`);
    }
    sections.push(out.join('\n'));
  }
  return sections.join('\n\n');
}

export interface SystemRenderContext {
  /** Any developer message of the conversation has a non-empty `functions` namespace. */
  readonly hasFunctionTools: boolean;
}

export function renderSystemContent(content: SystemContent, context: SystemRenderContext): string {
  const sections: string[] = [];
  const top: string[] = [];
  if (content.modelIdentity !== undefined) top.push(content.modelIdentity);
  if (content.knowledgeCutoff !== undefined) top.push(`Knowledge cutoff: ${content.knowledgeCutoff}`);
  if (content.conversationStartDate !== undefined) top.push(`Current date: ${content.conversationStartDate}`);
  if (top.length > 0) sections.push(top.join('\n'));
  if (content.reasoningEffort !== undefined) sections.push(`Reasoning: ${content.reasoningEffort}`);
  if (content.tools !== undefined && content.tools.length > 0) sections.push(renderToolsSection(content.tools));
  const channels = content.channelConfig;
  if (channels !== undefined && channels.validChannels.length > 0) {
    let line = `# Valid channels: ${channels.validChannels.join(', ')}.`;
    if (channels.channelRequired) line += ' Channel must be included for every message.';
    if (context.hasFunctionTools) line += "\nCalls to these tools must go to the commentary channel: 'functions'.";
    sections.push(line);
  }
  return sections.join('\n\n');
}

export function renderDeveloperContent(content: DeveloperContent): string {
  const sections: string[] = [];
  if (content.instructions !== undefined) sections.push('# Instructions', content.instructions);
  if (content.tools !== undefined && content.tools.length > 0) sections.push(renderToolsSection(content.tools));
  return sections.join('\n\n');
}

/** True when the developer content declares at least one function in the `functions` namespace. */
export function hasFunctionTools(content: DeveloperContent): boolean {
  const namespaces = uniqueSorted(content.tools ?? []);
  return namespaces.some((namespace) => namespace.name === 'functions' && namespace.tools.length > 0);
}
