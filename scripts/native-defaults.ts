// Writes native/common/option_defaults.h from the option tables (ts/solver/native-defaults.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_DEFAULTS_HEADER, nativeDefaultsHeader } from '../ts/solver/native-defaults';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
writeFileSync(path.join(root, NATIVE_DEFAULTS_HEADER), nativeDefaultsHeader());
console.log(`wrote ${NATIVE_DEFAULTS_HEADER}`);
