// Maintainer tool: regenerate public/models/manifest.json from a local copy of the assets.
// Usage: node scripts/make-manifest.mjs [sharedDir]   (default ../shared)
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const shared = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..', 'shared'));
const model = 'magenta-arbitrary-style-mobile';
const styles = [
  'black_zigzag', 'bricks', 'composition_vii', 'great_wave_off_kanagawa', 'red_texture',
  'shipwreck_of_the_minotaur', 'starry_night', 'the_scream', 'udnie', 'vallotton_camille_mauclair',
  'van_doesburg_composition_xiii', 'zigzag_colorful',
];
const modelFiles = [
  'LICENSE', 'MODEL.md', 'SOURCE.md',
  'style-predictor/model.json', 'style-predictor/group1-shard1of2.bin', 'style-predictor/group1-shard2of2.bin',
  'style-transformer/model.json', 'style-transformer/group1-shard1of1.bin',
  'styles/bottlenecks.json', 'styles/SOURCE.md', 'styles/README.magenta-style_images.md',
  'styles/LICENSE.mace-models.Apache-2.0.txt', 'styles/LICENSE.magenta.Apache-2.0.txt',
  'styles/LICENSE.neural-style.MIT.txt', 'styles/LICENSE.pytorch-examples.BSD-3-Clause.txt',
  ...styles.map((s) => `styles/${s}.jpg`),
].map((p) => `${model}/${p}`);
const mediaFiles = ['video/pexels-854100-people-walking-sidewalk-640x360-6s.webm', 'video/SOURCE.md'];

const entry = (root, path) => {
  const bytes = readFileSync(join(shared, root, path));
  return { root, path, size: statSync(join(shared, root, path)).size, sha256: createHash('sha256').update(bytes).digest('hex') };
};
const manifest = {
  description:
    'Every asset set-up installs into public/ (git-ignored), with its size and sha256. root "models" is copied from ' +
    '$STYLECAST_MODELS_DIR or ../shared/models into public/models/; root "media" from ../shared/media into public/media/.',
  model,
  presets: styles,
  files: [...modelFiles.map((p) => entry('models', p)), ...mediaFiles.map((p) => entry('media', p))],
};
writeFileSync(join(import.meta.dirname, '..', 'public', 'models', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${manifest.files.length} entries`);
