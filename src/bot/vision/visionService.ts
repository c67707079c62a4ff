/**
 * The Vision the bots use: resolves templates through the registry, converts each frame to shared memory once,
 * and runs matches in the worker pool. Colour checks run here, in the caller (a few pixels).
 */
import type { Rect } from '../../shared/geometry';
import { retainFrame, type RawFrame } from '../device';
import type { Clock, Logger } from '../../shared/ports';
import { checkColor } from './colorCheck';
import { validateFrame } from './frame';
import { copyInto, FrameBuffers, type FrameSlot } from './frameBuffers';
import type { MatcherPool } from './matcherPool';
import { planMatch } from './matchPlan';
import type { ColorResult, ColorSpec, Match, MatchOverrides, MatchResult, TemplateImage, TemplateRef, TemplateSpec, Vision } from './types';
import { VisionError } from './visionError';

/** What the service needs from a template registry (TemplateRegistry implements it). */
export interface TemplateProvider {
  /** Throws VisionError `unknown-template` / `path-escape`. */
  resolve(ref: TemplateRef): TemplateSpec;
  /** Decoded image (cached); throws VisionError `image-missing` / `image-invalid` / `path-escape`. */
  image(path: string): Promise<TemplateImage>;
}

/** A frame in shared memory, ready to be matched by any worker. */
export interface PreparedFrame {
  /** Unique across every frame this process prepared (frame ids repeat across devices). */
  key: number;
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface VisionServiceOptions {
  registry: TemplateProvider;
  pool: MatcherPool;
  clock: Clock;
  logger?: Logger;
  /** Shared frame buffers kept per frame size for reuse (default 16). */
  frameBuffers?: number;
}

interface PreparedEntry {
  prepared: PreparedFrame;
  /** The recycled shared buffer holding the copy (absent when the frame already lived in shared memory). */
  slot?: FrameSlot;
  /** The slot's generation when this frame was copied in: another generation means the slot holds a newer frame. */
  generation?: number;
  /** Pending while the copy into a fresh slot is still running (spread over event-loop turns). */
  ready?: Promise<void>;
}

let frameCounter = 0;

export class VisionService implements Vision {
  private readonly registry: TemplateProvider;
  private readonly pool: MatcherPool;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  /** Keyed by the frame's pixel array: copies of a RawFrame object share the preparation. */
  private readonly prepared = new WeakMap<Uint8Array, PreparedEntry>();
  private readonly buffers: FrameBuffers;

  constructor(opts: VisionServiceOptions) {
    this.registry = opts.registry;
    this.pool = opts.pool;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.buffers = new FrameBuffers(opts.frameBuffers ?? 16);
  }

  /**
   * The frame in shared memory, prepared once: the first call copies the pixels into a recycled SharedArrayBuffer
   * (none when they already live in one), later calls for the same frame return the same preparation. A
   * preparation stays valid while matches use it and until many newer frames have been prepared.
   */
  prepareFrame(frame: RawFrame): PreparedFrame {
    const entry = this.prepareEntry(frame, false);
    if (entry.ready && entry.slot) {
      // A caller that needs the pixels now: finish the copy synchronously.
      entry.slot.bytes.set(frame.data);
    }
    return entry.prepared;
  }

