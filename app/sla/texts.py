"""The SLA pages' and CSV's words in zh-CN and en, and the words for codes they show.

The language follows the same rules as every other page: `?lang=`, then the `lang` cookie,
then the browser's Accept-Language, else zh-CN. (The shared catalogue of words for job
statuses and categories lives with the i18n layer; the SLA pages keep their own words here.)
"""

from __future__ import annotations

from flask import has_request_context, request

from app.i18n import WORDS

ZH, EN = "zh-CN", "en"
LANGS = (ZH, EN)


def _normalize(value: str | None) -> str | None:
    low = (value or "").strip().lower().replace("_", "-")
    return ZH if low.startswith("zh") else EN if low.startswith("en") else None


def language() -> str:
    """The language of this request: `?lang=`, the `lang` cookie, Accept-Language, else zh-CN."""
    if not has_request_context():
        return ZH
    found = _normalize(request.args.get("lang")) or _normalize(request.cookies.get("lang"))
    if found is None:
        found = _normalize(request.accept_languages.best_match(["zh-CN", "zh", "en"]))
    return found or ZH


CODES: dict[str, dict[str, dict[str, str]]] = {
    "promise": {
        "assign": {ZH: "分配服务商", EN: "dealer assigned"},
        "contact": {ZH: "联系客户", EN: "customer reached"},
        "schedule": {ZH: "预约时间", EN: "visit booked"},
        "complete": {ZH: "完工", EN: "job completed"},
        "arrival": {ZH: "准时上门", EN: "on-time arrival"},
        "first_visit": {ZH: "一次上门完成", EN: "first-visit completion"},
    },
    "state": {
        "met": {ZH: "已达成", EN: "met"},
        "breached": {ZH: "已违约", EN: "breached"},
        "at_risk": {ZH: "有风险", EN: "at risk"},
        "ok": {ZH: "进行中", EN: "running"},
        "n/a": {ZH: "不适用", EN: "not applicable"},
    },
    "category": WORDS["category"],
    "kind": WORDS["kind"],
    "status": WORDS["status"],
    "event": {
        "created": {ZH: "下单", EN: "ordered"},
        "updated": {ZH: "修改订单", EN: "order changed"},
        "assigned": {ZH: "分配服务商", EN: "dealer assigned"},
        "reassigned": {ZH: "改派服务商", EN: "dealer changed"},
        "unassigned": {ZH: "无法分配", EN: "could not be assigned"},
        "declined": {ZH: "服务商拒单", EN: "dealer declined"},
        "consumer_contacted": {ZH: "邀约短信已送达", EN: "invitation delivered"},
        "scheduled": {ZH: "预约", EN: "booked"},
        "rescheduled": {ZH: "客户改约", EN: "moved by the customer"},
        "booking_moved": {ZH: "调度改约", EN: "moved by a dispatcher"},
        "booking_cancelled": {ZH: "取消预约", EN: "booking released"},
        "dispatched": {ZH: "派工", EN: "dispatched"},
        "en_route": {ZH: "出发", EN: "on the way"},
        "on_site": {ZH: "到达", EN: "arrived"},
        "in_progress": {ZH: "开始施工", EN: "work started"},
        "completed": {ZH: "完工", EN: "completed"},
        "failed": {ZH: "上门未完成", EN: "visit not completed"},
        "returned_to_dispatch": {ZH: "退回调度", EN: "returned to dispatch"},
        "cancelled": {ZH: "取消订单", EN: "cancelled"},
        "plan_issue": {ZH: "路线规划问题", EN: "day plan problem"},
        "plan_issue_resolved": {ZH: "规划问题已解决", EN: "day plan problem solved"},
        "removed_from_plan": {ZH: "移出路线", EN: "taken off the day plan"},
        "attachment": {ZH: "上传附件", EN: "attachment added"},
        "goods_expected": {ZH: "预计到货日期", EN: "goods expected"},
        "goods_received": {ZH: "货已到服务商", EN: "goods at the dealer"},
        "after_sales": {ZH: "售后上门", EN: "after-sales visit"},
        "dependency_broken": {
            ZH: "前序上门改期，需重新预约",
            EN: "earlier visit moved: book again",
        },
    },
    "role": {
        "admin": {ZH: "平台管理员", EN: "platform admin"},
        "brand": {ZH: "品牌方", EN: "brand"},
        "dealer": {ZH: "服务商", EN: "dealer"},
        "installer": {ZH: "师傅", EN: "installer"},
        "consumer": {ZH: "客户", EN: "customer"},
        "system": {ZH: "系统", EN: "system"},
        "planner": {ZH: "规划器", EN: "planner"},
    },
}


