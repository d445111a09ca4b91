// The installer's app: boot, the header (signal, pending changes, language), and the router.

import { h } from "./dom.js";
import { language, setLanguage, t } from "./i18n.js";
import { changed, loadLocal, onChange, state } from "./state.js";
import { go, syncSoon } from "./actions.js";
import { jobScreen, meScreen, routeScreen } from "./screens.js";
import { completeForm, failForm } from "./forms.js";
import { redeemInvite, signInScreen } from "./signin.js";

// Screens with inputs are built once per visit, so a re-render never wipes what was typed.
let kept = { key: null, element: null };

function screen() {
  if (!state.session) return { key: "signin", keep: true, build: signInScreen, tabs: false };
  const hash = location.hash || "#/";
  let match = hash.match(/^#\/job\/(\d+)\/(complete|fail)$/);
  if (match && state.jobs.has(Number(match[1]))) {
    const build = match[2] === "complete" ? completeForm : failForm;
    return { key: hash, keep: true, build: () => build(Number(match[1])), back: `#/job/${match[1]}` };
  }
  match = hash.match(/^#\/job\/(\d+)$/);
  if (match) return { key: hash, build: () => jobScreen(Number(match[1])), back: "#/" };
  if (hash === "#/tomorrow") return { key: hash, build: () => routeScreen("tomorrow"), tabs: true };
  if (hash === "#/me") return { key: hash, build: meScreen, tabs: true };
  return { key: "#/", build: () => routeScreen("today"), tabs: true };
}

function header(current) {
  const pending = state.queue.length;
  const signal = state.online
    ? h("span", { class: "signal on", "data-signal": "online" }, `● ${t("online")}`)
    : h("span", { class: "signal off", "data-signal": "offline" }, `○ ${t("offline")}`);
  const badge = h(
    "button",
    { class: `badge${pending ? " waiting" : ""}`, "data-pending": String(pending), onclick: () => syncSoon(0) },
    state.syncing ? t("syncing") : pending ? t("pending", { n: pending }) : `✓ ${t("synced")}`,
  );
  const other = language() === "zh-CN" ? "en" : "zh-CN";
  const toggle = h(
    "button",
    { class: "lang", "aria-label": t("language"), onclick: () => { setLanguage(other); changed(true); } },
    other === "en" ? "EN" : "中",
  );
  return h(
    "header",
    { class: "top" },
    current.back
      ? h("button", { class: "back", onclick: () => go(current.back) }, `‹ ${t("back")}`)
      : h("strong", { class: "title" }, t("app")),
    h("div", { class: "status" }, signal, state.session ? badge : null, toggle),
  );
}

function tabs(current) {
  const tab = (hash, label) =>
    h("a", { href: hash, class: current.key === hash ? "tab on" : "tab" }, label);
  return h("nav", { class: "tabs" }, tab("#/", t("today")), tab("#/tomorrow", t("tomorrow")), tab("#/me", t("me")));
}

function notices() {
  return h(
    "div",
    { class: "notices" },
    state.notices.map((notice) =>
      h(
        "div",
        { class: "notice", role: "status" },
        h("span", {}, notice.text),
        h("button", {
          class: "dismiss",
          "aria-label": t("dismiss"),
          text: "×",
          onclick: () => {
            state.notices = state.notices.filter((n) => n.id !== notice.id);
            changed();
          },
        }),
      ),
    ),
  );
}

function render(navigated = false) {
  const current = screen();
  let body;
  if (current.keep && kept.key === current.key && !navigated) body = kept.element;
  else {
    body = current.build();
    kept = current.keep ? { key: current.key, element: body } : { key: null, element: null };
  }
  const root = document.getElementById("app");
  root.replaceChildren(header(current), current.tabs ? tabs(current) : "", notices(), h("main", {}, body));
  if (navigated) window.scrollTo(0, 0);
}

async function boot() {
  setLanguage(language());
  onChange(render);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(() => {});
  }
  await loadLocal();
  window.addEventListener("hashchange", () => render(true));
  window.addEventListener("online", () => {
    state.online = true;
    changed();
    syncSoon(0);
  });
  window.addEventListener("offline", () => {
    state.online = false;
    changed();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncSoon(0);
  });
  setInterval(() => syncSoon(0), 60000);
  const invite = location.hash.match(/^#invite=([A-Za-z0-9_-]+)$/);
  if (invite) await redeemInvite(invite[1]);
  render(true);
  if (state.session) syncSoon(0);
}

boot();
