/** What the editor features need from group definitions (`groups/*.yaml`: references to a routine, its params, a pool) and pool definitions (`pools/*.yaml`: the name). */
import { isMap, isScalar, isSeq, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { NameRef } from './routineFacts';
import { keyName, scalarInnerRange, valueOf } from './yamlNodes';

export interface GroupFacts {
  kind: 'group';
  name?: string;
  routineRef?: NameRef;
  /** Keys of `routineConfig` and of every override's `routineConfig`: parameters of the routine. */
  configKeys: NameRef[];
  /** The group's `routineConfig` map (for edits that add a parameter). */
  routineConfig?: YAMLMap;
  poolRef?: NameRef;
}

function ref(node: unknown): NameRef | undefined {
  return isScalar(node) && typeof node.value === 'string' && node.range ? { name: node.value, range: scalarInnerRange(node as Scalar) } : undefined;
}

function keys(map: unknown): NameRef[] {
  if (!isMap(map)) {
    return [];
  }
  return map.items
    .map((p: Pair) => {
      const k = keyName(p);
      return k !== undefined && isScalar(p.key) && p.key.range ? { name: k, range: scalarInnerRange(p.key as Scalar) } : undefined;
    })
    .filter((x): x is NameRef => x !== undefined);
}

export function groupFacts(root: unknown): GroupFacts {
  const facts: GroupFacts = { kind: 'group', configKeys: [] };
  if (!isMap(root)) {
    return facts;
  }
  const name = valueOf(root, 'name');
  facts.name = isScalar(name) && typeof name.value === 'string' ? name.value : undefined;
  facts.routineRef = ref(valueOf(root, 'routine'));
  facts.poolRef = ref(valueOf(root, 'accountPool'));
  const config = valueOf(root, 'routineConfig');
  facts.routineConfig = isMap(config) ? config : undefined;
  facts.configKeys.push(...keys(config));
  const overrides = valueOf(valueOf(root, 'launchOptions'), 'overrides');
  if (isSeq(overrides)) {
    for (const o of overrides.items) {
      facts.configKeys.push(...keys(valueOf(o, 'routineConfig')));
    }
  }
  return facts;
}

export interface PoolFacts {
  kind: 'pool';
  nameRef?: NameRef;
  description?: string;
}

export function poolFacts(root: unknown): PoolFacts {
  const d = valueOf(root, 'description');
  return { kind: 'pool', nameRef: ref(valueOf(root, 'name')), description: isScalar(d) && typeof d.value === 'string' ? d.value : undefined };
}


