/**
 * The C++ header that gives the native config structs their defaults: the default preset's value
 * of every option the native session receives, written from the option tables, so that a struct
 * built in C++ alone (the native tests, the bench) starts where a TypeScript session does.
 * `npm run native:defaults` writes it to native/common/option_defaults.h; a test fails when the
 * checked-in header differs from what the tables give.
 */
import { CPU_MEMORY_BUDGET } from './device-budget';
import { MAX_DEFAULT_OCTAVE } from './initial-shape';
import { type OptionTable, PAPER_ADAM_STEPS, SECTIONS } from './option-table';

/** Where the header lives, relative to the package root. */
export const NATIVE_DEFAULTS_HEADER = 'native/common/option_defaults.h';

/**
 * Options that reach native code through session-config.ts rather than under their own name
 * (`native: true`): the sample count and sequence, the fit's caps, the memory budget.
 */
const MAPPED: Readonly<Record<string, readonly string[]>> = {
  samples: ['count', 'heldOut', 'sequence'],
  fit: ['tol', 'maxSeconds', 'maxIterations', 'warmupSteps'],
  '': ['memoryBudget'],
};

/**
 * A default the tables resolve later, as native code sees it when nothing resolves it: null (no
 * limit) is 0; 'derivativeOrder' is the decay of a plan without derivatives, 'finestScale' the
 * octaves of a u0 of unknown shape, 'sampleSpacing' the embedding of such a u0, 'density' the
 * linear output; 'auto' memory is the CPU's budget.
 */
function nativeValue(path: string, value: unknown): number | boolean | string {
  if (value === null) return 0;
  if (path === 'network.decay' && value === 'derivativeOrder') return 1;
  if (path === 'network.frequencies' && value === 'finestScale') return MAX_DEFAULT_OCTAVE;
  if (path === 'network.embedding' && value === 'sampleSpacing') return true;
  if (path === 'network.output' && value === 'density') return 'linear';
  if (path === 'memoryBudget' && value === 'auto') return CPU_MEMORY_BUDGET;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  throw new Error(`no native form for the default of ${path}: ${String(value)}`);
}

function constant(name: string, value: number | boolean | string): string {
  if (typeof value === 'boolean') return `inline constexpr bool ${name} = ${value};`;
  if (typeof value === 'string') return `inline constexpr std::string_view ${name} = "${value}";`;
  if (Number.isInteger(value)) return `inline constexpr int64_t ${name} = ${value};`;
  return `inline constexpr double ${name} = ${value.toExponential()};`;
}

/** The namespace a section's constants go in: `linear`, `importance`, `top`. */
const namespaceOf = (section: string): string => (section === '' ? 'top' : (section.split('.').at(-1) ?? section));

/** The header's text. */
export function nativeDefaultsHeader(): string {
  const lines = [
    '// The default preset of every option the native session receives, written by',
    '// `npm run native:defaults` from ts/solver/option-table.ts: change the table, not this file.',
    "// Each option's meaning is its doc there (values only here, so that a doc's edit changes no",
    '// native source); adamSteps is the Adam steps of a fit whose method is adam.',
    '#pragma once',
    '#include <cstdint>',
    '#include <string_view>',
    '',
    'namespace nivp::defaults {',
  ];
  for (const [section, table] of Object.entries(SECTIONS) as [string, OptionTable][]) {
    const mapped = MAPPED[section] ?? [];
    const keys = Object.keys(table).filter((key) => table[key].native === true || mapped.includes(key));
    if (keys.length === 0) continue;
    lines.push('', `namespace ${namespaceOf(section)} {`);
    for (const key of keys) {
      const path = section === '' ? key : `${section}.${key}`;
      lines.push(constant(key, nativeValue(path, table[key].defaults.default)));
    }
    if (section === 'fit') lines.push(constant('adamSteps', PAPER_ADAM_STEPS));
    lines.push(`}  // namespace ${namespaceOf(section)}`);
  }
  lines.push('', '}  // namespace nivp::defaults', '');
  return lines.join('\n');
}
