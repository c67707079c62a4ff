/**
 * Compile-time proof that VS Code's disposable and event shapes fit the core's vscode-free ones, so core
 * events can be handed to VS Code APIs (and vice versa) without adapters. Nothing here runs.
 */
import type * as vscode from 'vscode';
import type { Disposable, Event } from '../../shared/lifecycle';

type Assert<T extends true> = T;
type Fits<A, B> = A extends B ? true : false;

export type DisposableFits = Assert<Fits<vscode.Disposable, Disposable>>;
export type CoreEventFitsVscode = Assert<Fits<Event<number>, vscode.Event<number>>>;
export type VscodeEventFitsCore = Assert<Fits<vscode.Event<number>, (listener: (e: number) => void) => Disposable>>;
