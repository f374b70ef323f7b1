/**
 * What the options refuse about a problem's start, before any native work, each as a `SpecError`
 * naming the part of the problem at fault: a u0 or f(u0) that is not finite where points are drawn
 * (initial-shape.ts, initial-rhs.ts), a u0 or f(u0) that does not repeat across a periodic axis
 * (periodic-start.ts), and a u0 far from zero on a Dirichlet face (dirichlet-start.ts).
 */
import { SpecError } from '../errors';
import { everyAxis, someAxis } from '../problem/boundary';
import type { Problem } from '../problem/define';
import { DIRICHLET_REFUSED_SHARE, describeFaceValue, dirichletFaceValue } from './dirichlet-start';
import { nonFiniteRhs } from './initial-rhs';
import { nonFiniteInitial } from './initial-shape';
import { periodicMismatch, repeatsAcross } from './periodic-start';
import { sampledBox } from './session-config';

/** Every start check, in the order a problem's start is read: finite, then its boundary's. */
export function checkStart(problem: Problem, margin: number): void {
  checkFiniteStart(problem, margin);
  if (someAxis(problem.boundary, 'periodic')) checkPeriodicStart(problem);
  if (someAxis(problem.boundary, 'dirichlet')) checkDirichletStart(problem);
}

/** A value in a start check's message: four significant digits. */
const short = (v: number): number => Number(v.toPrecision(4));

/**
 * u0, and the right-hand side on it, must be finite wherever points are drawn: a NaN in u0 reaches
 * the fit as a NaN error, and a non-finite f(u0) where u0 is not zero fails the first step.
 */
function checkFiniteStart(problem: Problem, margin: number): void {
  const box = sampledBox(problem, margin);
  const where = margin > 0 ? `the sampled box (the domain grown by margin ${margin})` : 'the domain';
  const u0 = nonFiniteInitial(problem, box.lower, box.upper);
  if (u0 !== null) {
    throw new SpecError(
      `problem.initial.${u0.field}`,
      `u0 is ${u0.value} at x = (${u0.point.map(short).join(', ')}), in ${where}: the initial condition must be finite wherever points are drawn`,
    );
  }
  const f = nonFiniteRhs(problem, box.lower, box.upper);
  if (f === null) return;
  const values = problem.fields.map((name, k) => `${name} = ${short(f.u0[k])}`).join(', ');
  throw new SpecError(
    `problem.rhs.${f.field}`,
    `the right-hand side is ${f.value} at t = 0, x = (${f.point.map(short).join(', ')}), where u0 has ${values}, in ${where}: ` +
      'every step evaluates it on the network, which starts as u0, so the run would fail at its first step ' +
      '(a log or square root of a negative value? a coefficient undefined there?)',
  );
}

/**
 * u0, its slope across the faces and f(u0) must repeat with the box under a periodic boundary,
 * which the network is built to do (periodic-start.ts).
 */
function checkPeriodicStart(problem: Problem): void {
  const m = periodicMismatch(problem);
  if (m === null) return;
  const partner = m.point.map((v, i) => (i === m.axis ? problem.upper[i] : v));
  const where = `x = (${m.point.map(short).join(', ')}) and (${partner.map(short).join(', ')})`;
  const axis = `x[${m.axis}]`;
  const [a, b] = m.values.map(short);
  const lead = `boundary 'periodic' builds a network that repeats with the domain along ${
    everyAxis(problem.boundary, 'periodic') ? 'every axis' : `x[${m.axis}]`
  }`;
  if (m.what === 'rate') {
    throw new SpecError(
      `problem.rhs.${m.field}`,
      `${lead}, but the right-hand side on u0 does not repeat along ${axis}: ${a} and ${b} at ${where} ` +
        '(a coefficient of x that does not repeat with the domain?)',
    );
  }
  const what = m.what === 'value' ? 'u0' : `∂u0/∂${axis}`;
  // A u0 given by values is named by its function, with the field in the message.
  const byValues = problem.plan.initial === null;
  throw new SpecError(
    byValues ? 'problem.initialValues' : `problem.initial.${m.field}`,
    `${lead}, but ${what}${byValues ? ` (field ${m.field})` : ''} does not: ${a} and ${b} at ${where}; the domain must be a whole number of u0's periods along ${axis}`,
  );
}

/**
 * Refuses a u0 that is far from zero on a Dirichlet face (`DIRICHLET_REFUSED_SHARE`), naming the
 * field, the point and the ways to pose such a problem.
 */
function checkDirichletStart(problem: Problem): void {
  const f = dirichletFaceValue(problem);
  if (f === null || f.share < DIRICHLET_REFUSED_SHARE) return;
  const byValues = problem.plan.initial === null;
  // A u0 that repeats across the faces was most likely meant to: say so first.
  const periodic = repeatsAcross(problem, f.axis)
    ? `u0 repeats across the faces of x[${f.axis}]: for a solution that repeats with the domain, boundary 'periodic' along it. `
    : '';
  throw new SpecError(
    byValues ? 'problem.initialValues' : `problem.initial.${f.field}`,
    `boundary 'dirichlet' makes every field zero on the faces of x[${f.axis}] (the network is multiplied by a factor ` +
      `that vanishes there), but ${describeFaceValue(f, byValues)}: no fit can hold it there. ${periodic}For boundary ` +
      "values that are not zero, take boundary 'none' along that axis, or solve for w = u − g with g a known function " +
      'carrying the boundary values (w is then zero on the faces)',
  );
}
