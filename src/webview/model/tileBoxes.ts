/** Which matches a monitor tile draws (pure: tested without a browser). */
import type { FrameMatch } from '../../shared/monitorProtocol';

/**
 * The boxes a tile draws: the found matches, or, when nothing was found, the best miss only. A step that checks ten
 * templates would cover a small tile with low-score boxes; the zoom draws every match.
 */
export function tileBoxes(matches: readonly FrameMatch[]): readonly FrameMatch[] {
  const found = matches.filter((m) => m.found);
  if (found.length > 0 || matches.length === 0) {
    return found;
  }
  return [matches.reduce((best, m) => (m.score > best.score ? m : best))];
}
