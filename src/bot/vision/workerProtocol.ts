/** Messages between the MatcherPool (caller thread) and the match workers. */
import type { MatchPlan } from './matchPlan';
import type { MatcherStats, PixelsRef } from './matcher';
import type { Match, VisionErrorCode } from './types';

export interface MatchRequest {
  type: 'match';
  id: number;
  /** Pixels views over SharedArrayBuffers: posting them shares the memory, nothing is copied. */
  frame: PixelsRef;
  image: PixelsRef;
  plan: MatchPlan;
}

export interface StatsRequest {
  type: 'stats';
  id: number;
}

/** Frees every cached frame and template in the worker. */
export interface ClearRequest {
  type: 'clear';
  id: number;
}

/** The caller gave up on a job: skip it if it has not started. */
export interface CancelRequest {
  type: 'cancel';
  id: number;
}

export type WorkerRequest = MatchRequest | StatsRequest | ClearRequest | CancelRequest;

export interface MatchReply {
  type: 'match';
  id: number;
  best: Match | null;
  matches: Match[];
  /** Worker time for this job, ms. */
  matchMs: number;
}

export interface StatsReply {
  type: 'stats';
  id: number;
  stats: MatcherStats;
}

export interface DoneReply {
  type: 'done';
  id: number;
}

export interface ErrorReply {
  type: 'error';
  id: number;
  code: VisionErrorCode;
  message: string;
}

/** Sent once opencv-wasm is loaded. */
export interface ReadyReply {
  type: 'ready';
  id: 0;
  loadMs: number;
}

export type WorkerReply = MatchReply | StatsReply | DoneReply | ErrorReply | ReadyReply;
