/** The JSON Schema of each kind of workspace file (generated from the core's zod schemas by `npm run schemas`). */
import groupSchema from '../../schemas/group.schema.json';
import poolSchema from '../../schemas/pool.schema.json';
import routineSchema from '../../schemas/routine.schema.json';
import templatesSchema from '../../schemas/templates.schema.json';
import { SchemaNavigator, type JsonSchema } from './schemaNavigator';
import type { FleetFileKind } from './workspacePaths';

const navigators = new Map<FleetFileKind, SchemaNavigator>();

const SOURCES: Record<FleetFileKind, unknown> = {
  routine: routineSchema,
  templates: templatesSchema,
  group: groupSchema,
  pool: poolSchema,
};

export function schemaFor(kind: FleetFileKind): SchemaNavigator {
  let n = navigators.get(kind);
  if (!n) {
    n = new SchemaNavigator(SOURCES[kind] as JsonSchema);
    navigators.set(kind, n);
  }
  return n;
}
