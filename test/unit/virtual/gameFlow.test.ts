import assert from 'node:assert/strict';
import { ACCOUNT_PATH } from '../../../src/virtual/game/account';
import { GameConfigError, createPocketPacksGame } from '../../../src/virtual/game/pocketPacksGame';
import { LAYOUT } from '../../../src/virtual/game/layout';
import { LAUNCHER_PACKAGE } from '../../../src/virtual/types';
import { accountXml, makeRig, MemoryFs, type Rig } from './gameTestSupport';

const COMPONENT = 'com.emulatorfleet.pocketpacks/.MainActivity';

function toHome(rig: Rig): void {
  rig.tapRect(LAYOUT.title.tapToStart);
  assert.equal(rig.game.screen(), 'home');
}

function intIn(xml: string | undefined, name: string): number | undefined {
  const m = new RegExp(`<int name="${name}" value="(-?\\d+)" />`).exec(xml ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Opens a pack from home and returns to the results screen. */
function openPack(rig: Rig): void {
  rig.tapRect(LAYOUT.home.packsButton);
  rig.tapRect(LAYOUT.packSelect.open);
  rig.time.advance(1500);
  rig.game.tap(5, 900);
  assert.equal(rig.game.screen(), 'results');
}

for (const [width, height] of [
  [540, 960],
  [720, 1280],
]) {
  describe(`(unit) Pocket Packs flows at ${width}x${height}`, () => {
    const rig = (o: Parameters<typeof makeRig>[0] = {}) => makeRig({ width, height, ...o });

    it('boots on the title screen with a running process by default', () => {
      const r = rig();
      const s = r.state();
      assert.equal(s.screen, 'title');
      assert.equal(s.foreground, true);
      assert.equal(typeof s.pid, 'number');
      assert.deepEqual(r.game.focused(), { pkg: 'com.emulatorfleet.pocketpacks', activity: '.MainActivity' });
      assert.equal(r.game.packageName, 'com.emulatorfleet.pocketpacks');
      assert.equal(r.game.activity, '.MainActivity');
    });

    it('launches from the launcher icon: splash for a second, then title', () => {
      const r = rig({ boot: 'launcher' });
      assert.equal(r.game.screen(), 'launcher');
      assert.equal(r.game.pid(), undefined);
      assert.equal(r.game.focused().pkg, LAUNCHER_PACKAGE);
      r.game.tap(20, Math.round(height / 2)); // beside the icon
      assert.equal(r.game.screen(), 'launcher');
      r.tapRect(LAYOUT.launcher.gameIcon);
      assert.equal(r.game.screen(), 'splash');
      assert.equal(r.state().animating, true);
      r.tapRect(LAYOUT.title.tapToStart); // taps during the splash do nothing
      r.time.advance(999);
      assert.equal(r.game.screen(), 'splash');
      r.time.advance(1);
      assert.equal(r.game.screen(), 'title');
      assert.equal(r.state().animating, false);
      toHome(r);
    });

    it('goes home with a valid account and shows its name and counters', () => {
      const r = rig({ account: { id: 'acc-0042', name: 'Misty', packsOpened: 3, hourglasses: 7, wonderPicks: 2, premium: false } });
      toHome(r);
      assert.deepEqual(r.state().account, { id: 'acc-0042', name: 'Misty', premium: false, packsOpened: 3, hourglasses: 7, wonderPicks: 2, claimedMissions: [] });
    });

    it('shows the no-account dialog without an account file, OK returns to title', () => {
      const r = rig({ account: null });
      r.tapRect(LAYOUT.title.tapToStart);
      let s = r.state();
      assert.equal(s.screen, 'title');
      assert.equal(s.dialog, 'noAccount');
      assert.equal(s.accountError?.code, 'missing');
      r.tapRect(LAYOUT.home.packsButton); // modal: other taps do nothing
      assert.equal(r.state().dialog, 'noAccount');
      r.tapRect(LAYOUT.dialog.noAccount.ok);
      s = r.state();
      assert.equal(s.screen, 'title');
      assert.equal(s.dialog, null);
      // The file is read each time the player leaves the title screen.
      r.fs.write(ACCOUNT_PATH, Buffer.from(accountXml({ id: 'late' })));
      toHome(r);
      assert.equal(r.state().account?.id, 'late');
    });

    it('treats malformed XML and empty credentials as no account, without crashing', () => {
      const bad = rig({ accountText: "<?xml version='1.0' ?>\n<map>\n    <string name=\"deviceAccount\">x</strin>\n</map>\n" });
      bad.tapRect(LAYOUT.title.tapToStart);
      assert.equal(bad.state().dialog, 'noAccount');
      assert.equal(bad.state().accountError?.code, 'malformed');
      assert.equal(bad.state().accountError?.line, 3);
      const empty = rig({ account: { password: '' } });
      empty.tapRect(LAYOUT.title.tapToStart);
      assert.equal(empty.state().dialog, 'noAccount');
      assert.equal(empty.state().accountError?.code, 'invalid');
      const garbage = rig({ accountText: '\u0000\u0001 not xml at all' });
      garbage.tapRect(LAYOUT.title.tapToStart);
      assert.equal(garbage.state().accountError?.code, 'malformed');
    });

    it('opens a standard pack: animation, tap to reveal, five cards, Next writes packsOpened back', () => {
      const r = rig({ account: { packsOpened: 4 } });
      toHome(r);
      r.tapRect(LAYOUT.home.packsButton);
      assert.equal(r.game.screen(), 'packSelect');
      assert.equal(r.state().selectedPack, 'standard');
      r.tapRect(LAYOUT.packSelect.open);
      assert.equal(r.game.screen(), 'opening');
      assert.equal(r.state().openingPack, 'standard');
      r.time.advance(1000);
      r.game.tap(10, 10);
      assert.equal(r.game.screen(), 'opening', 'a tap during the animation is ignored');
      assert.equal(r.state().animating, true);
      r.time.advance(500);
      assert.equal(r.state().animating, false);
      r.tapRect(LAYOUT.opening.tapToReveal);
      const s = r.state();
      assert.equal(s.screen, 'results');
      assert.equal(s.lastResults.length, 5);
      assert.ok(s.lastResults.every((x) => Number.isInteger(x) && x >= 1 && x <= 4));
      assert.equal(intIn(r.accountText(), 'packsOpened'), 4, 'nothing written before Next');
      r.tapRect(LAYOUT.results.next);
      assert.equal(r.game.screen(), 'home');
      assert.equal(r.state().account?.packsOpened, 5);
      assert.equal(intIn(r.accountText(), 'packsOpened'), 5);
      assert.equal(r.fs.read(ACCOUNT_PATH)?.mode, 0o660);
    });

    it('asks for a premium pass without the premium flag; with it, opens premium packs', () => {
      const r = rig({ account: { premium: false } });
      toHome(r);
      r.tapRect(LAYOUT.home.packsButton);
      r.tapRect(LAYOUT.packSelect.premium);
      assert.equal(r.state().dialog, 'premiumRequired');
      r.tapRect(LAYOUT.packSelect.open); // covered by the dialog: ignored
      assert.equal(r.game.screen(), 'packSelect');
      r.tapRect(LAYOUT.dialog.premiumRequired.ok);
      assert.equal(r.state().dialog, null);
      assert.equal(r.state().selectedPack, 'standard');

      const p = rig({ account: { premium: true } });
      toHome(p);
      p.tapRect(LAYOUT.home.packsButton);
      p.tapRect(LAYOUT.packSelect.premium);
      assert.equal(p.state().dialog, null);
      assert.equal(p.state().selectedPack, 'premium');
      p.tapRect(LAYOUT.packSelect.standard);
      assert.equal(p.state().selectedPack, 'standard');
      p.tapRect(LAYOUT.packSelect.premium);
      p.tapRect(LAYOUT.packSelect.open);
      assert.equal(p.state().openingPack, 'premium');
    });

    it('plays a wonder pick: three offers, shuffle, pick a card, OK writes wonderPicks back', () => {
      const r = rig({ account: { wonderPicks: 1 } });
      toHome(r);
      r.tapRect(LAYOUT.home.wonderPickButton);
      let s = r.state();
      assert.equal(s.screen, 'wonderPick');
      assert.equal(s.offers.length, 3);
      assert.ok(s.offers.every((o) => o.rarities.length === 5));
      r.tapRect(LAYOUT.wonderPick.offers[2]);
      s = r.state();
      assert.equal(s.screen, 'wonderPickCards');
      assert.equal(s.chosenOffer, 2);
      assert.deepEqual([...s.wonderPickSlots!].sort(), [...s.offers[2].rarities].sort());
      r.tapRect(LAYOUT.wonderPickCards.cards[3]);
      assert.equal(r.game.screen(), 'wonderPickCards', 'no pick while the cards shuffle');
      r.time.advance(1000);
      r.tapRect(LAYOUT.wonderPickCards.cards[3]);
      s = r.state();
      assert.equal(s.screen, 'wonderPickResult');
      assert.equal(s.wonderPickResult?.rarity, s.wonderPickSlots![3]);
      r.tapRect(LAYOUT.wonderPickResult.ok);
      assert.equal(r.game.screen(), 'home');
      assert.equal(r.state().account?.wonderPicks, 2);
      assert.equal(intIn(r.accountText(), 'wonderPicks'), 2);
    });

    it('claims missions once each; claimed ones are disabled and persisted', () => {
      const r = rig({ account: { hourglasses: 1 } });
      toHome(r);
      r.tapRect(LAYOUT.home.missionsButton);
      assert.equal(r.game.screen(), 'missions');
      assert.deepEqual(
        r.state().missions.map((m) => m.claimed),
        [false, false, false],
      );
      r.tapRect(LAYOUT.missions.claims[1]);
      assert.equal(r.state().account?.hourglasses, 6);
      assert.equal(intIn(r.accountText(), 'hourglasses'), 6);
      const writes = r.fs.writes;
      const v = r.game.version;
      r.tapRect(LAYOUT.missions.claims[1]);
      assert.equal(r.fs.writes, writes, 'a claimed mission cannot be claimed again');
      assert.equal(r.game.version, v);
      r.tapRect(LAYOUT.missions.claims[0]);
      r.tapRect(LAYOUT.missions.claims[2]);
      assert.equal(r.state().account?.hourglasses, 18);
      assert.deepEqual(
        r.state().missions.map((m) => m.claimed),
        [true, true, true],
      );
      assert.match(r.accountText()!, /<string name="claimedMissions">openPack,login,wonderPick<\/string>/);
      // A new process reads the claims back from the file.
      r.game.forceStop('com.emulatorfleet.pocketpacks');
      r.game.start(COMPONENT);
      r.time.advance(1000);
      toHome(r);
      r.tapRect(LAYOUT.home.missionsButton);
      assert.deepEqual(
        r.state().missions.map((m) => m.claimed),
        [true, true, true],
      );
    });

    it('BACK goes to the previous screen, closes dialogs, asks Quit? on home', () => {
      const r = rig();
      toHome(r);
      r.tapRect(LAYOUT.home.packsButton);
      r.game.key(4);
      assert.equal(r.game.screen(), 'home');
      r.tapRect(LAYOUT.home.missionsButton);
      r.game.key(4);
      assert.equal(r.game.screen(), 'home');
      r.tapRect(LAYOUT.home.wonderPickButton);
      r.tapRect(LAYOUT.wonderPick.offers[0]);
      r.game.key(4);
      assert.equal(r.game.screen(), 'wonderPick');
      r.game.key(4);
      assert.equal(r.game.screen(), 'home');
      r.game.key(4);
      assert.equal(r.state().dialog, 'quit');
      r.game.key(4);
      assert.equal(r.state().dialog, null);
      assert.equal(r.game.screen(), 'home');
      r.game.key(4);
      r.tapRect(LAYOUT.dialog.quit.cancel);
      assert.equal(r.state().dialog, null);
      assert.equal(r.game.screen(), 'home');
      // The opening animation cannot be interrupted; BACK on results counts the pack like Next.
      r.tapRect(LAYOUT.home.packsButton);
      r.tapRect(LAYOUT.packSelect.open);
      r.game.key(4);
      assert.equal(r.game.screen(), 'opening');
      r.time.advance(1500);
      r.game.tap(1, 500);
      r.game.key(4);
      assert.equal(r.game.screen(), 'home');
      assert.equal(r.state().account?.packsOpened, 1);
      // Quit OK ends the game.
      r.game.key(4);
      r.tapRect(LAYOUT.dialog.quit.ok);
      const s = r.state();
      assert.equal(s.screen, 'launcher');
      assert.equal(s.pid, null);
      assert.equal(s.lastExit, 'quit');
      r.game.key(4); // BACK on the launcher: nothing
      assert.equal(r.game.screen(), 'launcher');
    });

    it('BACK on title puts the game in the background; HOME keeps its state; am start resumes', () => {
      const r = rig();
      const pid = r.game.pid();
      r.game.key(4);
      assert.equal(r.game.screen(), 'launcher');
      assert.equal(r.game.pid(), pid);
      assert.equal(r.game.start(COMPONENT), true);
      assert.equal(r.game.screen(), 'title');
      toHome(r);
      r.tapRect(LAYOUT.home.packsButton);
      r.game.key(3);
      let s = r.state();
      assert.equal(s.screen, 'launcher');
      assert.equal(s.appScreen, 'packSelect');
      assert.equal(s.focused.pkg, LAUNCHER_PACKAGE);
      assert.equal(s.pid, pid);
      r.game.tap(20, 20); // taps on the launcher do not reach the game
      assert.equal(r.state().appScreen, 'packSelect');
      r.tapRect(LAYOUT.launcher.gameIcon);
      s = r.state();
      assert.equal(s.screen, 'packSelect');
      assert.equal(s.pid, pid);
      r.game.key(3);
      assert.equal(r.game.start(COMPONENT), true);
      assert.equal(r.game.screen(), 'packSelect');
      assert.equal(r.state().launches, 1);
    });

    it('force-stop and crash kill the process; the next start shows the splash with a new pid', () => {
      const r = rig();
      toHome(r);
      const pid = r.game.pid();
      r.game.forceStop('com.other.app');
      assert.equal(r.game.pid(), pid);
      r.game.forceStop('com.emulatorfleet.pocketpacks');
      assert.equal(r.game.pid(), undefined);
      assert.equal(r.game.screen(), 'launcher');
      assert.equal(r.state().lastExit, 'forceStop');
      assert.equal(r.state().account, null);
      assert.equal(r.game.start('com.other.app/.Main'), false);
      assert.equal(r.game.start('com.emulatorfleet.pocketpacks/.Other'), false);
      assert.equal(r.game.start('com.emulatorfleet.pocketpacks/com.emulatorfleet.pocketpacks.MainActivity'), true);
      assert.equal(r.game.screen(), 'splash');
      const pid2 = r.game.pid();
      assert.notEqual(pid2, pid);
      r.time.advance(1000);
      toHome(r);
      r.game.crash();
      const s = r.state();
      assert.equal(s.screen, 'launcher');
      assert.equal(s.pid, null);
      assert.equal(s.lastExit, 'crash');
      assert.equal(s.focused.pkg, LAUNCHER_PACKAGE);
      r.game.crash(); // nothing left to crash
      r.tapRect(LAYOUT.launcher.gameIcon);
      assert.equal(r.game.screen(), 'splash');
      assert.notEqual(r.game.pid(), pid2);
    });

    it('shows forced pop-ups at the next transition; each closes with its own control', () => {
      const r = rig();
      toHome(r);
      r.game.forcePopup('daily');
      assert.equal(r.state().forcedPopup, 'daily');
      r.tapRect(LAYOUT.home.packsButton);
      let s = r.state();
      assert.equal(s.screen, 'packSelect');
      assert.equal(s.popup, 'daily');
      assert.equal(s.forcedPopup, null);
      r.tapRect(LAYOUT.packSelect.open); // modal
      assert.equal(r.game.screen(), 'packSelect');
      r.tapRect(LAYOUT.popup.daily.ok);
      assert.equal(r.state().popup, null);
      assert.equal(r.game.screen(), 'packSelect');

      r.game.forcePopup('notice');
      r.game.key(4);
      assert.equal(r.state().popup, 'notice');
      r.tapRect(LAYOUT.popup.daily.ok); // not the notice's control
      assert.equal(r.state().popup, 'notice');
      r.tapRect(LAYOUT.popup.notice.close);
      assert.equal(r.state().popup, null);
      assert.equal(r.game.screen(), 'home');

      r.game.forceError();
      r.tapRect(LAYOUT.home.missionsButton);
      s = r.state();
      assert.equal(s.popup, 'error');
      assert.equal(s.appScreen, 'missions');
      r.tapRect(LAYOUT.popup.error.retry);
      s = r.state();
      assert.equal(s.popup, null);
      assert.equal(s.screen, 'home', 'Retry goes back to the screen before the failed transition');

      // BACK closes a pop-up too (an error's BACK acts like Retry).
      r.game.forcePopup('daily');
      r.tapRect(LAYOUT.home.packsButton);
      r.game.key(4);
      assert.equal(r.state().popup, null);
      assert.equal(r.game.screen(), 'packSelect');
      r.game.forceError();
      r.tapRect(LAYOUT.packSelect.open);
      r.game.key(4);
      assert.equal(r.game.screen(), 'packSelect');
      assert.throws(() => r.game.forcePopup('bogus' as never), (e: unknown) => e instanceof GameConfigError && e.code === 'invalid-option');
    });

    it('a connection error after Next does not count the pack twice', () => {
      const r = rig();
      toHome(r);
      openPack(r);
      r.game.forceError();
      r.tapRect(LAYOUT.results.next);
      assert.equal(r.state().popup, 'error');
      assert.equal(r.state().account?.packsOpened, 1);
      r.tapRect(LAYOUT.popup.error.retry);
      assert.equal(r.game.screen(), 'results');
      r.tapRect(LAYOUT.results.next);
      assert.equal(r.game.screen(), 'home');
      assert.equal(r.state().account?.packsOpened, 1);
      assert.equal(intIn(r.accountText(), 'packsOpened'), 1);
    });

    it('treats a long press and a swipe in place as a press; logs swipes, text and keys', () => {
      const r = rig();
      toHome(r);
      const c = { x: Math.round((LAYOUT.home.packsButton.x + 20) * (width / 540)), y: Math.round((LAYOUT.home.packsButton.y + 20) * (height / 960)) };
      r.game.swipe(c.x, c.y + 200, c.x, c.y - 200, 300);
      assert.equal(r.game.screen(), 'home', 'a real swipe is not a press');
      r.game.swipe(c.x, c.y, c.x + 2, c.y, 800);
      assert.equal(r.game.screen(), 'packSelect');
      r.game.key(4);
      r.game.longPress(c.x, c.y, 1000);
      assert.equal(r.game.screen(), 'packSelect');
      r.game.text('hello world');
      r.game.key(66);
      const s = r.state();
      assert.equal(s.input.swipes.length, 2);
      assert.deepEqual(s.input.longPresses, [{ x: c.x, y: c.y, durationMs: 1000 }]);
      assert.deepEqual(s.input.texts, ['hello world']);
      assert.deepEqual(s.input.keys, [4, 66]);
      assert.ok(s.input.taps >= 1);
      for (let i = 0; i < 50; i++) {
        r.game.text(`t${i}`);
      }
      assert.equal(r.state().input.texts.length, 20, 'logs are bounded');
    });
  });
}

describe('(unit) Pocket Packs pop-ups, determinism and options', () => {
  /** Closes whatever pop-up is up with its own control; returns its kind. */
  function dismiss(r: Rig): string | null {
    const kind = r.state().popup;
    if (kind === 'daily') {
      r.tapRect(LAYOUT.popup.daily.ok);
    } else if (kind === 'notice') {
      r.tapRect(LAYOUT.popup.notice.close);
    } else if (kind === 'error') {
      r.tapRect(LAYOUT.popup.error.retry);
    }
    return kind;
  }

  /** Walks title -> home -> missions -> home ... and records the pop-up (or null) after each transition. */
  function sequence(seed: number, popupRate: number): (string | null)[] {
    const r = makeRig({ seed, popupRate });
    const popups: (string | null)[] = [];
    for (let i = 0; i < 20; i++) {
      dismiss(r);
      const screen = r.game.screen();
      if (screen === 'title') {
        r.tapRect(LAYOUT.title.tapToStart);
      } else if (screen === 'home') {
        r.tapRect(LAYOUT.home.missionsButton);
      } else {
        assert.equal(screen, 'missions');
        r.game.key(4);
      }
      popups.push(r.state().popup);
    }
    return popups;
  }

  it('draws pop-ups from the seed at the configured rate', () => {
    const a = sequence(7, 0.5);
    assert.deepEqual(sequence(7, 0.5), a, 'same seed, same pop-ups');
    assert.ok(a.some((p) => p !== null) && a.some((p) => p === null));
    assert.notDeepEqual(sequence(8, 0.5), a);
    assert.ok(sequence(7, 1).every((p) => p !== null), 'rate 1: a pop-up at every transition');
    assert.ok(sequence(7, 0).every((p) => p === null), 'rate 0: never');
    const kinds = new Set([...sequence(3, 1), ...sequence(4, 1)]);
    assert.deepEqual([...kinds].sort(), ['daily', 'error', 'notice']);
  });

  it('uses popupRate 0.1 by default', () => {
    const r = makeRig();
    const g = createPocketPacksGame({ width: 540, height: 960, seed: 1, fs: r.fs, now: r.time.now });
    assert.equal(g.state().popupRate, 0.1);
  });

  /** Opens `packs` packs with pop-ups on (0.3), dismissing them as they come; returns each pack's rarities. */
  function playPacks(seed: number, packs: number): number[][] {
    const r = makeRig({ seed, popupRate: 0.3 });
    const out: number[][] = [];
    for (let step = 0; step < 200 && out.length < packs; step++) {
      if (dismiss(r)) {
        continue;
      }
      switch (r.game.screen()) {
        case 'title':
          r.tapRect(LAYOUT.title.tapToStart);
          break;
        case 'home':
          r.tapRect(LAYOUT.home.packsButton);
          break;
        case 'packSelect':
          r.tapRect(LAYOUT.packSelect.open);
          break;
        case 'opening':
          r.time.advance(1500);
          r.game.tap(3, 3);
          assert.equal(r.state().appScreen, 'results');
          out.push(r.state().lastResults);
          break;
        case 'results':
          r.tapRect(LAYOUT.results.next);
          break;
        default:
          assert.fail(`unexpected screen ${r.game.screen()}`);
      }
    }
    assert.equal(out.length, packs);
    return out;
  }

  it('same seed and inputs give the same cards; different seeds give different cards', () => {
    const a = playPacks(11, 6);
    assert.deepEqual(playPacks(11, 6), a);
    assert.notDeepEqual(playPacks(12, 6), a);
  });

  it('rejects bad options with a typed error', () => {
    const fs = new MemoryFs();
    const base = { width: 540, height: 960, seed: 1, fs, now: () => 0 };
    for (const bad of [{ width: 0 }, { height: 10.5 }, { width: 100000 }, { popupRate: 2 }, { popupRate: -0.1 }, { seed: Number.NaN }, { boot: 'desk' as never }]) {
      assert.throws(
        () => createPocketPacksGame({ ...base, ...bad }),
        (e: unknown) => e instanceof GameConfigError && e.code === 'invalid-option',
        JSON.stringify(bad),
      );
    }
  });
});
