// The install step's last resort when no libtorch is found: Debian's packages, through apt-get, as
// root on Debian only. A dependency that installs system packages is a surprise, so it says exactly
// what it is about to run before running it, and NEURAL_IVP_NO_APT=1 stops it (the install step then
// prints the three ways to provide libtorch: scripts/find-libtorch.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findLibtorch, HOW_TO_GET_LIBTORCH } from './find-libtorch.mjs';

// libgloo-dev: the headers of c10d's Gloo backend, for distributed runs (docs/distributed.md).
export const APT_PACKAGES = ['libtorch-dev', 'libopenblas0-pthread', 'libgloo-dev'];
export const APT_COMMANDS = [
  ['apt-get', 'update', '-qq'],
  ['apt-get', 'install', '-y', '-qq', ...APT_PACKAGES],
];

/** Whether the environment opts out of apt-get (NEURAL_IVP_NO_APT set, other than '' or '0'). */
export function aptOptOut(env = process.env) {
  const value = env.NEURAL_IVP_NO_APT;
  return value !== undefined && value !== '' && value !== '0';
}

/**
 * Installs Debian's libtorch when allowed; returns whether it ran apt-get. The parameters exist so
 * that tests can stand in for the machine: `run(command, args, options)` (execFileSync), `log`.
 */
export function installDebianLibtorch({
  env = process.env,
  isDebian = existsSync('/etc/debian_version'),
  isRoot = typeof process.getuid === 'function' && process.getuid() === 0,
  run = execFileSync,
  log = console.log,
} = {}) {
  if (!isDebian || !isRoot) return false;
  if (aptOptOut(env)) {
    log(`neural-ivp: libtorch not found; NEURAL_IVP_NO_APT is set, so not installing ${APT_PACKAGES.join(' ')}`);
    return false;
  }
  log(
    [
      'neural-ivp: libtorch not found; installing Debian packages as root now (NEURAL_IVP_NO_APT=1 skips this):',
      ...APT_COMMANDS.map((command) => `  DEBIAN_FRONTEND=noninteractive ${command.join(' ')}`),
    ].join('\n'),
  );
  const options = { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
  for (const [command, ...args] of APT_COMMANDS) run(command, args, options);
  return true;
}

/**
 * The libtorch to build against (scripts/find-libtorch.mjs), installing Debian's when none is found
 * and that is allowed; throws an Error listing the three ways to provide libtorch when there is
 * still none. `find` and the options of installDebianLibtorch stand in for the machine in tests.
 */
export function ensureLibtorch({ find = findLibtorch, ...machine } = {}) {
  const found = find();
  if (found) return found;
  const again = installDebianLibtorch(machine) ? find() : null;
  if (again) return again;
  throw new Error(HOW_TO_GET_LIBTORCH);
}