def code_word(domain: str, code: object, lang: str) -> str:
    """The words for a code; an unknown code reads as words too ("door_instal" → "door instal")."""
    if code is None or code == "":
        return ""
    entry = CODES.get(domain, {}).get(str(code))
    if entry is None:
        return str(code).replace("_", " ")
    return entry[lang if lang in entry else EN]


UI: dict[str, dict[str, str]] = {
    ZH: {
        "dashboard": "服务时效看板",
        "scorecard": "服务商成绩单",
        "from": "下单日期自",
        "to": "至",
        "category": "品类",
        "brand": "品牌",
        "dealer": "服务商",
        "region": "区域",
        "all": "全部",
        "apply": "筛选",
        "export": "导出 CSV",
        "jobs_kpi": "工单（已完成 {n}）",
        "on_time_kpi": "准时上门（{n} 次上门）",
        "first_visit_kpi": "一次上门完成率",
        "median_schedule": "预约用时中位数",
        "median_complete": "完工用时中位数",
        "hours": "小时",
        "breached_kpi": "违约承诺",
        "at_risk_kpi": "有风险的承诺",
        "trend": "每周准时率与一次上门完成率",
        "on_time": "准时上门",
        "first_visit": "一次上门完成",
        "volume": "每周下单量",
        "completed": "已完成",
        "open": "进行中",
        "cancelled": "已取消",
        "breaches_by_week": "每周违约",
        "by_promise": "按承诺统计违约与风险",
        "promise": "承诺",
        "breached": "违约",
        "at_risk": "有风险",
        "league": "服务商排行榜",
        "rank": "名次",
        "jobs": "工单",
        "due": "到期承诺",
        "kept": "已兑现",
        "kept_share": "兑现率",
        "lower_bound": "排名分（置信下限）",
        "median_h_complete": "完工用时中位数（小时）",
        "not_ranked": "不足 {n} 项，不排名",
        "league_rule": (
            "排名规则：只计服务商自己的承诺——预约时间、完工、准时上门、一次上门完成"
            "（分配服务商由品牌方完成、邀约短信由平台发送，不计入）。"
            "承诺结果已知（已达成或已违约）即为“到期”；进行中的承诺暂不计入。"
            "兑现率 p = 已兑现 ÷ 到期，n = 到期数；按 Wilson 95% 置信下限排名："
        ),
        "league_formula": "(p + z²/2n − z·√(p(1−p)/n + z²/4n²)) ÷ (1 + z²/n)，z = 1.96",
        "league_min": "到期承诺少于 {n} 项的服务商列在最后，不排名。这样 3 项全兑现不会排在 200 项兑现 190 项之前。",
        "by_category": "按品类",
        "by_region": "按区域",
        "none": "（无）",
        "flagged": "有风险或已违约的工单（共 {n} 个）",
        "job": "工单",
        "ordered": "下单时间（{zone}）",
        "promises": "承诺",
        "nothing_flagged": "本期没有有风险或已违约的工单。",
        "prev": "← 上一页",
        "next": "下一页 →",
        "page_of": "第 {page} / {pages} 页",
        "footer": "统计 {first} 至 {to} 下单的工单；时间与周（从周一起）按 {zone}。状态以当前时刻为准。",
        "back": "← 返回看板",
        "not_assigned": "未分配",
        "clocks": "时效计时",
        "state": "状态",
        "target": "目标",
        "due_at": "截止",
        "kept_at": "兑现时间",
        "elapsed": "已用时",
        "minutes": "{n} 分钟",
        "elapsed_value": "{h} 小时 {m:02d} 分",
        "no_policy": "此工单没有适用的时效承诺。",
        "timeline": "事件记录（当地时间 {zone}）",
        "device": "设备时间",
        "window": "预约时段 {day} {start}–{end}",
        "contact_rule": "联系客户：邀约短信送达、预约或客户的任何操作，以最早者为准；免打扰时段（21:00–08:00）不计时。",
    },
    EN: {
        "dashboard": "SLA dashboard",
        "scorecard": "Dealer scorecard",
        "from": "Ordered from",
        "to": "to",
        "category": "Category",
        "brand": "Brand",
        "dealer": "Dealer",
        "region": "Region",
        "all": "All",
        "apply": "Apply",
        "export": "Export CSV",
        "jobs_kpi": "Jobs ({n} completed)",
        "on_time_kpi": "On-time arrival ({n} visits)",
        "first_visit_kpi": "First-visit completion",
        "median_schedule": "Median time to book",
        "median_complete": "Median time to complete",
        "hours": "h",
        "breached_kpi": "Promises breached",
        "at_risk_kpi": "Promises at risk",
        "trend": "On time and first visit, by week",
        "on_time": "On time",
        "first_visit": "First visit",
        "volume": "Jobs by week of order",
        "completed": "Completed",
        "open": "Open",
        "cancelled": "Cancelled",
        "breaches_by_week": "Breaches by week",
        "by_promise": "Breaches and risks by promise",
        "promise": "Promise",
        "breached": "Breached",
        "at_risk": "At risk",
        "league": "Dealer league table",
        "rank": "Rank",
        "jobs": "Jobs",
        "due": "Promises due",
        "kept": "Kept",
        "kept_share": "Kept share",
        "lower_bound": "Score (lower bound)",
        "median_h_complete": "Median hours to complete",
        "not_ranked": "fewer than {n}: not ranked",
        "league_rule": (
            "How dealers are ranked: only the promises the dealer's own work decides count — "
            "visit booked, job completed, on-time arrival, first-visit completion (the brand "
            "assigns the dealer and the platform texts the invitation, so those two do not). "
            "A promise is due once its outcome is known (met or breached); running ones wait. "
            "Kept share p = kept ÷ due, n = promises due; the rank follows the Wilson 95 % "
            "lower bound:"
        ),
        "league_formula": "(p + z²/2n − z·√(p(1−p)/n + z²/4n²)) ÷ (1 + z²/n), z = 1.96",
        "league_min": "Dealers with fewer than {n} promises due are listed last, without a rank. So 3 kept out of 3 does not outrank 190 out of 200.",
        "by_category": "By category",
        "by_region": "By region",
        "none": "(none)",
        "flagged": "Jobs at risk or breached ({n} in all)",
        "job": "Job",
        "ordered": "Ordered ({zone})",
        "promises": "Promises",
        "nothing_flagged": "Nothing at risk or breached in this period.",
        "prev": "← Previous",
        "next": "Next →",
        "page_of": "Page {page} of {pages}",
        "footer": "Jobs ordered {first} to {to}; times and weeks (from Monday) in {zone}. States are as of now.",
        "back": "← Dashboard",
        "not_assigned": "not assigned",
        "clocks": "SLA clocks",
        "state": "State",
        "target": "Target",
        "due_at": "Due",
        "kept_at": "Kept",
        "elapsed": "Elapsed",
        "minutes": "{n} min",
        "elapsed_value": "{h} h {m:02d} min",
        "no_policy": "No SLA policy applies to this job.",
        "timeline": "Event timeline (local time, {zone})",
        "device": "device",
        "window": "window {start}–{end} on {day}",
        "contact_rule": "Customer reached: the first of the invitation delivered, a booking, or anything the customer did; the clock stops in quiet hours (21:00–08:00).",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The pages' sentences in one language."""
    return UI[lang if lang in UI else ZH]
