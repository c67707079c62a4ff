/**
 * The slice of the opencv-wasm API the matcher uses, typed locally (the package's own typings are loose `any`s
 * and ship as `.ts` sources that would be type-checked with the project).
 */

export interface CvRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  /** A fresh view into the wasm heap (do not keep it across allocations: the heap may grow). */
  readonly data: Uint8Array;
  readonly data32F: Float32Array;
  roi(rect: CvRect): CvMat;
  convertTo(dst: CvMat, rtype: number, alpha?: number, beta?: number): void;
  type(): number;
  channels(): number;
  isContinuous(): boolean;
  delete(): void;
}

export interface CvMatVector {
  size(): number;
  get(i: number): CvMat;
  delete(): void;
}

export interface Cv {
  Mat: {
    new (): CvMat;
    new (rows: number, cols: number, type: number): CvMat;
  };
  MatVector: new () => CvMatVector;
  Rect: new (x: number, y: number, w: number, h: number) => CvRect;
  Size: new (w: number, h: number) => { width: number; height: number };
  cvtColor(src: CvMat, dst: CvMat, code: number, dstCn?: number): void;
  resize(src: CvMat, dst: CvMat, dsize: { width: number; height: number }, fx: number, fy: number, interpolation: number): void;
  matchTemplate(image: CvMat, templ: CvMat, result: CvMat, method: number, mask?: CvMat): void;
  minMaxLoc(src: CvMat): { minVal: number; maxVal: number; minLoc: { x: number; y: number }; maxLoc: { x: number; y: number } };
  split(src: CvMat, mv: CvMatVector): void;
  multiply(a: CvMat, b: CvMat, dst: CvMat): void;
  /** Present on the emscripten module: pointer to the current top of the heap (sbrk). */
  _emscripten_get_sbrk_ptr?: () => number;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  CV_8UC1: number;
  CV_8UC3: number;
  CV_8UC4: number;
  CV_32F: number;
  CV_32FC1: number;
  CV_32FC3: number;
  COLOR_RGBA2GRAY: number;
  COLOR_RGBA2RGB: number;
  INTER_AREA: number;
  INTER_LINEAR: number;
  TM_CCOEFF_NORMED: number;
  TM_CCORR: number;
  onRuntimeInitialized?: () => void;
}

/**
 * Loads opencv-wasm (once per thread) and waits until its runtime is ready. The emscripten module is a thenable
 * whose `then` resolves to itself, so it must never be handed to a Promise resolver directly (that loops
 * forever): it travels wrapped in an object.
 */
export function loadCv(): Promise<{ cv: Cv }> {
  const mod = require('opencv-wasm') as { cv: Cv };
  const cv = mod.cv;
  if (typeof cv.Mat === 'function' && cv.HEAPU8) {
    return Promise.resolve({ cv });
  }
  return new Promise((resolve) => {
    cv.onRuntimeInitialized = () => resolve({ cv });
  });
}

/** A readable message for an exception thrown by opencv-wasm (which throws bare pointers). */
export function cvErrorMessage(cv: Cv, e: unknown): string {
  if (e instanceof Error) {
    return e.message;
  }
  try {
    const mod = require('opencv-wasm') as { cvTranslateError(cv: unknown, err: unknown): unknown };
    const t = mod.cvTranslateError(cv, e);
    return t instanceof Error ? t.message : String(t ?? e);
  } catch {
    return String(e);
  }
}

/** Bytes the wasm heap has reserved, and the allocator's high-water mark (sbrk), for leak checks. */
export function cvHeapStats(cv: Cv): { heapBytes: number; heapTop: number } {
  const heapBytes = cv.HEAPU8.buffer.byteLength;
  const ptr = cv._emscripten_get_sbrk_ptr?.();
  const heapTop = ptr ? cv.HEAP32[ptr >> 2] : heapBytes;
  return { heapBytes, heapTop };
}
