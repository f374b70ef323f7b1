// The public option interfaces (ts/solver/options.ts) state each option's default in their TSDoc,
// for the reader of the API reference; this holds every such statement to the option tables.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../ts/native';
import {
  FIT,
  IMPORTANCE,
  INTEGRATOR,
  LINEAR,
  NETWORK,
  type OptionTable,
  SAMPLES,
  TOP,
} from '../ts/solver/option-table';

/** Which table each public interface documents. */
const TABLE_OF: Readonly<Record<string, OptionTable>> = {
  NetworkOptions: NETWORK,
  PcgOptions: LINEAR,
  IntegratorOptions: INTEGRATOR,
  FitOptions: FIT,
  ImportanceOptions: IMPORTANCE,
  SampleOptions: SAMPLES,
  NeuralIVPOptions: TOP,
};

/** A default as the prose writes it: 2 000, 1e-8, 'swish', true, null. */
function parseValue(text: string): unknown {
  const t = text.trim();
  if (/^'[^']*'$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  const n = Number(t.replace(/[\s\u2009\u202f]/g, ''));
  return Number.isNaN(n) ? t : n;
}

/** `(default X; 'paper': Y)` in a member's TSDoc: the first default stated, and the paper preset's if given. */
function statedDefaults(doc: string): { default?: unknown; paper?: unknown } {
  const stated: { default?: unknown; paper?: unknown } = {};
  const d = /\(default ((?:'[^']*'|[-+\w. \u2009\u202f]+?))(?=[;:,)]| or )/.exec(doc);
  if (d !== null) stated.default = parseValue(d[1]);
  const p = /'paper': ((?:'[^']*'|[-+\w. \u2009\u202f]+?))(?=[;:,)])/.exec(doc);
  if (p !== null) stated.paper = parseValue(p[1]);
  return stated;
}

/** Each documented member of the interfaces in TABLE_OF: its name and TSDoc text. */
function documentedMembers(): { iface: string; name: string; doc: string }[] {
  const file = path.join(packageRoot, 'ts/solver/options.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const members: { iface: string; name: string; doc: string }[] = [];
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || TABLE_OF[node.name.text] === undefined) return;
    for (const m of node.members) {
      if (!ts.isPropertySignature(m) || !ts.isIdentifier(m.name)) continue;
      const doc = ts
        .getJSDocCommentsAndTags(m)
        .map((c) => (typeof c.comment === 'string' ? c.comment : ''))
        .join(' ')
        .replace(/\s+/g, ' ');
      members.push({ iface: node.name.text, name: m.name.text, doc });
    }
  });
  return members;
}

describe("the options' TSDoc", () => {
  const members = documentedMembers();

  it('finds the interfaces and their members', () => {
    expect(new Set(members.map((m) => m.iface))).toEqual(new Set(Object.keys(TABLE_OF)));
    expect(members.length).toBeGreaterThan(40);
  });

  it("states each default as the table has it, the paper preset's where it differs", () => {
    const wrong: string[] = [];
    for (const { iface, name, doc } of members) {
      const spec = TABLE_OF[iface][name];
      if (spec === undefined) continue;
      const stated = statedDefaults(doc);
      const { default: d, paper } = spec.defaults;
      // A default given as a value (not per problem, not an object) is stated as such.
      const plain = (v: unknown) => v === null || typeof v !== 'object';
      if ('default' in stated && plain(d) && stated.default !== d) {
        wrong.push(`${iface}.${name}: says default ${String(stated.default)}, the table ${String(d)}`);
      }
      if (plain(paper) && paper !== d && 'default' in stated && stated.paper !== paper) {
        wrong.push(`${iface}.${name}: says 'paper': ${String(stated.paper)}, the table ${String(paper)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
