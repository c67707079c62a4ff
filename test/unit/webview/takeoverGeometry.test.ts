import { strict as assert } from 'node:assert';
import { TAP_SLOP_PX, fitBox, gestureToInput, toDevice } from '../../../src/webview/model/takeoverGeometry';
import { DEFAULT_UI_STATE, readUiState } from '../../../src/webview/model/uiState';

describe('monitor takeover geometry', () => {
  // A 540x960 device shown 333.5 CSS pixels wide at (17.25, 40): no whole-number scale on either axis.
  const device = { width: 540, height: 960 };
  const box = { left: 17.25, top: 40, width: 333.5, height: (333.5 * 960) / 540 };
  const at = (x: number, y: number) => ({ x: box.left + ((x + 0.5) / 540) * box.width, y: box.top + ((y + 0.5) / 960) * box.height });

  it('maps a display point to the device pixel under it', () => {
    for (const [x, y] of [
      [0, 0],
      [270, 440],
      [539, 959],
      [123, 877],
    ]) {
      assert.deepEqual(toDevice(at(x, y), box, device), { x, y });
    }
  });

  it('clamps points outside the image to the screen', () => {
    assert.deepEqual(toDevice({ x: box.left - 20, y: box.top + box.height + 5 }, box, device), { x: 0, y: 959 });
    assert.deepEqual(toDevice({ x: 1e9, y: -1e9 }, box, device), { x: 539, y: 0 });
    assert.deepEqual(toDevice({ x: 10, y: 10 }, { left: 0, top: 0, width: 0, height: 0 }, device), { x: 0, y: 0 });
  });

  it('turns a short move into a tap at the press point, a longer one into a swipe with its duration', () => {
    const down = { ...at(270, 440), t: 1000 };
    assert.deepEqual(gestureToInput(down, { x: down.x + TAP_SLOP_PX - 1, y: down.y, t: 1090 }, box, device), { kind: 'tap', x: 270, y: 440 });
    assert.deepEqual(gestureToInput({ ...at(270, 800), t: 1000 }, { ...at(270, 300), t: 1345.6 }, box, device), {
      kind: 'swipe',
      from: { x: 270, y: 800 },
      to: { x: 270, y: 300 },
      durationMs: 346,
    });
    const fast = gestureToInput({ ...at(10, 10), t: 5 }, { ...at(400, 10), t: 5 }, box, device);
    assert.equal(fast.kind === 'swipe' && fast.durationMs, 1);
    const slow = gestureToInput({ ...at(10, 10), t: 0 }, { ...at(400, 10), t: 1e9 }, box, device);
    assert.equal(slow.kind === 'swipe' && slow.durationMs, 60_000);
  });

  it('fits the largest box of the device aspect', () => {
    assert.deepEqual(fitBox(device, 400, 2000), { width: 400, height: 711 });
    assert.deepEqual(fitBox(device, 2000, 480), { width: 270, height: 480 });
  });
});

describe('monitor UI state', () => {
  it('reads back what it stored and falls back to defaults for anything else', () => {
    const s = { v: 1 as const, zoom: { group: 'G', instance: '1' }, collapsed: ['A', 'B'], scrollY: 120 };
    assert.deepEqual(readUiState(JSON.parse(JSON.stringify(s))), s);
    assert.deepEqual(readUiState(undefined), DEFAULT_UI_STATE);
    assert.deepEqual(readUiState('junk'), DEFAULT_UI_STATE);
    assert.deepEqual(readUiState({ zoom: { group: 3 }, collapsed: ['ok', 7, ''], scrollY: -5 }), { v: 1, zoom: undefined, collapsed: ['ok'], scrollY: 0 });
  });
});
