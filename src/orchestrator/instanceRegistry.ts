/**
 * Which active group holds which emulator instance. One registry per orchestrator; a group claims an instance
 * before it puts a bot on it, and a claim held by another run is refused with an error naming the owner.
 */
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import type { InstanceAssignmentInfo, InstanceKey } from '../shared/fleetTypes';
import { FleetError } from '../shared/errors';

export interface InstanceOwner {
  group: string;
  orchestrationId: string;
}

export class InstanceBusyError extends FleetError<'instance-busy'> {
  constructor(
    readonly instance: InstanceKey,
    readonly owner: InstanceAssignmentInfo,
  ) {
    super('instance-busy', `instance ${instance} is held by group '${owner.group}' (run ${owner.orchestrationId})`);
    this.name = 'InstanceBusyError';
  }
}

export interface InstanceAssignmentChange {
  instance: InstanceKey;
  /** The new holder, or undefined when released. */
  assignment?: InstanceAssignmentInfo;
  previous?: InstanceAssignmentInfo;
}

export class InstanceRegistry implements Disposable {
  private readonly assignments = new Map<InstanceKey, InstanceAssignmentInfo>();
  private readonly _onDidChangeAssignment = new Emitter<InstanceAssignmentChange>();
  /** Fires after every claim and release. */
  readonly onDidChangeAssignment: Event<InstanceAssignmentChange> = this._onDidChangeAssignment.event;

  constructor(private readonly wallNow: () => number = () => Date.now()) {}

  /**
   * Claims `instance` for `owner`. Claiming again for the same run is a no-op; a claim held by another run
   * throws InstanceBusyError.
   */
  claim(instance: InstanceKey, owner: InstanceOwner): InstanceAssignmentInfo {
    const held = this.assignments.get(instance);
    if (held) {
      if (held.orchestrationId === owner.orchestrationId) {
        return held;
      }
      throw new InstanceBusyError(instance, held);
    }
    const a: InstanceAssignmentInfo = Object.freeze({ instance, group: owner.group, orchestrationId: owner.orchestrationId, since: this.wallNow() });
    this.assignments.set(instance, a);
    this._onDidChangeAssignment.fire({ instance, assignment: a });
    return a;
  }

  /** Releases `instance` if `orchestrationId` holds it; returns whether it did. */
  release(instance: InstanceKey, orchestrationId: string): boolean {
    const held = this.assignments.get(instance);
    if (!held || held.orchestrationId !== orchestrationId) {
      return false;
    }
    this.assignments.delete(instance);
    this._onDidChangeAssignment.fire({ instance, previous: held });
    return true;
  }

  /** Releases every instance of a run; returns them. */
  releaseAll(orchestrationId: string): InstanceKey[] {
    const mine = [...this.assignments.values()].filter((a) => a.orchestrationId === orchestrationId).map((a) => a.instance);
    for (const i of mine) {
      this.release(i, orchestrationId);
    }
    return mine;
  }

  holder(instance: InstanceKey): InstanceAssignmentInfo | undefined {
    return this.assignments.get(instance);
  }

  /** True when another run than `orchestrationId` holds `instance`. */
  isBusyFor(instance: InstanceKey, orchestrationId: string): boolean {
    const h = this.assignments.get(instance);
    return h !== undefined && h.orchestrationId !== orchestrationId;
  }

  list(): InstanceAssignmentInfo[] {
    return [...this.assignments.values()].sort((a, b) => a.instance.localeCompare(b.instance, undefined, { numeric: true }));
  }

  dispose(): void {
    this._onDidChangeAssignment.dispose();
  }
}
