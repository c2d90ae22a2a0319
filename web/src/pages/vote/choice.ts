/**
 * The voter's own choice. The server knows the voter by an HttpOnly cookie the page cannot read, and
 * answers only counts, so the page remembers what this browser voted for itself.
 */
const KEY = 'shipshape.vote.choice';

export function readChoice(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveChoice(option: string): void {
  try {
    localStorage.setItem(KEY, option);
  } catch {
    // Storage off (private mode): the choice is shown until the page is left.
  }
}
