// The screens that show things: sign-in, a day's route, one job, the installer's page.

import { field, ApiError, Offline } from "./api.js";
import { h, icon, mapLink } from "./dom.js";
import { dayLabel, language, refusal, setLanguage, skill, t, timeOf } from "./i18n.js";
import * as store from "./store.js";
import { changed, saveSession, state, today, addDays, view } from "./state.js";
import { act, confirmDialog, go, syncSoon } from "./actions.js";

const photoUrls = new Map();

function statusChip(job) {
  const key = job.dispatched === false && job.status === "scheduled" ? "st_scheduled" : `st_${job.status}`;
  return h("span", { class: `chip chip-${job.status}` }, t(key));
}

function windowText(job) {
  if (!job.visit) return "—";
  return `${timeOf(job.visit.window_start, job.timezone)}–${timeOf(job.visit.window_end, job.timezone)}`;
}

function itemsText(job) {
  return job.items.map((item) => `${item.name} ×${item.quantity}`).join("，");
}

function actionButtons(job, { compact = false } = {}) {
  if (!job.dispatched && job.status === "scheduled") {
    return h("p", { class: "hint" }, t("not_dispatched"));
  }
  return h(
    "div",
    { class: compact ? "actions compact" : "actions" },
    job.actions.map((action) =>
      h(
        "button",
        {
          class: action === "fail" ? "btn btn-ghost" : "btn btn-primary",
          "data-action": action,
          onclick: (event) => {
            event.stopPropagation();
            act(job, action);
          },
        },
        t(`act_${action}`),
      ),
    ),
  );
}

function contactRow(job) {
  return h(
    "div",
    { class: "contact" },
    h("span", { class: "consumer" }, job.consumer.name),
    h("a", { class: "btn btn-small", href: `tel:${job.consumer.phone}`, onclick: (e) => e.stopPropagation() }, icon("phone"), t("call")),
  );
}

function addressRow(job) {
  return h(
    "div",
    { class: "address" },
    h("span", {}, job.address),
    h("a", { class: "btn btn-small", href: mapLink(job), onclick: (e) => e.stopPropagation() }, icon("pin"), t("navigate")),
  );
}

function jobCard(raw, position, dayDate) {
  const job = view(raw);
  const carried = job.visit && dayDate && job.visit.local_date < dayDate;
  return h(
    "article",
    { class: `card${job.pending ? " pending" : ""}`, "data-job": job.id, onclick: () => go(`#/job/${job.id}`) },
    h(
      "header",
      {},
      h("span", { class: "seq" }, String(position)),
      h("span", { class: "window" }, windowText(job)),
      statusChip(job),
    ),
    carried ? h("p", { class: "hint" }, t("carried_over")) : null,
    job.outcome ? h("p", { class: "warning" }, t(`reason_${job.outcome.reason}`)) : null,
    contactRow(job),
    addressRow(job),
    h("p", { class: "items" }, itemsText(job)),
    job.required_skills.length ? h("p", { class: "skills" }, job.required_skills.map((s) => h("span", { class: "tag" }, skill(s)))) : null,
    job.notes ? h("p", { class: "notes" }, job.notes) : null,
    job.pending ? h("p", { class: "pending-note" }, icon("clock"), `${t("waiting_sync")} (${job.pending})`) : null,
    actionButtons(job, { compact: true }),
  );
}

export function routeScreen(which) {
  const now = today();
  const date = which === "tomorrow" && now ? addDays(now, 1) : now;
  const day = date ? state.days.get(date) : null;
  const title = which === "tomorrow" ? t("tomorrow_title") : t("route_title");
  const jobs = day ? day.ids.map((id) => state.jobs.get(id)).filter(Boolean) : [];
  return h(
    "section",
    { class: "screen route", "data-screen": which },
    h("h1", {}, title, date ? h("small", {}, ` · ${dayLabel(date)}`) : null),
    !day ? h("p", { class: "empty" }, t("not_loaded")) : null,
    day && !jobs.length ? h("p", { class: "empty" }, t("no_jobs")) : null,
    jobs.map((job, n) => jobCard(job, n + 1, date)),
  );
}

