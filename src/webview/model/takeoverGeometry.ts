/**
 * Manual takeover geometry: display pixels (where the pointer is on the shown image) to device pixels, and a
 * pointer gesture to a tap or a swipe. Pure, so the scaling is tested without a browser.
 */
import type { Point, Size } from '../../shared/geometry';
import { MAX_SWIPE_MS, type TakeoverInput } from '../../shared/monitorProtocol';

/** The shown image's box on screen (CSS pixels), as getBoundingClientRect gives it. */
export interface DisplayBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Moves shorter than this (CSS pixels) are a tap. */
export const TAP_SLOP_PX = 8;

/** The device pixel under a display point, clamped to the screen (the image fills the box exactly). */
export function toDevice(p: Point, box: DisplayBox, device: Size): Point {
  const fx = box.width > 0 ? (p.x - box.left) / box.width : 0;
  const fy = box.height > 0 ? (p.y - box.top) / box.height : 0;
  const clamp = (v: number, max: number) => Math.min(max - 1, Math.max(0, Math.floor(v)));
  return { x: clamp(fx * device.width, device.width), y: clamp(fy * device.height, device.height) };
}

/** The device input for a pointer gesture from `down` to `up` (display coordinates, times in ms). */
export function gestureToInput(down: Point & { t: number }, up: Point & { t: number }, box: DisplayBox, device: Size): TakeoverInput {
  const from = toDevice(down, box, device);
  if (Math.hypot(up.x - down.x, up.y - down.y) < TAP_SLOP_PX) {
    return { kind: 'tap', x: from.x, y: from.y };
  }
  const to = toDevice(up, box, device);
  const durationMs = Math.min(MAX_SWIPE_MS, Math.max(1, Math.round(up.t - down.t)));
  return { kind: 'swipe', from, to, durationMs };
}

/** The largest box of the given aspect that fits in maxW x maxH (the zoom's screen size). */
export function fitBox(aspect: Size, maxW: number, maxH: number): Size {
  const scale = Math.max(0.01, Math.min(maxW / aspect.width, maxH / aspect.height));
  return { width: Math.max(1, Math.floor(aspect.width * scale)), height: Math.max(1, Math.floor(aspect.height * scale)) };
}