  private prepareEntry(frame: RawFrame, allowAsync = true): PreparedEntry {
    const hit = this.prepared.get(frame.data);
    if (hit && hit.prepared.width === frame.width && hit.prepared.height === frame.height && (!hit.slot || hit.slot.generation === hit.generation)) {
      if (hit.slot) {
        this.buffers.touch(hit.slot);
      }
      return hit;
    }
    validateFrame(frame);
    const data = frame.data;
    let entry: PreparedEntry;
    if (data.buffer instanceof SharedArrayBuffer) {
      entry = { prepared: { key: ++frameCounter, width: frame.width, height: frame.height, pixels: data } };
    } else {
      // No WeakRef to the frame here (nor a callback holding one): a WeakRef keeps its multi-megabyte target alive
      // through every young-generation collection, so each captured frame would only be freed by a full
      // mark-compact, and the caller would pay one such pause (several ms) per frame. A stale entry is detected by
      // the slot's generation instead, and the WeakMap drops entries with their frames.
      const slot = this.buffers.acquire(data.byteLength);
      entry = { prepared: { key: ++frameCounter, width: frame.width, height: frame.height, pixels: slot.bytes }, slot, generation: slot.generation };
      if (allowAsync) {
        // The copy may span event-loop turns: keep the frame's memory from being recycled until it is done.
        const release = retainFrame(frame);
        const ready = copyInto(slot, data);
        if (ready) {
          entry.ready = ready;
          void ready
            .then(() => {
              entry.ready = undefined;
            })
            .finally(release);
        } else {
          release();
        }
      } else {
        slot.bytes.set(data);
        slot.fresh = false;
      }
    }
    this.prepared.set(data, entry);
    return entry;
  }

  /** Looks for a template (registry name or inline) in a frame. Rejects with VisionError. */
  async find(frame: RawFrame, template: TemplateRef, overrides?: MatchOverrides, signal?: AbortSignal): Promise<MatchResult> {
    const t0 = this.clock.now();
    const spec = this.registry.resolve(template);
    const image = await this.registry.image(spec.image);
    return this.run(t0, frame, spec, image, overrides, signal);
  }

  /** Several templates on the same frame (converted once), in parallel across the pool. */
  findEach(frame: RawFrame, templates: readonly TemplateRef[], overrides?: MatchOverrides, signal?: AbortSignal): Promise<MatchResult[]> {
    return Promise.all(templates.map((t) => this.find(frame, t, overrides, signal)));
  }

  /** Matches an already decoded image with an explicit spec (the CLI's ad-hoc images, tools). */
  matchImage(frame: RawFrame, spec: TemplateSpec, image: TemplateImage, overrides?: MatchOverrides, signal?: AbortSignal): Promise<MatchResult> {
    return this.run(this.clock.now(), frame, spec, image, overrides, signal);
  }

  checkColor(frame: RawFrame, spec: ColorSpec): ColorResult {
    return checkColor(frame, spec);
  }

  private async run(t0: number, frame: RawFrame, spec: TemplateSpec, image: TemplateImage, overrides: MatchOverrides | undefined, signal: AbortSignal | undefined): Promise<MatchResult> {
    if (signal?.aborted) {
      throw new VisionError('aborted', 'aborted');
    }
    const entry = this.prepareEntry(frame);
    const plan = planMatch(spec, image, frame, overrides);
    const slot = entry.slot;
    if (slot) {
      slot.inflight++;
    }
    let reply;
    try {
      if (entry.ready) {
        await entry.ready;
      }
      reply = await this.pool.match(entry.prepared, { key: image.key, width: image.width, height: image.height, pixels: image.data }, plan, signal);
    } catch (e) {
      if (e instanceof VisionError && (e.code === 'worker-failed' || e.code === 'match-failed')) {
        this.logger?.log('warn', `matching '${spec.name}' failed: ${e.message}`, { template: spec.name, code: e.code });
      }
      throw e;
    } finally {
      if (slot) {
        slot.inflight--;
      }
    }
    const best: Match = reply.best ?? { x: plan.frameRegion.x, y: plan.frameRegion.y, w: 0, h: 0, score: 0, scale: plan.sizes[0].scale };
    const box: Rect = { x: best.x, y: best.y, w: best.w, h: best.h };
    return {
      template: spec.name,
      found: best.score >= plan.threshold,
      score: best.score,
      threshold: plan.threshold,
      box,
      center: { x: Math.round(best.x + best.w / 2), y: Math.round(best.y + best.h / 2) },
      scale: best.scale,
      matches: reply.matches,
      timeMs: this.clock.now() - t0,
      matchMs: reply.matchMs,
      region: plan.frameRegion,
    };
  }
}
