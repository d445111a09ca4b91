// The field API over fetch. No signal → Offline; an error answer → ApiError with the error body.

export class Offline extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || {};
    this.detail = error;
  }
}

let token = null;

export function useToken(value) {
  token = value;
}

export async function call(method, path, { json, form, query } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const url = query ? `${path}?${new URLSearchParams(query)}` : path;
  let response;
  try {
    response = await fetch(url, { method, headers, body, cache: "no-store" });
  } catch (error) {
    throw new Offline(String(error));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    // A proxy's page in a captive portal, say: treat as no signal, not as the server's answer.
    if (!data || !data.error) throw new Offline(`HTTP ${response.status}`);
    throw new ApiError(response.status, data);
  }
  return data;
}

export const field = {
  requestCode: (phone, locale) => call("POST", "/api/field/auth/code", { json: { phone, locale } }),
  verify: (phone, code, deviceName) =>
    call("POST", "/api/field/auth/verify", { json: { phone, code, device_name: deviceName } }),
  redeem: (invite, deviceName) =>
    call("POST", "/api/field/auth/invite", { json: { token: invite, device_name: deviceName } }),
  logout: () => call("POST", "/api/field/auth/logout"),
  me: () => call("GET", "/api/field/me"),
  goodsReceived: (code) => call("POST", "/api/field/goods-received", { json: { code } }),
  route: (date) => call("GET", "/api/field/route", date ? { query: { date } } : {}),
  job: (id) => call("GET", `/api/field/jobs/${id}`),
  sync: (events) => call("POST", "/api/field/sync", { json: { events } }),
  upload: (jobId, kind, uploadId, blob) => {
    const form = new FormData();
    const extension = blob.type === "image/png" ? "png" : "jpg";
    form.append("file", blob, `${kind}.${extension}`);
    return call("POST", `/api/field/jobs/${jobId}/attachments`, {
      form,
      query: { kind, client_upload_id: uploadId },
    });
  },
  attachment: async (id) => {
    const response = await fetch(`/api/field/attachments/${id}/content`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new ApiError(response.status, {});
    return response.blob();
  },
};
