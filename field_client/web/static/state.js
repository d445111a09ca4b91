// The app's state: the signed-in installer, the last known jobs, the queue, notices.

import * as store from "./store.js";
import { useToken } from "./api.js";
import { uuid } from "./dom.js";

export const state = {
  session: JSON.parse(localStorage.getItem("fwt.session") || "null"),
  online: navigator.onLine,
  syncing: false,
  lastSync: localStorage.getItem("fwt.lastSync"),
  queue: [],
  jobs: new Map(),
  days: new Map(),
  notices: [],
};
useToken(state.session && state.session.token);

let render = () => {};

export function onChange(renderer) {
  render = renderer;
}

export function changed(navigated = false) {
  render(navigated);
}

export function saveSession(session) {
  state.session = session;
  useToken(session && session.token);
  if (session) localStorage.setItem("fwt.session", JSON.stringify(session));
  else localStorage.removeItem("fwt.session");
}

// Tell the installer something; passing news (not warnings) goes away by itself.
export function notify(text, { passing = false } = {}) {
  const id = uuid();
  state.notices.push({ id, text });
  changed();
  if (passing) {
    setTimeout(() => {
      state.notices = state.notices.filter((notice) => notice.id !== id);
      changed();
    }, 6000);
  }
}

export async function loadLocal() {
  state.queue = await store.queued();
  state.jobs = new Map((await store.allJobs()).map((job) => [job.id, job]));
  state.days = new Map((await store.allDays()).map((day) => [day.date, day]));
}

export async function reloadQueue() {
  state.queue = await store.queued();
}

export async function remember(route) {
  await store.putJobs(route.jobs);
  const day = {
    date: route.date,
    today: route.today,
    timezone: route.timezone,
    ids: route.jobs.map((job) => job.id),
  };
  await store.putDay(day);
  state.days.set(day.date, day);
  for (const job of route.jobs) state.jobs.set(job.id, job);
}

export async function rememberJob(job) {
  await store.putJobs([job]);
  state.jobs.set(job.id, job);
}

export function today() {
  const known = [...state.days.values()].map((day) => day.today).sort();
  return known.length ? known[known.length - 1] : null;
}

export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// The lifecycle as the phone applies it optimistically; the server has the last word.
const TARGET = {
  en_route: "en_route",
  arrived: "on_site",
  start_work: "in_progress",
  complete: "completed",
  fail: "failed",
};
const NEXT = {
  dispatched: ["en_route"],
  en_route: ["arrived"],
  on_site: ["start_work", "fail"],
  in_progress: ["complete", "fail"],
};

// A job as it stands on this phone: the server's copy with the queued changes applied.
export function view(job) {
  const pending = state.queue.filter((item) => item.job_id === job.id);
  let status = job.outcome ? "failed" : job.status;
  for (const item of pending) if (item.kind === "event") status = TARGET[item.body.type];
  const events = pending.filter((item) => item.kind === "event");
  const actions = events.length ? NEXT[status] || [] : job.outcome ? [] : job.actions;
  return {
    ...job,
    status,
    actions,
    pending: pending.length,
    localUploads: pending.filter((item) => item.kind === "upload"),
  };
}
