/** Test fleets through the host's createFleet: Node ports over a workspace folder. */
import { createFleet, type Fleet, type FleetHostOptions } from '../../src/host/fleet';
import { NodeFileStore } from '../../src/host/nodePorts';
import { SystemClock } from '../../src/shared/clock';
import { nullLogger } from '../../src/shared/loggers';

export function testFleet(root: string, o: Partial<FleetHostOptions> = {}): Promise<Fleet> {
  return createFleet({ files: new NodeFileStore(root), clock: new SystemClock(), logger: nullLogger, ...o });
}
