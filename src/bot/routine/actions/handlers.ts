/** The table from action name to its implementation. Every action of the language has exactly one entry. */
import type { Engine, ExecContext } from '../context';
import type { ActionName } from '../actionCatalogue';
import type { StepOf } from '../loadedTypes';
import { checkoutAccount, completeAccount, failAccount, getAccountField, returnAccount, updateAccount } from './accounts';
import { launchApp, restartApp, screenshot, stopApp } from './app';
import { assert, breakAction, call, continueAction, fail, ifAction, repeat, returnAction, stop, untilAction, whileAction } from './flow';
import { key, longPress, swipe, tap, text } from './input';
import { decrement, increment, log, set } from './variables';
import { wait, waitFor, waitStable } from './waits';

export type ActionHandler<A extends ActionName> = (step: StepOf<A>, ctx: ExecContext, engine: Engine) => Promise<void>;

export const ACTION_HANDLERS: { readonly [A in ActionName]: ActionHandler<A> } = {
  tap,
  longPress,
  swipe,
  text,
  key,
  wait,
  waitFor,
  waitStable,
  if: ifAction,
  while: whileAction,
  until: untilAction,
  repeat,
  break: breakAction,
  continue: continueAction,
  call,
  return: returnAction,
  stop,
  fail,
  assert,
  set,
  increment,
  decrement,
  launchApp,
  stopApp,
  restartApp,
  log,
  screenshot,
  checkoutAccount,
  completeAccount,
  returnAccount,
  failAccount,
  updateAccount,
  getAccountField,
};

