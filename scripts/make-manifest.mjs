// Maintainer tool: regenerate public/models/manifest.json (every asset set-up fetches, with size, sha256, licence
// and credit) from a local copy of the shared tree. Usage: node scripts/make-manifest.mjs [sharedDir] (default ../shared)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const shared = resolve(process.argv[2] ?? join(import.meta.dirname, '..', '..', 'shared'));
const model = 'magenta-arbitrary-style-mobile';
const raw = (repo, commit, path) => `https://raw.githubusercontent.com/${repo}/${commit}/${path}`;
const OFFICIAL = 'https://storage.googleapis.com/download.tensorflow.org/models/tflite/arbitrary_style_transfer';
const TFLITE_REPO = ['terryky/tflite_gles_app', 'gl2style_transfer/style_transfer_model'];
const NEURAL_STYLE = 'jcjohnson/neural-style';
const MAGENTA = ['magenta/magenta', '585baded97e50985fc67dfe78b6916e9468935d6', 'magenta/models/arbitrary_image_stylization/images/style_images'];
const PD = 'public domain';

const modelSource = (file, builds, commit) => ({
  name: file,
  kind: 'model source',
  path: `models/${model}/original-tflite/${file}`,
  url: `${OFFICIAL}/${file}`,
  sha256From: raw(TFLITE_REPO[0], commit, `${TFLITE_REPO[1]}/${file}`),
  builds,
  licence: 'Apache-2.0',
  credit: 'Google / Magenta, arbitrary image stylization (Ghiasi et al. 2017), official TFLite release',
});
const preset = (name, url, credit, licence = PD) => ({
  name,
  kind: 'style preset',
  path: `models/${model}/styles/${name}.jpg`,
  url,
  licence,
  credit,
});
const magenta = (name, file, credit, licence) => preset(name, raw(MAGENTA[0], MAGENTA[1], `${MAGENTA[2]}/${file}`), `${credit}; via magenta/magenta`, licence);

const assets = [
  modelSource('style_predict_quantized_256.tflite', 'style-predictor', 'c854fab3c6e93e5bf3f5664b50c684eb3d838be5'),
  modelSource('style_transfer_f16_384.tflite', 'style-transformer', '713927d6f5bc085350b46c5e3ca56cb13dac2fe9'),
  magenta('black_zigzag', 'black_zigzag.jpg', 'texture, Pixabay #2780587', 'CC0'),
  magenta('bricks', 'bricks_sq.jpg', 'photo texture, Pixabay #1448260', 'CC0'),
  preset('composition_vii', raw('asetoodehnia/Neural-Style-Transfer', '06e86a09ebb313a3cdb9de4cd325bdd1bd9e6de3', 'styles/composition_vii.jpg'), 'Wassily Kandinsky, Composition VII, 1913; via asetoodehnia/Neural-Style-Transfer'),
  preset('great_wave_off_kanagawa', raw('XiaoMi/mace-models', '9782d4dab95b6ca0adbc8a999c382cb13f71aa92', 'fast-style-transfer/imgs/style/wave.jpg'), 'Katsushika Hokusai, The Great Wave off Kanagawa, c.1831; via XiaoMi/mace-models'),
  magenta('red_texture', 'red_texture_sq.jpg', 'texture, Pixabay #2462491', 'CC0'),
  preset('shipwreck_of_the_minotaur', raw(NEURAL_STYLE, '87b08a91631fa4b5aec206f41af6bec31b1f445e', 'examples/inputs/shipwreck.jpg'), 'J. M. W. Turner, The Shipwreck of the Minotaur, c.1810; via jcjohnson/neural-style'),
  preset('starry_night', raw(NEURAL_STYLE, '3e0b4cfea7518c95ddb3be897848d081ab1e6532', 'examples/inputs/starry_night.jpg'), 'Vincent van Gogh, The Starry Night, 1889; via jcjohnson/neural-style'),
  preset('the_scream', raw(NEURAL_STYLE, 'f96c853fbd4f82864a13071273ad3b49e1933e9f', 'examples/inputs/the_scream.jpg'), 'Edvard Munch, The Scream, 1893; via jcjohnson/neural-style'),
  preset('udnie', raw('pytorch/examples', 'dc10cd8b13e6594ebf5a7a7f99016ee252d04e2e', 'fast_neural_style/images/style-images/udnie.jpg'), 'Francis Picabia, Udnie, 1913; via pytorch/examples', 'public domain in the US and EU (artist died 1953); check countries with longer terms'),
  magenta('vallotton_camille_mauclair', 'Camille_Mauclair.jpg', 'Félix Vallotton, woodcut portrait of Camille Mauclair, 1890s'),
  magenta('van_doesburg_composition_xiii', 'Theo_van_Doesburg_sq.jpg', 'Theo van Doesburg, Composition XIII (woman in studio), 1918'),
  magenta('zigzag_colorful', 'zigzag_colorful.jpg', 'pattern, publicdomainpictures.net #100795'),
  {
    name: 'pexels-854100-people-walking-sidewalk-960x540.mp4',
    kind: 'demo clip',
    path: 'media/video/pexels-854100-people-walking-sidewalk-960x540.mp4',
    url: raw('terryky/tflite_gles_app', 'd87853121bb2af4656afa13061adeef815311b87', 'gl2segmentation/assets/pexels_video.mp4'),
    licence: 'Pexels licence (https://www.pexels.com/license/)',
    credit: 'Pexels video 854100, "People walking by on a sidewalk"; via terryky/tflite_gles_app',
  },
  {
    name: 'pexels-854100-people-walking-sidewalk-640x360-6s.webm',
    kind: 'demo clip',
    path: 'media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm',
    url: null,
    note: 'made from the MP4 (first 6 s, 640x360, VP9); it has no public source, so it comes only from a local copy or $STYLECAST_MIRROR',
    licence: 'Pexels licence (https://www.pexels.com/license/)',
    credit: 'Pexels video 854100, "People walking by on a sidewalk"',
  },
];

