// `node --import ./record-loaded-modules.mjs ...`: appends the URL of every ES module the
// process loads to the file named by PYRELEASE_TEST_LOADED_MODULES, one a line, so that a
// test can tell which packages a started process has loaded (test/composition/lazy-loading.test.ts).
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, next) {
  appendFileSync(file, url + '\\n');
  return next(url, context);
}`;

const file = process.env.PYRELEASE_TEST_LOADED_MODULES;
if (file !== undefined && file !== '') register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { file } });
