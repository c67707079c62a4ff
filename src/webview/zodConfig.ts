/**
 * Imported first by the entry: zod probes `new Function` when a schema is built, and a strict CSP reports the probe
 * as a violation even though zod catches the error. Jitless mode skips the probe (parsing stays correct).
 */
import { z } from 'zod';

z.config({ jitless: true });
