import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// inclusive time per function key via parent map
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const dt = p.timeDeltas; let total = 0;
for (let i = 0; i < p.samples.length; i++) { self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0)); }
const incl = new Map();
for (const [id, t] of self) {
  const n = byId.get(id); if (n.callFrame.functionName === '(idle)') continue; total += t;
  const seen = new Set(); let cur = id;
  while (cur !== undefined) { const f = byId.get(cur).callFrame; const key = `${f.functionName || '(anon)'} ${f.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${f.lineNumber}`; if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) ?? 0) + t); } cur = parent.get(cur); }
}
[...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 60)).forEach(([k, t]) => console.log((100 * t / total).toFixed(1).padStart(5), k));
