import { describe, expect, it } from 'vitest';
import { wheelDistInfoDir } from '../../src/core/wheel-dist-info.js';

// warehouse: `name, version, _ = filename.split("-", 2)`, then `{name}-{version}.dist-info`.
describe('wheelDistInfoDir', () => {
  it.each([
    ['sample_pkg-1.2.3-py3-none-any.whl', 'sample_pkg-1.2.3.dist-info'],
    ['demo-1.0-1build-py3-none-any.whl', 'demo-1.0.dist-info'],
    ['torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl', 'torch-2.1.0+cu121.dist-info'],
    // The file name's own spelling, not normalized.
    ['Sample.Pkg-01.0-py3-none-any.whl', 'Sample.Pkg-01.0.dist-info'],
    ['a-b-c', 'a-b.dist-info'],
    ['demo-1.0.whl', null],
    ['demo.whl', null],
    ['', null],
  ])('%j -> %j', (filename, dir) => {
    expect(wheelDistInfoDir(filename)).toBe(dir);
  });
});
