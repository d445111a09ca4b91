// Signing a phone in: a code by SMS, or a dealer's invite link (/field/#invite=…).

import { ApiError, Offline, field } from "./api.js";
import { h } from "./dom.js";
import { has, language, t } from "./i18n.js";
import * as store from "./store.js";
import { changed, loadLocal, saveSession, state } from "./state.js";
import { go, syncSoon } from "./actions.js";

function deviceName() {
  const match = navigator.userAgent.match(/\(([^;)]+)/);
  return (match ? match[1] : "phone").slice(0, 120);
}

async function start(signedIn) {
  // Another installer's data must not stay on a shared phone.
  const previous = JSON.parse(localStorage.getItem("fwt.installer") || "null");
  if (previous !== signedIn.installer.id) await store.clearAll();
  localStorage.setItem("fwt.installer", JSON.stringify(signedIn.installer.id));
  saveSession({ token: signedIn.token, installer: signedIn.installer, device: signedIn.device });
  await loadLocal();
  go("#/");
  syncSoon(0);
}

function explain(error) {
  if (error instanceof Offline) return t("sign_in_offline");
  if (!(error instanceof ApiError)) return String(error);
  if (!has(`err_${error.code}`)) return error.message;
  const left = error.detail.attempts_left;
  return t(`err_${error.code}`) + (left !== undefined ? ` ${t("err_attempts_left", { n: left })}` : "");
}

export async function redeemInvite(invite) {
  history.replaceState(null, "", "/field/#/"); // the token leaves the address bar at once
  const note = h("p", { class: "hint" }, t("invite_signing_in"));
  document.getElementById("app").replaceChildren(note);
  try {
    await start(await field.redeem(invite, deviceName()));
  } catch (error) {
    state.notices.push({ id: "invite", text: explain(error) });
    changed(true);
  }
}

export function signInScreen() {
  const phone = h("input", { type: "tel", name: "phone", value: "+86", autocomplete: "tel", inputmode: "tel", placeholder: t("phone_hint") });
  const code = h("input", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}", placeholder: t("code_hint") });
  const message = h("p", { class: "hint", role: "status" });
  const send = h("button", { type: "button", class: "btn", name: "send" }, t("send_code"));
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-wide", name: "verify", disabled: true }, t("sign_in"));
  const codeRow = h("label", { class: "field hidden" }, h("span", {}, t("code")), code);
  let countdown = null;

  const wait = (seconds) => {
    clearInterval(countdown);
    let left = seconds;
    send.disabled = true;
    send.textContent = t("resend_in", { s: left });
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) send.textContent = t("resend_in", { s: left });
      else {
        clearInterval(countdown);
        send.disabled = false;
        send.textContent = t("send_code");
      }
    }, 1000);
  };

  send.addEventListener("click", async () => {
    message.className = "hint";
    try {
      const sent = await field.requestCode(phone.value.trim(), language());
      message.textContent = t("code_sent", { phone: phone.value.trim() });
      codeRow.classList.remove("hidden");
      submit.disabled = false;
      code.focus();
      wait(sent.retry_after);
    } catch (error) {
      message.className = "hint error";
      message.textContent = explain(error);
      if (error instanceof ApiError && error.detail.retry_after) wait(error.detail.retry_after);
    }
  });

  const verify = async (event) => {
    event.preventDefault();
    message.className = "hint";
    try {
      await start(await field.verify(phone.value.trim(), code.value.trim(), deviceName()));
    } catch (error) {
      message.className = "hint error";
      message.textContent = explain(error);
    }
  };

  return h(
    "form",
    { class: "screen signin", "data-screen": "signin", onsubmit: verify, novalidate: true },
    h("div", { class: "brand" }, h("img", { src: "/field/static/icon.svg", alt: "", width: "64", height: "64" }), h("h1", {}, t("app"))),
    h("label", { class: "field" }, h("span", {}, t("phone")), phone),
    send,
    codeRow,
    message,
    submit,
  );
}
