// Words of the app in Chinese and English; the installer picks, the browser decides at first.

const STRINGS = {
  "zh-CN": {
    app: "服务通 · 师傅端",
    today: "今天",
    tomorrow: "明天",
    me: "我的",
    route_title: "今日路线",
    tomorrow_title: "明日工单",
    no_jobs: "这一天没有工单。",
    not_loaded: "还没有数据。有信号时会自动加载。",
    online: "在线",
    offline: "离线",
    pending: "待同步 {n}",
    synced: "已同步",
    syncing: "同步中…",
    sync_now: "立即同步",
    sync: "同步",
    last_sync: "上次同步 {time}",
    sign_in: "登录",
    phone: "手机号",
    phone_hint: "例如 +8613900000001",
    send_code: "获取验证码",
    code: "验证码",
    code_hint: "短信中的 6 位数字",
    code_sent: "验证码已发送至 {phone}，10 分钟内有效。",
    resend_in: "{s} 秒后可重发",
    sign_in_offline: "登录需要网络信号。",
    signed_out: "此手机已退出登录，请重新登录。未同步的操作已保留。",
    invite_signing_in: "正在通过邀请链接登录…",
    sign_out: "退出登录",
    sign_out_pending: "还有 {n} 项操作未同步，退出后会丢失。确定退出？",
    language: "语言 Language",
    dealer: "服务商",
    device: "本机登录有效期至 {date}",
    window: "时间窗",
    eta: "预计开始 {time}",
    consumer: "客户",
    call: "呼叫",
    navigate: "导航",
    address: "地址",
    items: "商品",
    notes: "备注",
    skills: "所需技能",
    photos: "照片与签名",
    no_photos: "暂无照片",
    photo: "照片",
    back: "返回",
    not_dispatched: "未派工：路线确定后才能操作",
    waiting_sync: "等待同步",
    carried_over: "前一天未完成",
    act_en_route: "出发",
    act_arrived: "已到达",
    act_start_work: "开始施工",
    act_complete: "完工",
    act_fail: "无法完成",
    st_scheduled: "已预约",
    st_dispatched: "已派工",
    st_en_route: "在路上",
    st_on_site: "已到达",
    st_in_progress: "施工中",
    st_completed: "已完成",
    st_failed: "未完成",
    st_assigned: "已退回调度",
    st_cancelled: "已取消",
    locating: "正在获取位置…",
    far_title: "距离较远",
    far_body: "您距离客户地址约 {distance}，确定已到达？",
    arrive_anyway: "确认到达",
    cancel: "取消",
    no_position: "无法获取位置，已记录为未定位到达。",
    complete_title: "完工确认",
    checklist: "检查清单",
    check_tested: "已安装并测试正常",
    check_clean: "现场已清理",
    check_shown: "已向客户说明使用方法",
    work_notes: "施工备注",
    add_photo: "拍照 / 添加照片",
    remove: "删除",
    signature: "客户签名",
    sign_here: "请客户在此签名",
    clear: "清除",
    signer: "签名人姓名",
    submit_complete: "确认完工",
    need_checklist: "请勾选全部检查项",
    need_photo: "请至少添加一张照片",
    need_signature: "请客户签名",
    need_signer: "请填写签名人姓名",
    fail_title: "无法完成",
    reason: "原因",
    reason_customer_absent: "客户不在家",
    reason_wrong_or_damaged_item: "商品错误或损坏",
    reason_site_not_ready: "现场不具备安装条件",
    reason_needs_parts: "需要补充配件",
    reason_other: "其他原因",
    fail_note: "说明",
    need_reason: "请选择原因",
    need_note: "选择“其他原因”时请填写说明",
    submit_fail: "提交并退回调度",
    queued: "已保存，有信号时自动同步。",
    stale: "工单 #{job} 已变为“{state}”，{n} 项未同步操作已撤销。",
    rejected: "工单 #{job}：{message}",
    dismiss: "关闭",
    photo_failed: "照片无法读取，请重试。",
    err_invalid_code: "验证码不正确。",
    err_attempts_left: "还可尝试 {n} 次。",
    err_code_expired: "验证码已过期，请重新获取。",
    err_too_many_attempts: "尝试次数过多，请重新获取验证码。",
    err_code_rate_limited: "获取过于频繁，请稍后再试。",
    err_rate_limited: "请求过于频繁，请稍后再试。",
    err_invite_used: "该邀请链接已使用过，请联系服务商重新发送。",
    err_invite_expired: "邀请链接已过期，请联系服务商重新发送。",
    err_invite_invalid: "邀请链接无效。",
    err_validation_error: "请检查手机号（如 +8613900000001）和 6 位验证码。",
    skill_delivery: "送货",
    skill_door_install: "门安装",
    skill_furniture_assembly: "家具组装",
    skill_appliance_install: "家电安装",
    skill_electrical: "电工",
    skill_plumbing: "水暖",
    refused_proof_missing: "完工需要照片和客户签名，请补充后重试。",
    refused_job_closed: "该工单已结束，无法再操作。",
    refused_not_accepting_uploads: "该工单现在不能上传照片。",
    refused_too_many_uploads: "该工单的照片已达上限。",
    refused_content_type_mismatch: "文件格式不正确，请重新拍照。",
    refused_illegal_transition: "该工单的状态已变化，此操作已无效。",
  },
  en: {
    app: "Fuwutong Field",
    today: "Today",
    tomorrow: "Tomorrow",
    me: "Me",
    route_title: "Today's route",
    tomorrow_title: "Tomorrow's jobs",
    no_jobs: "No jobs on this day.",
    not_loaded: "Nothing loaded yet. It loads when there is signal.",
    online: "Online",
    offline: "Offline",
    pending: "{n} to sync",
    synced: "Synced",
    syncing: "Syncing…",
    sync_now: "Sync now",
    sync: "Sync",
    last_sync: "Last synced {time}",
    sign_in: "Sign in",
    phone: "Phone number",
    phone_hint: "e.g. +8613900000001",
    send_code: "Send code",
    code: "Code",
    code_hint: "The 6 digits in the SMS",
    code_sent: "A code was sent to {phone}; it works for 10 minutes.",
    resend_in: "Resend in {s} s",
    sign_in_offline: "Signing in needs signal.",
    signed_out: "This phone was signed out; please sign in again. Unsynced changes are kept.",
    invite_signing_in: "Signing in with your invite link…",
    sign_out: "Sign out",
    sign_out_pending: "{n} changes are not synced yet and will be lost. Sign out anyway?",
    language: "Language 语言",
    dealer: "Dealer",
    device: "Signed in on this phone until {date}",
    window: "Window",
    eta: "Planned start {time}",
    consumer: "Customer",
    call: "Call",
    navigate: "Map",
    address: "Address",
    items: "Items",
    notes: "Notes",
    skills: "Skills needed",
    photos: "Photos and signature",
    no_photos: "No photos yet",
    photo: "Photo",
    back: "Back",
    not_dispatched: "Not dispatched yet: actions open once the route is planned",
    waiting_sync: "Waiting to sync",
    carried_over: "Unfinished from an earlier day",
    act_en_route: "Start route",
    act_arrived: "Arrived",
    act_start_work: "Start work",
    act_complete: "Complete",
    act_fail: "Could not complete",
    st_scheduled: "Booked",
    st_dispatched: "Dispatched",
    st_en_route: "On the way",
    st_on_site: "On site",
    st_in_progress: "Working",
    st_completed: "Completed",
    st_failed: "Not completed",
    st_assigned: "Back to dispatch",
    st_cancelled: "Cancelled",
    locating: "Finding your position…",
    far_title: "Far from the address",
    far_body: "You are about {distance} from the customer's address. Arrived anyway?",
    arrive_anyway: "Arrived",
    cancel: "Cancel",
    no_position: "Position unavailable; arrival recorded without it.",
    complete_title: "Complete the job",
    checklist: "Checklist",
    check_tested: "Installed and tested",
    check_clean: "Site cleaned up",
    check_shown: "Customer shown how to use it",
    work_notes: "Notes",
    add_photo: "Take / add photo",
    remove: "Remove",
    signature: "Customer's signature",
    sign_here: "Customer signs here",
    clear: "Clear",
    signer: "Name of who signed",
    submit_complete: "Complete job",
    need_checklist: "Tick every checklist item",
    need_photo: "Add at least one photo",
    need_signature: "The customer must sign",
    need_signer: "Enter the signer's name",
    fail_title: "Could not complete",
    reason: "Reason",
    reason_customer_absent: "Customer not at home",
    reason_wrong_or_damaged_item: "Wrong or damaged item",
    reason_site_not_ready: "Site not ready",
    reason_needs_parts: "Parts needed",
    reason_other: "Other",
    fail_note: "Note",
    need_reason: "Choose a reason",
    need_note: "Describe the reason when choosing Other",
    submit_fail: "Send back to dispatch",
    queued: "Saved; it syncs when there is signal.",
    stale: "Job #{job} is now “{state}”; {n} unsynced change(s) were undone.",
    rejected: "Job #{job}: {message}",
    dismiss: "Dismiss",
    photo_failed: "That photo could not be read; try again.",
    err_invalid_code: "That code is not right.",
    err_attempts_left: "{n} attempts left.",
    err_code_expired: "The code has expired; ask for a new one.",
    err_too_many_attempts: "Too many attempts; ask for a new code.",
    err_code_rate_limited: "A code was sent a moment ago; try again shortly.",
    err_rate_limited: "Too many requests; try again later.",
    err_invite_used: "This invite link was already used; ask your dealer for a new one.",
    err_invite_expired: "This invite link has expired; ask your dealer for a new one.",
    err_invite_invalid: "This invite link is not valid.",
    err_validation_error: "Check the phone number (like +8613900000001) and the 6-digit code.",
    skill_delivery: "delivery",
    skill_door_install: "door installation",
    skill_furniture_assembly: "furniture assembly",
    skill_appliance_install: "appliance installation",
    skill_electrical: "electrical work",
    skill_plumbing: "plumbing",
    refused_proof_missing: "Completing needs photos and the customer's signature; add them and try again.",
    refused_job_closed: "This job is closed; nothing more can be done on it.",
    refused_not_accepting_uploads: "This job does not take photos now.",
    refused_too_many_uploads: "This job has as many photos as it can take.",
    refused_content_type_mismatch: "That file is not a usable photo; take it again.",
    refused_illegal_transition: "The job has moved on; this step no longer applies.",
  },
};

