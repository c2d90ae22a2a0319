import { randomBytes } from 'node:crypto';

const adjectives = ['Quiet', 'Silver', 'Last', 'Hidden', 'Broken', 'Golden', 'Northern', 'Lonely', 'Secret', 'Wild'];
// 50 nouns: each search term below matches movies.count / 50 movies (20 of the default 1,000).
const nouns = [
  'harbor',
  'river',
  'garden',
  'station',
  'island',
  'mirror',
  'engine',
  'lantern',
  'forest',
  'letter',
  'bridge',
  'summer',
  'winter',
  'castle',
  'valley',
  'signal',
  'shadow',
  'thunder',
  'compass',
  'anchor',
  'canyon',
  'meadow',
  'harvest',
  'voyage',
  'orchard',
  'glacier',
  'lighthouse',
  'desert',
  'border',
  'canvas',
  'machine',
  'orbit',
  'empire',
  'kingdom',
  'journey',
  'promise',
  'window',
  'rooftop',
  'carnival',
  'circus',
  'frontier',
  'monsoon',
  'avenue',
  'tunnel',
  'satellite',
  'volcano',
  'whisper',
  'ember',
  'horizon',
  'crossing',
];

/**
 * Seeds `count` movies through the public API (so it works against any stack) and answers their ids
 * and the search terms. Every title carries `<noun>-<run tag>`, so a search term matches only this
 * run's movies, about count/50 of them, whatever else the catalogue holds.
 */
export async function seedMovies(gatewayUrl, count, { concurrency = 16, progress } = {}) {
  const tag = randomBytes(3).toString('hex');
  const ids = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const noun = nouns[index % nouns.length];
      const adjective = adjectives[Math.floor(index / nouns.length) % adjectives.length];
      const response = await fetch(`${gatewayUrl}/api/movies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          title: `The ${adjective} ${noun[0].toUpperCase()}${noun.slice(1)} ${index + 1} (${noun}-${tag})`,
          description: `Benchmark movie ${index + 1} of ${count}: a ${adjective.toLowerCase()} story about a ${noun}, seeded by bench/run.mjs.`,
        }),
      });
      const body = await response.json().catch(() => undefined);
      if (response.status !== 201 || typeof body?.id !== 'number') {
        throw new Error(`POST /api/movies answered ${response.status}: ${JSON.stringify(body)}`);
      }
      ids.push(body.id);
      if (ids.length % 100 === 0) progress?.update(`  seeding movies  ${ids.length}/${count}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    ids,
    searchTerms: nouns.slice(0, Math.min(nouns.length, count)).map((noun) => `${noun}-${tag}`),
    /** Removes what was seeded, one by one: a target stack may hold movies that are not ours. */
    async remove() {
      let position = 0;
      const remover = async () => {
        while (position < ids.length) {
          const id = ids[position++];
          const response = await fetch(`${gatewayUrl}/api/movies/${id}`, { method: 'DELETE' });
          await response.arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, remover));
    },
  };
}

/** A valid order, as the crud-master clients send it (numbers as strings). */
export const orderBody = JSON.stringify({ user_id: '3', number_of_items: '5', total_amount: '180' });
