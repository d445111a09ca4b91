// Send the queue in order. Each change applies once on the server (client ids); a change the
// job no longer allows is undone here, with the job refreshed and the installer told.

import * as store from "./store.js";
import { ApiError, field } from "./api.js";
import { refusal, t } from "./i18n.js";
import { notify, rememberJob } from "./state.js";

const BATCH = 50;

function retryable(error) {
  return !(error instanceof ApiError) || error.status === 401 || error.status === 429 || error.status >= 500;
}

async function undoJob(jobId, error, current) {
  const undone = await store.dropJob(jobId);
  let job = current;
  if (!job) {
    try {
      job = await field.job(jobId);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) await store.deleteJob(jobId);
      else throw failure;
    }
  }
  if (job) await rememberJob(job);
  const state = job ? t(job.outcome ? "st_failed" : `st_${job.status}`) : t("st_cancelled");
  notify(t("stale", { job: jobId, state, n: undone }));
  if (error && error.code === "proof_missing") notify(t("rejected", { job: jobId, message: refusal(error) }));
}

async function pushUpload(item) {
  try {
    await field.upload(item.job_id, item.upload_kind, item.id, item.blob);
  } catch (error) {
    if (retryable(error)) throw error;
    if ([404, 409, 410].includes(error.status)) return undoJob(item.job_id, error.detail);
    notify(t("rejected", { job: item.job_id, message: refusal(error) }));
  }
  await store.dequeue([item.seq]);
}

async function pushEvents(items) {
  let answer;
  try {
    answer = await field.sync(items.map((item) => ({ ...item.body, job_id: item.job_id })));
  } catch (error) {
    if (retryable(error) || error.status !== 422) throw error;
    // The batch did not validate: drop the events it names (or the first), keep the rest.
    const named = Object.keys((error.fields && error.fields.events) || {}).map(Number);
    const bad = named.length ? named.filter((n) => items[n]) : [0];
    for (const n of bad) notify(t("rejected", { job: items[n].job_id, message: refusal(error) }));
    await store.dequeue(bad.map((n) => items[n].seq));
    return;
  }
  for (const [n, result] of answer.results.entries()) {
    const item = items[n];
    if (result.result !== "rejected") {
      await store.dequeue([item.seq]);
      if (result.job) await rememberJob(result.job);
    } else if ([404, 409, 410].includes(result.status)) {
      await undoJob(item.job_id, result.error, result.job);
    } else {
      await store.dequeue([item.seq]);
      notify(t("rejected", { job: item.job_id, message: refusal(result.error) }));
    }
  }
}

// Push everything queued, oldest first; throws Offline, or ApiError 401/429/5xx, to retry later.
export async function pushQueue() {
  for (;;) {
    const queue = await store.queued();
    if (!queue.length) return;
    if (queue[0].kind === "upload") {
      await pushUpload(queue[0]);
      continue;
    }
    const events = [];
    for (const item of queue) {
      if (item.kind !== "event" || events.length === BATCH) break;
      events.push(item);
    }
    await pushEvents(events);
  }
}