export const LANGS = Object.keys(STRINGS);
let lang = pickLanguage();

function pickLanguage() {
  const saved = localStorage.getItem("fwt.lang");
  if (saved && STRINGS[saved]) return saved;
  const preferred = navigator.languages || [navigator.language || "zh-CN"];
  return preferred.some((l) => l.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

export function language() {
  return lang;
}

export function setLanguage(next) {
  lang = STRINGS[next] ? next : "zh-CN";
  localStorage.setItem("fwt.lang", lang);
  document.documentElement.lang = lang;
}

export function has(key) {
  return key in STRINGS[lang];
}

export function t(key, params = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

// A skill code in words; an unknown code reads as words too ("door_instal" → "door instal").
export function skill(code) {
  return has(`skill_${code}`) ? t(`skill_${code}`) : String(code).replace(/_/g, " ");
}

// A refusal of a synced change in the installer's words when its code is known.
export function refusal(error) {
  if (!error) return "";
  return has(`refused_${error.code}`) ? t(`refused_${error.code}`) : error.message || "";
}

export function timeOf(iso, zone) {
  return new Intl.DateTimeFormat(lang, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: zone,
  }).format(new Date(iso));
}

export function dayLabel(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(lang, {
    month: "long",
    day: "numeric",
    weekday: "short",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function distanceLabel(metres) {
  return metres >= 1000 ? `${(metres / 1000).toFixed(1)} km` : `${Math.round(metres)} m`;
}

document.documentElement.lang = lang;
