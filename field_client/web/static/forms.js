// The two forms that end a visit: complete (checklist, photos, signature) and could-not-complete.

import { shrinkPhoto, SignaturePad } from "./capture.js";
import { h, icon, uuid } from "./dom.js";
import { t } from "./i18n.js";
import { notify, state, view } from "./state.js";
import { go, queueEvent } from "./actions.js";

const REASONS = ["customer_absent", "wrong_or_damaged_item", "site_not_ready", "needs_parts", "other"];

function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

function errors(list) {
  return h("ul", { class: "errors", role: "alert" }, list.map((message) => h("li", {}, message)));
}

export function completeForm(id) {
  const job = view(state.jobs.get(id));
  const labels = [
    ...job.items.map((item) => `${item.name} ×${item.quantity}`),
    t("check_tested"),
    t("check_clean"),
    t("check_shown"),
  ];
  const boxes = labels.map((label) => ({ label, input: h("input", { type: "checkbox", name: "check" }) }));
  const notes = h("textarea", { name: "notes", rows: "3", maxlength: "2000" });
  const photos = [];
  const thumbs = h("div", { class: "thumbs" });
  const picker = h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, class: "file", name: "photo" });
  const canvas = h("canvas", { class: "signature", "aria-label": t("sign_here") });
  const pad = new SignaturePad(canvas);
  const signer = h("input", { type: "text", name: "signer", value: job.consumer.name, maxlength: "120", autocomplete: "off" });
  const problems = h("div");

  const drawThumbs = () => {
    thumbs.replaceChildren(
      ...photos.map((photo, n) =>
        h(
          "figure",
          { class: "thumb" },
          h("img", { src: photo.url, alt: `${t("photo")} ${n + 1}` }),
          h("button", { type: "button", class: "remove", "aria-label": t("remove"), onclick: () => { URL.revokeObjectURL(photo.url); photos.splice(n, 1); drawThumbs(); } }, "×"),
        ),
      ),
    );
  };
  picker.addEventListener("change", async () => {
    for (const file of picker.files) {
      try {
        const blob = await shrinkPhoto(file);
        photos.push({ blob, url: URL.createObjectURL(blob) });
      } catch {
        notify(t("photo_failed"));
      }
    }
    picker.value = "";
    drawThumbs();
  });

  const submit = async (event) => {
    event.preventDefault();
    const missing = [];
    if (!boxes.every((box) => box.input.checked)) missing.push(t("need_checklist"));
    if (!photos.length) missing.push(t("need_photo"));
    if (pad.empty) missing.push(t("need_signature"));
    if (!signer.value.trim()) missing.push(t("need_signer"));
    problems.replaceChildren(missing.length ? errors(missing) : "");
    if (missing.length) return;
    const uploads = photos.map((photo) => ({ kind: "upload", id: uuid(), job_id: id, upload_kind: "photo", blob: photo.blob }));
    const signature = { kind: "upload", id: uuid(), job_id: id, upload_kind: "signature", blob: await pad.toBlob() };
    await queueEvent(
      id,
      "complete",
      {
        checklist: boxes.map((box) => ({ label: box.label, done: box.input.checked })),
        note: notes.value.trim(),
        signer_name: signer.value.trim(),
        photos: uploads.map((upload) => upload.id),
        signature: signature.id,
      },
      [...uploads, signature],
    );
    if (!state.online) notify(t("queued"), { passing: true });
    go(`#/job/${id}`);
  };

  const form = h(
    "form",
    { class: "screen form", "data-screen": "complete", onsubmit: submit, novalidate: true },
    h("h1", {}, t("complete_title"), h("small", {}, ` #${id}`)),
    h("fieldset", {}, h("legend", {}, t("checklist")), boxes.map((box) => h("label", { class: "check" }, box.input, h("span", {}, box.label)))),
    field(t("work_notes"), notes),
    h("fieldset", {}, h("legend", {}, t("photos")), thumbs, h("label", { class: "btn file-button" }, icon("camera"), t("add_photo"), picker)),
    h(
      "fieldset",
      {},
      h("legend", {}, t("signature")),
      canvas,
      h("button", { type: "button", class: "btn btn-small", onclick: () => pad.clear() }, t("clear")),
    ),
    field(t("signer"), signer),
    problems,
    h("button", { type: "submit", class: "btn btn-primary btn-wide" }, t("submit_complete")),
  );
  requestAnimationFrame(() => pad.fit());
  return form;
}

export function failForm(id) {
  const choices = REASONS.map((reason) => ({ reason, input: h("input", { type: "radio", name: "reason", value: reason }) }));
  const note = h("textarea", { name: "note", rows: "3", maxlength: "2000" });
  const problems = h("div");
  const submit = async (event) => {
    event.preventDefault();
    const chosen = choices.find((choice) => choice.input.checked);
    const missing = [];
    if (!chosen) missing.push(t("need_reason"));
    else if (chosen.reason === "other" && !note.value.trim()) missing.push(t("need_note"));
    problems.replaceChildren(missing.length ? errors(missing) : "");
    if (missing.length) return;
    await queueEvent(id, "fail", { reason: chosen.reason, note: note.value.trim() });
    if (!state.online) notify(t("queued"), { passing: true });
    go(`#/job/${id}`);
  };
  return h(
    "form",
    { class: "screen form", "data-screen": "fail", onsubmit: submit, novalidate: true },
    h("h1", {}, t("fail_title"), h("small", {}, ` #${id}`)),
    h("fieldset", {}, h("legend", {}, t("reason")), choices.map((c) => h("label", { class: "check" }, c.input, h("span", {}, t(`reason_${c.reason}`))))),
    field(t("fail_note"), note),
    problems,
    h("button", { type: "submit", class: "btn btn-danger btn-wide" }, t("submit_fail")),
  );
}
