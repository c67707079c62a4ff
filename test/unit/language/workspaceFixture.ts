/** An in-process language-server workspace for unit tests: a temporary copy of the shipped workspace and the pieces the features use. */
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { NodeFileStore } from '../../../src/host/nodePorts';
import { DeviceList } from '../../../src/language/devices';
import type { FileModel } from '../../../src/language/fileModel';
import { OverlayFileStore } from '../../../src/language/overlayFileStore';
import { WorkspaceIndex } from '../../../src/language/workspaceIndex';
import { WorkspacePaths } from '../../../src/language/workspacePaths';
import { copyWorkspace, marked } from '../../support/lspClient';

export class Workspace {
  readonly root = copyWorkspace();
  readonly paths = new WorkspacePaths(this.root);
  readonly store = new OverlayFileStore(new NodeFileStore(this.root));
  readonly index = new WorkspaceIndex(this.store);
  readonly devices = new DeviceList();

  get deps(): { index: WorkspaceIndex; paths: WorkspacePaths; devices: DeviceList } {
    return { index: this.index, paths: this.paths, devices: this.devices };
  }

  /** Opens a document with this text (an unsaved editor buffer) and returns its model. */
  open(rel: string, text: string): FileModel {
    this.store.set(rel, text);
    const m = this.index.modelOf(rel, text);
    if (!m) {
      throw new Error(`${rel} is not served`);
    }
    return m;
  }

  /** Opens a document whose text marks a position with `|`; returns the model and the offset. */
  openAt(rel: string, textWithCursor: string): { model: FileModel; offset: number } {
    const m = marked(textWithCursor);
    const model = this.open(rel, m.text);
    return { model, offset: model.lines.offsetAt({ line: m.line, character: m.character }) };
  }

  async model(rel: string): Promise<FileModel> {
    const m = await this.index.model(rel);
    if (!m) {
      throw new Error(`no model for ${rel}`);
    }
    return m;
  }

  /** Writes a file to disk (and tells the index, as the client's file watcher would). */
  write(rel: string, text: string): void {
    mkdirSync(path.dirname(path.join(this.root, rel)), { recursive: true });
    writeFileSync(path.join(this.root, rel), text);
    this.index.invalidate([rel], true);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