// Goods received at the warehouse: the order code scanned (where the browser reads barcodes
// and QR codes) or typed. Online only: the dealer's customers are texted at once.
// What was typed and the last answer stay on the screen when it is drawn again (a sync
// round redraws it, possibly between typing the code and pressing the button).
const goodsAnswer = { code: "", text: "", bad: false };

function goodsForm() {
  const input = h("input", { type: "text", name: "code", autocomplete: "off", enterkeyhint: "done", placeholder: "OAK-1001", "aria-label": t("goods_code") });
  input.value = goodsAnswer.code;
  input.addEventListener("input", () => {
    goodsAnswer.code = input.value;
  });
  const result = h("p", { class: goodsAnswer.bad ? "hint bad" : "hint", role: "status" }, goodsAnswer.text);
  const show = (text, bad) => {
    Object.assign(goodsAnswer, { text, bad });
    for (const shown of document.querySelectorAll("form.goods [role=status]")) {
      shown.textContent = text;
      shown.className = bad ? "hint bad" : "hint";
    }
  };
  const submit = async (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) return;
    try {
      const done = await field.goodsReceived(code);
      const items = done.items.map((item) => `${item.name} ×${item.quantity}`).join("、");
      show(done.already ? t("goods_already", { order: done.external_id }) : t("goods_done", { order: done.external_id, who: done.consumer_name, items }), false);
      goodsAnswer.code = "";
      for (const typed of document.querySelectorAll("form.goods input[name=code]")) typed.value = "";
    } catch (error) {
      if (error instanceof Offline) show(t("goods_offline"), true);
      else if (error instanceof ApiError) show(refusal(error), true);
      else throw error;
    }
  };
  const scanner = "BarcodeDetector" in window ? scanButton(input, result) : null;
  return h(
    "form",
    { class: "goods", onsubmit: submit },
    h("p", { class: "hint" }, t("goods_hint")),
    h("div", { class: "row" }, input, scanner),
    h("button", { class: "btn", type: "submit" }, t("goods_submit")),
    result,
  );
}

function scanButton(input, result) {
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", hidden: true });
  camera.addEventListener("change", async () => {
    const file = camera.files && camera.files[0];
    if (!file) return;
    const found = await new window.BarcodeDetector().detect(await createImageBitmap(file)).catch(() => []);
    camera.value = "";
    if (found.length) input.value = goodsAnswer.code = found[0].rawValue.trim();
    else {
      result.textContent = t("goods_no_code");
      result.className = "hint bad";
    }
  });
  return h("label", { class: "btn btn-small" }, t("goods_scan"), camera);
}

function section(title, ...content) {
  return h("section", { class: "block" }, h("h2", {}, title), ...content);
}

function photoThumb(src, label, kind, waiting) {
  return h("figure", { class: `thumb ${kind}` }, h("img", { src, alt: label }), h("figcaption", {}, waiting ? icon("clock") : null, label));
}

function attachmentThumb(attachment) {
  const label = attachment.kind === "signature" ? t("signature") : t("photo");
  const img = h("img", { alt: label });
  const cached = photoUrls.get(attachment.id);
  if (cached) img.src = cached;
  else {
    field
      .attachment(attachment.id)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        photoUrls.set(attachment.id, url);
        img.src = url;
      })
      .catch(() => img.classList.add("missing"));
  }
  return h("figure", { class: `thumb ${attachment.kind}` }, img, h("figcaption", {}, label));
}

function localThumb(item) {
  if (!photoUrls.has(item.id)) photoUrls.set(item.id, URL.createObjectURL(item.blob));
  const label = item.upload_kind === "signature" ? t("signature") : t("photo");
  return photoThumb(photoUrls.get(item.id), label, item.upload_kind, true);
}

