// What the installer does: actions are queued first and shown at once, then synced.

import { ApiError, Offline, field } from "./api.js";
import { h, metresBetween, uuid } from "./dom.js";
import { distanceLabel, t } from "./i18n.js";
import * as store from "./store.js";
import { addDays, changed, notify, reloadQueue, remember, saveSession, state } from "./state.js";
import { pushQueue } from "./sync.js";

const ARRIVAL_RADIUS_M = 500;
const RETRY_MS = 15000;
let timer = null;
let again = false;

export function go(hash) {
  if (location.hash === hash) changed(true);
  else location.hash = hash;
}

export function syncSoon(delay = 200) {
  clearTimeout(timer);
  timer = setTimeout(syncNow, delay);
}

async function refresh() {
  const current = await field.route();
  await remember(current);
  await remember(await field.route(addDays(current.today, 1)));
}

// Push the queue, then fetch today's and tomorrow's jobs. Safe to call at any time.
export async function syncNow() {
  if (!state.session) return;
  if (state.syncing) {
    again = true; // signal came back (or a change was made) during this round: go once more
    return;
  }
  again = false;
  state.syncing = true;
  changed();
  try {
    await pushQueue();
    await refresh();
    state.online = true;
    state.lastSync = new Date().toISOString();
    localStorage.setItem("fwt.lastSync", state.lastSync);
  } catch (error) {
    if (error instanceof Offline) state.online = false;
    else if (error instanceof ApiError && error.status === 401) {
      saveSession(null); // the queue stays: it syncs after the next sign-in
      notify(t("signed_out"));
    } else if (!(error instanceof ApiError)) throw error;
  } finally {
    state.syncing = false;
    await reloadQueue();
    changed();
  }
  if (again) syncSoon(0);
  // Weak signal (the phone thinks it is online, requests fail): try again soon. With no
  // signal at all the browser's "online" event starts the next round.
  else if (state.queue.length && state.session && navigator.onLine) syncSoon(RETRY_MS);
}

// Queue one change (with the uploads it needs, in the same transaction) and show it at once.
export async function queueEvent(jobId, type, fields = {}, uploads = []) {
  const body = { client_event_id: uuid(), type, client_time: new Date().toISOString(), ...fields };
  await store.enqueue([...uploads, { kind: "event", id: body.client_event_id, job_id: jobId, body }]);
  await reloadQueue();
  changed();
  syncSoon();
}

function toast(text) {
  const element = h("div", { class: "toast", role: "status" }, text);
  document.body.append(element);
  return () => element.remove();
}

// Where the phone is, or null (no permission, no fix in time).
export function locate(timeout) {
  if (!navigator.geolocation) return Promise.resolve(null);
  const done = toast(t("locating"));
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (found) => {
        done();
        resolve({
          lat: found.coords.latitude,
          lon: found.coords.longitude,
          accuracy_m: Math.round(found.coords.accuracy ?? 0),
        });
      },
      () => {
        done();
        resolve(null);
      },
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    );
  });
}

export function confirmDialog(title, body, yes) {
  return new Promise((resolve) => {
    const close = (answer) => {
      overlay.remove();
      resolve(answer);
    };
    const overlay = h(
      "div",
      { class: "overlay" },
      h(
        "div",
        { class: "dialog", role: "alertdialog", "aria-label": title },
        h("h2", {}, title),
        h("p", {}, body),
        h(
          "div",
          { class: "actions" },
          h("button", { class: "btn btn-ghost", "data-answer": "no", onclick: () => close(false) }, t("cancel")),
          h("button", { class: "btn btn-primary", "data-answer": "yes", onclick: () => close(true) }, yes),
        ),
      ),
    );
    document.body.append(overlay);
  });
}

export async function act(job, action) {
  if (action === "complete" || action === "fail") {
    go(`#/job/${job.id}/${action}`);
    return;
  }
  let position = null;
  if (action === "en_route" || action === "arrived") {
    position = await locate(action === "arrived" ? 10000 : 4000);
  }
  if (action === "arrived") {
    if (position) {
      const distance = metresBetween(position, job);
      if (
        distance > ARRIVAL_RADIUS_M &&
        !(await confirmDialog(t("far_title"), t("far_body", { distance: distanceLabel(distance) }), t("arrive_anyway")))
      ) {
        return;
      }
    } else {
      notify(t("no_position"));
    }
  }
  await queueEvent(job.id, action, position ? { position } : {});
}
