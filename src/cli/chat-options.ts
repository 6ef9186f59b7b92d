// `wgh chat` flags: one flag per chat setting (from the settings registry, so every sampling and
// chat parameter can be given on the command line), plus the command's own options. Only flags
// actually typed count (commander's value source 'cli'), so a config file's values are not
// overridden by defaults.

import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { parseSettingText, SETTING_SPECS, type SettingKey, type SettingsPatch } from '../chat/settings.js';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Boolean settings get hand-named flags; every other setting gets --kebab-key <value>. */
const BOOLEAN_FLAGS: readonly { readonly flag: string; readonly key: SettingKey; readonly value: boolean; readonly help: string }[] = [
  { flag: '--no-artifacts', key: 'artifacts', value: false, help: 'write no run artifacts' },
  { flag: '--no-resume-on-length', key: 'resumeOnLength', value: false, help: 'restart instead of continuing a reply cut by --max-tokens' },
  { flag: '--hide-reasoning', key: 'showReasoning', value: false, help: 'collapse the reasoning (\\reasoning on shows it)' },
];

/** Commander's attribute name of a flag. */
const attribute = (flag: string) => flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function addSettingFlags(cmd: Command): Command {
  for (const spec of SETTING_SPECS) {
    if (spec.kind === 'bool') continue;
    const placeholder = spec.kind === 'enum' ? (spec.values ?? []).join('|') : spec.kind === 'string' ? 'text' : 'n';
    cmd.option(`--${kebab(spec.key)} <${placeholder}>`, spec.help);
  }
  for (const flag of BOOLEAN_FLAGS) cmd.option(flag.flag, flag.help);
  return cmd;
}

/** The settings given as flags, validated (ConfigError naming the flag). */
export function settingsFromFlags(cmd: Command): SettingsPatch {
  const values = cmd.opts<Record<string, unknown>>();
  const patch: Record<string, unknown> = {};
  for (const spec of SETTING_SPECS) {
    if (spec.kind === 'bool' || cmd.getOptionValueSource(spec.key) !== 'cli') continue;
    const raw = values[spec.key];
    if (typeof raw !== 'string') continue;
    patch[spec.key] = parseSettingText(spec, raw, `--${kebab(spec.key)}`);
  }
  for (const flag of BOOLEAN_FLAGS) {
    if (cmd.getOptionValueSource(attribute(flag.flag)) === 'cli') patch[flag.key] = flag.value;
  }
  return patch as SettingsPatch;
}

export function checkExclusive(flags: Readonly<Record<string, unknown>>, names: readonly string[]): void {
  const given = names.filter((name) => flags[name] !== undefined);
  if (given.length > 1) throw new ConfigError(`chat: ${given.map((g) => `--${kebab(g)}`).join(' and ')} cannot be used together`);
}