export function jobScreen(id) {
  const raw = state.jobs.get(id);
  if (!raw) return h("section", { class: "screen" }, h("p", { class: "empty" }, t("not_loaded")));
  const job = view(raw);
  const proof = [...job.attachments.map(attachmentThumb), ...job.localUploads.map(localThumb)];
  return h(
    "section",
    { class: "screen job", "data-screen": "job" },
    h("h1", {}, `#${job.id} `, statusChip(job)),
    h("p", { class: "meta" }, `${job.brand} · ${job.external_id}`),
    job.pending ? h("p", { class: "pending-note" }, icon("clock"), `${t("waiting_sync")} (${job.pending})`) : null,
    job.outcome ? h("p", { class: "warning" }, t(`reason_${job.outcome.reason}`), job.outcome.note ? ` — ${job.outcome.note}` : "") : null,
    section(
      t("window"),
      h("p", { class: "big" }, job.visit ? `${dayLabel(job.visit.local_date)} ${windowText(job)}` : "—"),
      job.visit ? h("p", { class: "hint" }, t("eta", { time: timeOf(job.visit.estimated_start, job.timezone) })) : null,
    ),
    section(t("consumer"), contactRow(job), h("p", { class: "hint" }, job.consumer.phone)),
    section(t("address"), addressRow(job)),
    section(t("items"), h("ul", {}, job.items.map((item) => h("li", {}, `${item.name} ×${item.quantity}`, h("small", {}, ` ${item.sku}`))))),
    job.notes ? section(t("notes"), h("p", {}, job.notes)) : null,
    job.required_skills.length ? section(t("skills"), h("p", { class: "skills" }, job.required_skills.map((s) => h("span", { class: "tag" }, skill(s))))) : null,
    section(t("photos"), proof.length ? h("div", { class: "thumbs" }, proof) : h("p", { class: "hint" }, t("no_photos"))),
    job.actions.length || !job.dispatched ? h("div", { class: "sticky-actions" }, actionButtons(job)) : null,
  );
}

export function meScreen() {
  const session = state.session;
  const installer = session.installer;
  const languages = h(
    "div",
    { class: "segmented" },
    [
      ["zh-CN", "中文"],
      ["en", "English"],
    ].map(([code, label]) =>
      h(
        "button",
        { class: code === language() ? "btn btn-small on" : "btn btn-small", "data-lang": code, onclick: () => { setLanguage(code); changed(true); } },
        label,
      ),
    ),
  );
  const signOut = async () => {
    if (state.queue.length && !(await confirmDialog(t("sign_out"), t("sign_out_pending", { n: state.queue.length }), t("sign_out")))) return;
    try {
      await field.logout();
    } catch (error) {
      if (!(error instanceof Offline) && !(error instanceof ApiError)) throw error;
    }
    await store.clearAll();
    saveSession(null);
    state.queue = [];
    state.jobs.clear();
    state.days.clear();
    go("#/");
  };
  return h(
    "section",
    { class: "screen me", "data-screen": "me" },
    h("h1", {}, installer.name),
    h("p", {}, installer.phone),
    h("p", {}, `${t("dealer")}: ${installer.dealer_name}`),
    session.device ? h("p", { class: "hint" }, t("device", { date: session.device.expires_at.slice(0, 10) })) : null,
    section(t("goods"), goodsForm()),
    section(t("language"), languages),
    section(
      t("sync"),
      h("p", {}, state.queue.length ? t("pending", { n: state.queue.length }) : t("synced")),
      state.lastSync ? h("p", { class: "hint" }, t("last_sync", { time: new Date(state.lastSync).toLocaleString(language()) })) : null,
      h("button", { class: "btn", onclick: () => syncSoon(0) }, t("sync_now")),
    ),
    h("button", { class: "btn btn-danger", onclick: signOut }, t("sign_out")),
  );
}
