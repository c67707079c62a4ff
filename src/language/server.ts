/**
 * Entry of the language server process (bundled as dist/languageServer.js; the client starts it over node IPC,
 * tests over stdio). The same module, started as a worker thread, is the validation worker.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startFleetLanguageServer } from './fleetLanguageServer';
import { runValidationWorker, VALIDATION_WORKER_ROLE } from './validationRunner';

if (!isMainThread && (workerData as { role?: string } | null)?.role === VALIDATION_WORKER_ROLE && parentPort) {
  runValidationWorker(parentPort);
} else {
  startFleetLanguageServer(createConnection(ProposedFeatures.all), { entry: __filename });
}
