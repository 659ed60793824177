import { ensureImage } from './image-build.js';

/** Builds the image once, before any test file starts, and says what each step took. */
export async function setup(): Promise<void> {
  const t = Date.now();
  const image = await ensureImage();
  const s = image.seconds;
  console.log(`image ${image.ref} (${image.id.slice(0, 12)}): stand-in base ${s.base} s, import ${s.import} s, build ${s.build} s; ${Math.round((Date.now() - t) / 1000)} s in all`);
}
