// The field app's service worker: keeps the app shell so the app opens with no signal.
// The server writes in the version (a digest of the shell) and the list of shell files.

const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const CACHE = `fwt-field-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("fwt-field-") && key !== CACHE).map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// Shell files come from the cache; the API (/api/…) is never cached here: the app keeps its
// own data in IndexedDB and queues its changes there.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/field/") || url.pathname === "/field/sw.js") return;
  event.respondWith(fromShell(event.request));
});

async function fromShell(request) {
  const cache = await caches.open(CACHE);
  // Every page of the app is the one shell; the route lives in the #fragment.
  const key = request.mode === "navigate" ? "/field/" : request;
  const hit = await cache.match(key, { ignoreSearch: true });
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (error) {
    return new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  }
}
