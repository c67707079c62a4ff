import { strict as assert } from 'node:assert';
import { checkAttachArguments, checkLaunchArguments, routineNameOfFile } from '../../../src/extension/debug/config';
import { adbServerOf } from '../../../src/extension/debug/fleetHost';

describe('(unit) debug configurations', () => {
  it('a launch keeps what it knows and refuses bad values with the message the user reads', () => {
    const ok = checkLaunchArguments({ type: 'emulator-fleet', request: 'launch', name: 'x', routine: ' farm_premium ', params: { packs: 2 }, device: 'virtual', pool: 'premium_accounts', stopOnEntry: true, seed: 4 });
    assert.deepEqual(ok, { ok: true, value: { routine: 'farm_premium', params: { packs: 2 }, device: 'virtual', pool: 'premium_accounts', stopOnEntry: true, seed: 4 } });
    const bad: Array<[unknown, RegExp]> = [
      [{}, /needs "routine"/],
      [{ routine: '  ' }, /needs "routine"/],
      [{ routine: 'a', params: [1] }, /"params" is a map/],
      [{ routine: 'a', device: 3 }, /"device" is "virtual" or a device serial/],
      [{ routine: 'a', stopOnEntry: 'yes' }, /"stopOnEntry" is true or false/],
      [{ routine: 'a', seed: 1.5 }, /"seed" is an integer/],
      [{ routine: 'a', pool: '' }, /"pool" is the name of an account pool/],
    ];
    for (const [args, message] of bad) {
      const r = checkLaunchArguments(args);
      assert.equal(r.ok, false, JSON.stringify(args));
      assert.match(r.ok ? '' : r.message, message, JSON.stringify(args));
    }
  });

  it('an attach needs a group and an instance (a number is taken as its name)', () => {
    assert.deepEqual(checkAttachArguments({ group: 'Premium Farmers', instance: 2 }), { ok: true, value: { group: 'Premium Farmers', instance: '2' } });
    assert.match(JSON.stringify(checkAttachArguments({ instance: '1' })), /needs \\"group\\"/);
    assert.match(JSON.stringify(checkAttachArguments({ group: 'g' })), /needs \\"instance\\"/);
  });

  it('a routine file\'s registry name; anything else is not a routine', () => {
    assert.equal(routineNameOfFile('routines/nav/to_home.yaml'), 'nav/to_home');
    assert.equal(routineNameOfFile('./routines/farm_premium.yml'), 'farm_premium');
    assert.equal(routineNameOfFile('routines\\sentries\\popups.yaml'), 'sentries/popups');
    assert.equal(routineNameOfFile('groups/premium_farmers.yaml'), undefined);
    assert.equal(routineNameOfFile('routines/readme.md'), undefined);
  });

  it('the ADB server of a launch on a device: its own, else the environment\'s port, else the default', () => {
    assert.equal(adbServerOf({ routine: 'a', adbServer: '10.0.0.2:5037' }, {}), '10.0.0.2:5037');
    assert.equal(adbServerOf({ routine: 'a' }, { ANDROID_ADB_SERVER_PORT: '5099' }), '127.0.0.1:5099');
    assert.equal(adbServerOf({ routine: 'a' }, {}), '127.0.0.1:5037');
  });
});