// MediaPipe's mask models ship inside npm packages (dependencies in package.json): set-up takes them from
// node_modules first. The packages declare Apache-2.0 in package.json and carry no licence file.
const MASKS = 'mediapipe-masks';
const pkgVersion = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const maskSource = (pkg, file, builds, credit) => ({
  name: file,
  kind: 'mask model source',
  path: `models/${MASKS}/original-tflite/${file}`,
  url: null,
  builds,
  modelSet: MASKS,
  npm: { package: pkg, version: pkgVersion(pkg), file },
  licence: 'Apache-2.0 (declared in the package.json of the npm package; the package carries no licence file)',
  credit: `Google LLC, MediaPipe ${credit}; npm ${pkg}@${pkgVersion(pkg)}`,
  note: `installed by npm as part of ${pkg} (a dependency); $STYLECAST_MODELS_DIR or $STYLECAST_MIRROR may also hold it at this path`,
});
const root = join(import.meta.dirname, '..');
assets.push(
  maskSource('@mediapipe/selfie_segmentation', 'selfie_segmentation.tflite', 'person-segmenter', 'Selfie Segmentation (general, 256×256)'),
  maskSource('@mediapipe/selfie_segmentation', 'selfie_segmentation_landscape.tflite', 'person-segmenter-landscape', 'Selfie Segmentation (landscape, 144×256)'),
  maskSource('@mediapipe/face_detection', 'face_detection_short_range.tflite', 'face-detector-short', 'Face Detection, BlazeFace short-range (128×128)'),
  maskSource('@mediapipe/face_detection', 'face_detection_full_range.tflite', 'face-detector-full', 'Face Detection, BlazeFace full-range (192×192)'),
);

const withHash = (a) => {
  const bytes = readFileSync(a.npm ? join(root, 'node_modules', a.npm.package, a.npm.file) : join(shared, a.path));
  const { name, kind, path, url, ...rest } = a;
  return { name, kind, path, url, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ...rest };
};
const manifest = {
  description:
    'Every asset set-up fetches. "path" is its place in the shared tree (../shared, $STYLECAST_MIRROR) and, for presets and ' +
    'clips, under public/; "url" is its public source (null: local copies and mirrors only). Model sources are converted ' +
    'into public/models/<model>/<builds>/ by src/convert; preset style vectors are computed at set-up. "mask model source" ' +
    'assets ship in npm packages ("npm": package, version, file; taken from node_modules first) and are converted into ' +
    'public/models/<modelSet>/<builds>/ with an Apache-2.0 NOTICE.md and the licence text.',
  model,
  presets: assets.filter((a) => a.kind === 'style preset').map((a) => a.name),
  assets: assets.map(withHash),
};
writeFileSync(join(import.meta.dirname, '..', 'public', 'models', 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${manifest.assets.length} assets`);
