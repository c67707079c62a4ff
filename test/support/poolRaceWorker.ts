/**
 * A child process for the account pool integration tests.
 *
 *   node --import tsx test/support/poolRaceWorker.ts <root> hold
 *     opens the pools of <root>, prints `READY <pid>`, and closes them when a line arrives on stdin.
 *   node --import tsx test/support/poolRaceWorker.ts <root> work <pool> <bots> [compactEvery]
 *     opens the pools and runs <bots> bots that check out and complete accounts without end, printing
 *     `ACK <seq> <accountId>` after each completion has resolved (= is acknowledged); meant to be killed.
 *
 * A failure to open prints `ERROR <code> <message>` and exits with code 3.
 */
import { createInterface } from 'node:readline';
import { NodeFileStore } from '../../src/host/nodePorts';
import { nullLogger } from '../../src/shared/loggers';
import { SystemClock } from '../../src/shared/clock';
import { isPoolError } from '../../src/orchestrator/pools/poolErrors';
import { PoolManager } from '../../src/orchestrator/pools/poolManager';

async function main(): Promise<number> {
  const [root, mode, pool = 'race', botsArg = '4', compactArg] = process.argv.slice(2);
  const m = new PoolManager({
    fileStore: new NodeFileStore(root),
    clock: new SystemClock(),
    logger: nullLogger,
    compactEvery: compactArg ? Number(compactArg) : undefined,
  });
  try {
    await m.open();
  } catch (e) {
    if (isPoolError(e)) {
      process.stdout.write(`ERROR ${e.code} ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  await m.loadDefinitions({ watch: false });
  process.stdout.write(`READY ${process.pid}\n`);

  if (mode === 'hold') {
    const rl = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => {
      rl.once('line', () => resolve());
      rl.once('close', () => resolve());
    });
    rl.close();
    await m.close();
    return 0;
  }

  let seq = 0;
  const deadline = Date.now() + 60_000; // bounded even if nobody kills us
  const bots = Array.from({ length: Number(botsArg) }, (_, b) => m.accountPort(pool, { group: `g${b % 2}`, bot: String(b), orchestrationId: `worker-${process.pid}-g${b % 2}` }));
  await Promise.all(
    bots.map(async (port) => {
      while (Date.now() < deadline) {
        const lease = await port.checkoutNext();
        if (!lease) {
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        // The routine runs for a moment, so bots drift apart and a kill finds some of them holding leases.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
        const n = ++seq;
        await port.complete(lease.accountId, { packs_opened: 1, seq: n });
        process.stdout.write(`ACK ${n} ${lease.accountId}\n`);
      }
    }),
  );
  await m.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stdout.write(`ERROR crash ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
