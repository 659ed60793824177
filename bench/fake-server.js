// The HTTP part the bench's fake forges share (tag-to-upload.js's GitLab, fake-github.js):
// reads each request's body, sends what `answer` returns, and lets `until` check a
// condition again after every answered request.
import http from 'node:http';

/** `answer(req, rawBody)` returns `{ status, headers, text }`; resolves to `{ url, until, close }`. */
export function serveFake(answer) {
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { status, headers, text } = answer(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, headers);
      res.end(text);
      for (const w of waiters.splice(0)) w();
    });
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({
        url: `http://127.0.0.1:${server.address().port}`,
        /** Resolves once check() holds after some request, or rejects after ms. */
        until: async (check, ms, what) => {
          const deadline = Date.now() + ms;
          while (!check()) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
            await new Promise((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
        },
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}
