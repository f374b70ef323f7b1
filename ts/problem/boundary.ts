/**
 * A problem's boundary, read one axis at a time: a spec gives one condition for the whole box or
 * one per axis (a channel: `['periodic', 'dirichlet']`), and every rule that depends on it asks
 * about an axis, any axis or every axis.
 */
import type { Boundary, BoundarySpec } from './plan';

/** The condition along `axis`. */
export function boundaryAlong(boundary: BoundarySpec, axis: number): Boundary {
  return typeof boundary === 'string' ? boundary : boundary[axis];
}

/** Whether some axis has the condition `kind`. */
export function someAxis(boundary: BoundarySpec, kind: Boundary): boolean {
  return typeof boundary === 'string' ? boundary === kind : boundary.includes(kind);
}

/** Whether every axis has the condition `kind`. */
export function everyAxis(boundary: BoundarySpec, kind: Boundary): boolean {
  return typeof boundary === 'string' ? boundary === kind : boundary.every((b) => b === kind);
}

/** The axes (0-based) that have the condition `kind`, in order. */
export function axesWith(boundary: BoundarySpec, kind: Boundary, dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => i).filter((i) => boundaryAlong(boundary, i) === kind);
}

/** Per axis, whether it has the condition `kind`: one flag when every axis gives the same. */
export function axisFlags(boundary: BoundarySpec, kind: Boundary): boolean | boolean[] {
  if (typeof boundary === 'string') return boundary === kind;
  const flags = boundary.map((b) => b === kind);
  return flags.every((f) => f === flags[0]) ? flags[0] : flags;
}

/** The boundary as a report shows it: `'periodic'`, or `'periodic, dirichlet'` along x[0], x[1]. */
export function describeBoundary(boundary: BoundarySpec): string {
  return typeof boundary === 'string' ? boundary : boundary.join(', ');
}

/** The boundary as a spec writes it: `'periodic'`, or `['periodic', 'none']`. */
export function boundaryLiteral(boundary: BoundarySpec): string {
  return typeof boundary === 'string' ? `'${boundary}'` : `[${boundary.map((b) => `'${b}'`).join(', ')}]`;
}
