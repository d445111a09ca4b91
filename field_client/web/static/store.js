// What the phone keeps: the queue of changes not yet synced, and the last known jobs (IndexedDB).

const DB_NAME = "fuwutong-field";
const VERSION = 1;
let opened = null;

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        // Changes in the order they were made; seq is the order they are synced in.
        db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("jobs", { keyPath: "id" });
        db.createObjectStore("days", { keyPath: "date" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(stores, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    let result;
    Promise.resolve(work(tx)).then((value) => {
      result = value;
    }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function all(store) {
  return new Promise((resolve, reject) => {
    const request = store.getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function one(store, key) {
  return new Promise((resolve, reject) => {
    const request = store.get(key);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Add changes in one transaction: a completion and its photos are queued together or not at all.
export function enqueue(items) {
  return run(["queue"], "readwrite", (tx) => {
    const store = tx.objectStore("queue");
    for (const item of items) store.add({ ...item, queued_at: new Date().toISOString() });
  });
}

export function queued() {
  return run(["queue"], "readonly", (tx) => all(tx.objectStore("queue")));
}

export function dequeue(seqs) {
  return run(["queue"], "readwrite", (tx) => {
    const store = tx.objectStore("queue");
    for (const seq of seqs) store.delete(seq);
  });
}

// Forget every queued change of one job (after the server said the job moved on); return how many.
export async function dropJob(jobId) {
  const items = (await queued()).filter((item) => item.job_id === jobId);
  await dequeue(items.map((item) => item.seq));
  return items.length;
}

export function putJobs(jobs) {
  return run(["jobs"], "readwrite", (tx) => {
    const store = tx.objectStore("jobs");
    for (const job of jobs) store.put(job);
  });
}

export function getJob(id) {
  return run(["jobs"], "readonly", (tx) => one(tx.objectStore("jobs"), id));
}

export function deleteJob(id) {
  return run(["jobs"], "readwrite", (tx) => tx.objectStore("jobs").delete(id));
}

export function allJobs() {
  return run(["jobs"], "readonly", (tx) => all(tx.objectStore("jobs")));
}

export function putDay(day) {
  return run(["days"], "readwrite", (tx) => tx.objectStore("days").put(day));
}

export function allDays() {
  return run(["days"], "readonly", (tx) => all(tx.objectStore("days")));
}

export function clearAll() {
  return run(["queue", "jobs", "days"], "readwrite", (tx) => {
    for (const name of ["queue", "jobs", "days"]) tx.objectStore(name).clear();
  });
}
