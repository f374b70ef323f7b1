// The install step's last resort (scripts/debian-libtorch.mjs): with no libtorch found it installs
// Debian's packages with apt-get, as root on Debian only, saying what it runs before running it;
// NEURAL_IVP_NO_APT=1 stops it with the three ways to provide libtorch. The machine is stood in for:
// no libtorch is found, and apt-get is a recorder, so nothing is installed or removed here.
import { describe, expect, it } from 'vitest';
import { aptOptOut, ensureLibtorch } from '../scripts/debian-libtorch.mjs';
import { HOW_TO_GET_LIBTORCH } from '../scripts/find-libtorch.mjs';

type Event = { log: string } | { run: string };

/** A machine where libtorch appears only once apt-get install has run. */
function machine(env: Record<string, string>, { isDebian = true, isRoot = true } = {}) {
  const events: Event[] = [];
  let installed = false;
  const options = {
    env,
    isDebian,
    isRoot,
    find: () => (installed ? { prefix: null, source: 'the system (stand-in)' } : null),
    run: (command: string, args: string[]) => {
      events.push({ run: [command, ...args].join(' ') });
      if (args[0] === 'install') installed = true;
    },
    log: (line: string) => events.push({ log: line }),
  };
  return { events, options };
}

describe('installing Debian libtorch when none is found', () => {
  it('says exactly what it runs before running apt-get update and install', () => {
    const { events, options } = machine({});
    expect(ensureLibtorch(options)).toEqual({ prefix: null, source: 'the system (stand-in)' });
    expect(events).toHaveLength(3);
    const [announce, update, install] = events;
    expect(update).toEqual({ run: 'apt-get update -qq' });
    expect(install).toEqual({ run: 'apt-get install -y -qq libtorch-dev libopenblas0-pthread libgloo-dev' });
    expect('log' in announce && announce.log).toContain('NEURAL_IVP_NO_APT=1');
    for (const command of [update, install])
      expect('log' in announce && announce.log).toContain(
        `DEBIAN_FRONTEND=noninteractive ${'run' in command ? command.run : ''}`,
      );
  });

  it('with NEURAL_IVP_NO_APT=1 runs nothing and stops with the three ways to provide libtorch', () => {
    const { events, options } = machine({ NEURAL_IVP_NO_APT: '1' });
    expect(() => ensureLibtorch(options)).toThrow(HOW_TO_GET_LIBTORCH);
    expect(events).toEqual([
      { log: expect.stringMatching(/NEURAL_IVP_NO_APT is set, so not installing libtorch-dev/) },
    ]);
    for (const way of ['LIBTORCH', 'pip install torch', 'apt-get install']) expect(HOW_TO_GET_LIBTORCH).toContain(way);
  });

  it('runs nothing when not root or not on Debian', () => {
    for (const where of [{ isRoot: false }, { isDebian: false }]) {
      const { events, options } = machine({}, where);
      expect(() => ensureLibtorch(options)).toThrow(HOW_TO_GET_LIBTORCH);
      expect(events).toEqual([]);
    }
  });

  it('reads the opt-out as set unless empty or 0', () => {
    expect(
      [undefined, '', '0', '1', 'yes'].map((v) => aptOptOut(v === undefined ? {} : { NEURAL_IVP_NO_APT: v })),
    ).toEqual([false, false, false, true, true]);
  });
});
